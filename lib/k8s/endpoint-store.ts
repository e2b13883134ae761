import type { KubeApi, Stored } from "./api-client.js";
import type { IPAllocationDetail, SpiderEndpoint } from "../schemas/endpoint.js";
import { K8sError } from "./k8s-error.js";
import { SPIDERPOOL_API_VERSION, SPIDERPOOL_GROUP } from "../core/base/well-known-names.js";

export const FINALIZER = SPIDERPOOL_GROUP;

export function endpointPath(namespace: string, name?: string): string {
  return `/apis/${SPIDERPOOL_GROUP}/v2beta1/namespaces/${namespace}/spiderendpoints${name ? `/${name}` : ""}`;
}

export async function getEndpoint(
  api: KubeApi,
  namespace: string,
  name: string,
): Promise<Stored<SpiderEndpoint> | undefined> {
  try {
    return await api.get<Stored<SpiderEndpoint>>(endpointPath(namespace, name));
  } catch (e) {
    if (e instanceof K8sError && e.code === "not_found") return undefined;
    throw e;
  }
}

export interface EndpointWrite {
  namespace: string;
  name: string;
  podUid: string;
  node: string;
  details: IPAllocationDetail[];
  ownerControllerType: string;
  ownerControllerName: string;
  /** Omitted for StatefulSet Pods, whose endpoint must outlive each Pod incarnation. */
  ownerPod?: { name: string; uid: string };
}

/**
 * Records a Pod's addresses in its SpiderEndpoint: created when absent (one request); when present for the
 * same Pod UID the new NICs are appended; when present for an older Pod of the same name it is
 * replaced. Writes carry the read resourceVersion, so concurrent writers retry instead of losing
 * a NIC.
 */
export async function upsertEndpoint(
  api: KubeApi,
  w: EndpointWrite,
): Promise<Stored<SpiderEndpoint>> {
  // Most ADDs are a Pod's first: try the CREATE before paying a read; 409 means read and merge.
  try {
    return await api.create<Stored<SpiderEndpoint>>(
      endpointPath(w.namespace),
      merged(undefined, w),
    );
  } catch (e) {
    if (!(e instanceof K8sError && e.code === "already_exists")) throw e;
  }
  for (let attempt = 0; ; attempt++) {
    const current = await getEndpoint(api, w.namespace, w.name);
    const body = merged(current, w);
    try {
      if (!current)
        return await api.create<Stored<SpiderEndpoint>>(endpointPath(w.namespace), body);
      return await api.replace<Stored<SpiderEndpoint>>(endpointPath(w.namespace, w.name), body);
    } catch (e) {
      const retry = e instanceof K8sError && (e.code === "conflict" || e.code === "already_exists");
      if (!retry || attempt >= 5) throw e;
    }
  }
}

function merged(current: Stored<SpiderEndpoint> | undefined, w: EndpointWrite): SpiderEndpoint {
  const sameOwner = current?.status?.current.uid === w.podUid;
  const kept = sameOwner
    ? (current?.status?.current.ips ?? []).filter(
        d => !w.details.some(n => n.interface === d.interface),
      )
    : [];
  const metadata: SpiderEndpoint["metadata"] = {
    ...(current?.metadata ?? {}),
    name: w.name,
    namespace: w.namespace,
    finalizers: [...new Set([...(current?.metadata.finalizers ?? []), FINALIZER])],
    ownerReferences: w.ownerPod
      ? [{ apiVersion: "v1", kind: "Pod", name: w.ownerPod.name, uid: w.ownerPod.uid }]
      : [],
  };
  return {
    apiVersion: SPIDERPOOL_API_VERSION,
    kind: "SpiderEndpoint",
    metadata,
    status: {
      current: { uid: w.podUid, node: w.node, ips: [...kept, ...w.details] },
      ownerControllerType: w.ownerControllerType,
      ownerControllerName: w.ownerControllerName,
    },
  } as SpiderEndpoint;
}

/** Drops our finalizer so the endpoint can go (with its Pod, through the ownerReference). */
export async function releaseEndpoint(
  api: KubeApi,
  ep: Stored<SpiderEndpoint>,
  alsoDelete: boolean,
): Promise<void> {
  const path = endpointPath(ep.metadata.namespace ?? "", ep.metadata.name ?? "");
  try {
    if (alsoDelete && !ep.metadata.deletionTimestamp) await api.delete(path);
    const fins = ep.metadata.finalizers ?? [];
    if (fins.includes(FINALIZER)) {
      // resourceVersion makes the list replacement conditional (409 if someone changed it).
      await api.patch(
        path,
        {
          metadata: {
            resourceVersion: ep.metadata.resourceVersion,
            finalizers: fins.filter(f => f !== FINALIZER),
          },
        },
        "merge",
      );
    }
  } catch (e) {
    if (e instanceof K8sError && e.code === "not_found") return;
    throw e;
  }
}

/**
 * CNI DEL's endpoint step: lets go of the endpoint of Pod incarnation `uid` (and deletes it when
 * `alsoDelete`); an endpoint of another incarnation is left alone. For an ordinary Pod this is
 * one request when the endpoint looks as the agent wrote it: a JSON patch that tests the Pod UID
 * and the finalizer list, then removes the finalizer. Any other shape (another incarnation's
 * endpoint, extra finalizers, no status) makes a test fail and falls back to reading the
 * endpoint and deciding on what it holds.
 */
export async function releaseEndpointOf(
  api: KubeApi,
  namespace: string,
  name: string,
  uid: string,
  alsoDelete: boolean,
): Promise<void> {
  if (!alsoDelete) {
    const patch = [
      { op: "test", path: "/status/current/uid", value: uid },
      { op: "test", path: "/metadata/finalizers", value: [FINALIZER] },
      { op: "remove", path: "/metadata/finalizers" },
    ];
    try {
      await api.patch(endpointPath(namespace, name), patch, "json");
      return;
    } catch (e) {
      if (e instanceof K8sError && e.code === "not_found") return;
      // A failed test (422) or anything unexpected: the read-then-write path below decides.
    }
  }
  const ep = await getEndpoint(api, namespace, name);
  if (ep && (ep.status?.current.uid === uid || !ep.status))
    await releaseEndpoint(api, ep, alsoDelete);
}
