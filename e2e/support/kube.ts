import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { kubectl } from "../cluster/cluster.js";
import { waitFor } from "./wait-for.js";

/** `kubectl apply` of a YAML text, as a user would run it. */
export function apply(yaml: string, extra: string[] = []): string {
  return kubectl(["apply", "-f", "-", ...extra], yaml);
}

export async function createNamespace(
  api: ApiClient,
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): Promise<void> {
  await api.create("/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels, annotations },
  });
  // Pods are refused until the controller-manager has created the default ServiceAccount.
  await waitFor(`ServiceAccount default in ${name}`, () =>
    api.get(`/api/v1/namespaces/${name}/serviceaccounts/default`).then(() => true),
  );
}

export async function deleteNamespace(api: ApiClient, name: string): Promise<void> {
  await api.delete(`/api/v1/namespaces/${name}`).catch(() => undefined);
}

export async function listPods(
  api: ApiClient,
  namespace: string,
  labelSelector?: string,
): Promise<Pod[]> {
  const l = await api.get<KubeList<Pod>>(`/api/v1/namespaces/${namespace}/pods`, { labelSelector });
  return l.items;
}

export function isRunning(p: Pod): boolean {
  return (
    p.status?.phase === "Running" &&
    !p.metadata.deletionTimestamp &&
    (p.status.podIPs?.length ?? 0) > 0
  );
}

/** Waits until exactly `count` pods match and all are Running with addresses. */
export function waitRunning(
  api: ApiClient,
  namespace: string,
  labelSelector: string,
  count: number,
  timeoutMs = 90_000,
): Promise<Pod[]> {
  return waitFor(
    `${count} running pods ${labelSelector} in ${namespace}`,
    async () => {
      const pods = (await listPods(api, namespace, labelSelector)).filter(
        p => !p.metadata.deletionTimestamp,
      );
      return pods.length === count && pods.every(isRunning) ? pods : undefined;
    },
    timeoutMs,
  );
}

export function waitGone(
  api: ApiClient,
  namespace: string,
  labelSelector: string,
  timeoutMs = 60_000,
): Promise<true> {
  return waitFor(
    `no pods ${labelSelector} in ${namespace}`,
    async () => (await listPods(api, namespace, labelSelector)).length === 0,
    timeoutMs,
  );
}

/** Warning events recorded on a pod, newest last. */
export async function podEvents(
  api: ApiClient,
  namespace: string,
  podName: string,
): Promise<{ reason: string; message: string }[]> {
  const l = await api.get<
    KubeList<{ reason: string; message: string; involvedObject: { name: string } }>
  >(`/api/v1/namespaces/${namespace}/events`, {
    fieldSelector: `involvedObject.name=${podName}`,
  });
  return l.items;
}
