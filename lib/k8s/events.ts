import type { KubeApi, KubeObject } from "./api-client.js";

/**
 * Records a core/v1 Event on an object, for `kubectl describe` and `kubectl get events`. Events
 * of cluster-scoped objects live in `default`, as the API server's own do. Never throws: an
 * Event is a courtesy, and losing one must not fail the work it reports.
 */
export async function recordEvent(
  api: KubeApi,
  object: KubeObject & { apiVersion?: string; kind?: string },
  type: "Normal" | "Warning",
  reason: string,
  message: string,
  component = "spiderpool-controller",
): Promise<void> {
  const ns = object.metadata.namespace ?? "default";
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  await api
    .create(`/api/v1/namespaces/${ns}/events`, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { generateName: `${object.metadata.name}.`, namespace: ns },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
      },
      reason,
      message: message.slice(0, 1024),
      type,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    })
    .catch(() => undefined);
}
