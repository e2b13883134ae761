import type { ApiClient } from "../../lib/k8s/api-client.js";

export interface NodeIdentity {
  name: string;
  address: string;
  labels: Record<string, string>;
}

/** Lease renewTime is a MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function conditions(now: string) {
  const c = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return [
    c(
      "MemoryPressure",
      "False",
      "KubeletHasSufficientMemory",
      "kubelet has sufficient memory available",
    ),
    c("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    c("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    c("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
  ];
}

/** Creates the Node (or refreshes its labels) and posts a full Ready status. */
export async function registerNode(api: ApiClient, id: NodeIdentity): Promise<string> {
  const labels = {
    "kubernetes.io/hostname": id.name,
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": "amd64",
    ...id.labels,
  };
  let uid: string;
  try {
    const node = await api.create<{ metadata: { uid: string } }>("/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: id.name, labels },
    });
    uid = node.metadata.uid;
  } catch (e) {
    if ((e as { code?: string }).code !== "already_exists") throw e;
    const node = await api.patch<{ metadata: { uid: string } }>(`/api/v1/nodes/${id.name}`, {
      metadata: { labels },
    });
    uid = node.metadata.uid;
  }
  await postStatus(api, id);
  return uid;
}

export async function postStatus(api: ApiClient, id: NodeIdentity): Promise<void> {
  const resources = { cpu: "32", memory: "64Gi", pods: "500", "ephemeral-storage": "100Gi" };
  await api.patch(
    `/api/v1/nodes/${id.name}/status`,
    {
      status: {
        capacity: resources,
        allocatable: resources,
        addresses: [
          { type: "InternalIP", address: id.address },
          { type: "Hostname", address: id.name },
        ],
        conditions: conditions(new Date().toISOString().replace(/\.\d{3}Z$/, "Z")),
        nodeInfo: {
          kubeletVersion: "v1.36.3",
          kubeProxyVersion: "",
          containerRuntimeVersion: "sim://0.1",
          operatingSystem: "linux",
          architecture: "amd64",
          osImage: "spiderpool kubelet simulator",
          kernelVersion: "",
          machineID: id.name,
          systemUUID: id.name,
          bootID: id.name,
        },
      },
    },
    "strategic",
  );
}

/** Creates or renews the node's Lease; the node-lifecycle controller watches renewTime. */
export async function renewLease(api: ApiClient, node: string, nodeUid: string): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`;
  const spec = { holderIdentity: node, leaseDurationSeconds: 40, renewTime: microTime() };
  try {
    await api.patch(path, { spec });
  } catch (e) {
    if ((e as { code?: string }).code !== "not_found") throw e;
    await api.create("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: node,
        namespace: "kube-node-lease",
        ownerReferences: [{ apiVersion: "v1", kind: "Node", name: node, uid: nodeUid }],
      },
      spec,
    });
  }
}
