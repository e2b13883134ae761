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
    if (!Array.isArray(parsed))
      throw new Error("k8s.v1.cni.cncf.io/networks: JSON value must be an array");
    items = parsed as typeof items;
  } else {
    items = v.split(",").map(s => {
      const [ref, itf] = s.trim().split("@");
      const parts = (ref ?? "").split("/");
      return parts.length === 2
        ? { namespace: parts[0], name: parts[1] ?? "", interface: itf }
        : { name: parts[0] ?? "", interface: itf };
    });
  }
  return items.map((it, i) => {
    if (!it.name) throw new Error(`k8s.v1.cni.cncf.io/networks: element ${i} has no network name`);
    return {
      name: it.name,
      namespace: it.namespace ?? podNamespace,
      ifname: it.interface ?? `net${i + 1}`,
    };
  });
}

/** A NetworkAttachmentDefinition's `spec.config`, either a conflist or a single plugin config. */
export function conflistFromNad(config: string, nadName: string): Conflist {
  const c = JSON.parse(config) as Record<string, unknown>;
  if (Array.isArray(c.plugins)) return c as unknown as Conflist;
  const { cniVersion, name, ...plugin } = c;
  return {
    cniVersion: String(cniVersion ?? "1.0.0"),
    name: String(name ?? nadName),
    plugins: [plugin],
  };
}

/** Spiderpool's default agent socket, a node-local path on a real node. */
const DEFAULT_SOCKET = "/var/run/spidernet/spiderpool.sock";

/**
 * On a real node a NAD's `spiderpool` IPAM reaches that node's agent through the default socket
 * path, which every node has locally. Simulated nodes share one filesystem, so each node points
 * NAD attachments that leave the socket (and log file) at Spiderpool's defaults to its own agent,
 * taken from the node's default network. Explicit non-default values are kept.
 */
export function localizeSpiderpoolIpam(
  list: Conflist,
  nodeIpam: Record<string, unknown> | undefined,
): Conflist {
  if (!nodeIpam) return list;
  const plugins = list.plugins.map(p => {
    const ipam = p.ipam as Record<string, unknown> | undefined;
    if (ipam?.type !== "spiderpool") return p;
    const local = { ...ipam };
    if (local.ipam_unix_socket_path === undefined || local.ipam_unix_socket_path === DEFAULT_SOCKET)
      local.ipam_unix_socket_path = nodeIpam.ipam_unix_socket_path;
    if (local.log_file_path === undefined && nodeIpam.log_file_path !== undefined)
      local.log_file_path = nodeIpam.log_file_path;
    return { ...p, ipam: local };
  });
  return { ...list, plugins };
}

/** The `spiderpool` IPAM section of a conflist's first plugin that has one. */
export function spiderpoolIpamOf(list: Conflist): Record<string, unknown> | undefined {
  return list.plugins
    .map(p => p.ipam as Record<string, unknown> | undefined)
    .find(i => i?.type === "spiderpool");
}

export async function additionalAttachments(
  api: ApiClient,
  pod: Pod,
  nodeIpam?: Record<string, unknown>,
): Promise<{ ifname: string; conflist: Conflist }[]> {
  const ann = pod.metadata.annotations?.["k8s.v1.cni.cncf.io/networks"];
  if (!ann) return [];
  const out: { ifname: string; conflist: Conflist }[] = [];
  for (const sel of parseNetworksAnnotation(ann, pod.metadata.namespace ?? "default")) {
    const nad = await api
      .get<{
        spec?: { config?: string };
      }>(
        `/apis/k8s.cni.cncf.io/v1/namespaces/${sel.namespace}/network-attachment-definitions/${sel.name}`,
      )
      .catch((e: Error) => {
        throw new Error(
          `cannot find a network-attachment-definition (${sel.name}) in namespace (${sel.namespace}): ${e.message}`,
        );
      });
    out.push({
      ifname: sel.ifname,
      conflist: localizeSpiderpoolIpam(
        conflistFromNad(nad.spec?.config ?? "{}", sel.name),
        nodeIpam,
      ),
    });
  }
  return out;
}
