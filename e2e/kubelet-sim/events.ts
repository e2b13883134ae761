import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";

/** Records a core/v1 Event on a pod, as the kubelet does; a failure to record is not fatal. */
export async function recordPodEvent(
  api: ApiClient,
  pod: Pod,
  node: string,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const ns = pod.metadata.namespace ?? "default";
  await api
    .create(`/api/v1/namespaces/${ns}/events`, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: `${pod.metadata.name}.`, namespace: ns },
      involvedObject: {
        apiVersion: "v1",
        kind: "Pod",
        name: pod.metadata.name,
        namespace: ns,
        uid: pod.metadata.uid,
      },
      reason,
      message: message.slice(0, 1024),
      type,
      source: { component: "kubelet", host: node },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    })
    .catch(() => undefined);
}
