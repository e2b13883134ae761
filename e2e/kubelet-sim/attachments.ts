import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import type { Conflist } from "./cni-runtime.js";

export interface NetworkSelection {
  name: string;
  namespace: string;
  ifname: string;
}

/**
 * Parses `k8s.v1.cni.cncf.io/networks` the way Multus does: a comma list of `[ns/]name[@if]`
 * or a JSON array of `{name, namespace?, interface?}`; unnamed attachments become net1, net2, ….
 */
export function parseNetworksAnnotation(value: string, podNamespace: string): NetworkSelection[] {
  const v = value.trim();
  if (!v) return [];
  let items: { name: string; namespace?: string; interface?: string }[];
  if (v.startsWith("[")) {
    const parsed = JSON.parse(v) as unknown;
    if (!Array.isArray(parsed)) throw new Error("k8s.v1.cni.cncf.io/networks: JSON value must be an array");
    items = parsed as typeof items;
  } else {
    items = v.split(",").map((s) => {
      const [ref, itf] = s.trim().split("@");
      const parts = (ref ?? "").split("/");
      return parts.length === 2 ? { namespace: parts[0], name: parts[1] ?? "", interface: itf } : { name: parts[0] ?? "", interface: itf };
    });
  }
  return items.map((it, i) => {
    if (!it.name) throw new Error(`k8s.v1.cni.cncf.io/networks: element ${i} has no network name`);
    return { name: it.name, namespace: it.namespace ?? podNamespace, ifname: it.interface ?? `net${i + 1}` };
  });
}

/** A NetworkAttachmentDefinition's `spec.config`, either a conflist or a single plugin config. */
export function conflistFromNad(config: string, nadName: string): Conflist {
  const c = JSON.parse(config) as Record<string, unknown>;
  if (Array.isArray(c.plugins)) return c as unknown as Conflist;
  const { cniVersion, name, ...plugin } = c;
  return { cniVersion: String(cniVersion ?? "1.0.0"), name: String(name ?? nadName), plugins: [plugin] };
}

export async function additionalAttachments(api: ApiClient, pod: Pod): Promise<{ ifname: string; conflist: Conflist }[]> {
  const ann = pod.metadata.annotations?.["k8s.v1.cni.cncf.io/networks"];
  if (!ann) return [];
  const out: { ifname: string; conflist: Conflist }[] = [];
  for (const sel of parseNetworksAnnotation(ann, pod.metadata.namespace ?? "default")) {
    const nad = await api
      .get<{ spec?: { config?: string } }>(`/apis/k8s.cni.cncf.io/v1/namespaces/${sel.namespace}/network-attachment-definitions/${sel.name}`)
      .catch((e: Error) => {
        throw new Error(`cannot find a network-attachment-definition (${sel.name}) in namespace (${sel.namespace}): ${e.message}`);
      });
    out.push({ ifname: sel.ifname, conflist: conflistFromNad(nad.spec?.config ?? "{}", sel.name) });
  }
  return out;
}
