/**
 * The Pod objects behind every CNI call, made the same way for every system: bound to a
 * benchmark node by `spec.nodeName` (no scheduler), tolerating every taint, never started (no
 * kubelet runs them, so they stay Pending and nothing else writes them). Deletion follows the
 * kubelet's order: the Pod is marked Terminating with a long grace period, the harness runs
 * CNI DEL, then the Pod is finalized.
 */
import type { ApiClient, KubeList } from "../lib/k8s/api-client.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import { K8sError } from "../lib/k8s/k8s-error.js";

export const BATCH_LABEL = "bench.spiderpool.io/batch";

/** Long enough that our GC never judges a Pod Terminating past its grace during a DEL storm. */
const TERMINATING_GRACE_SECONDS = 3600;

export interface BenchPod {
  namespace: string;
  name: string;
  uid: string;
  node: string;
}

export async function createNamespace(api: ApiClient, name: string): Promise<void> {
  await api.create("/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { [BATCH_LABEL]: "namespace" } },
  });
  // Pods are refused until the controller-manager has made the default ServiceAccount.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await api.get(`/api/v1/namespaces/${name}/serviceaccounts/default`);
      return;
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error(
          `namespace ${name}: no default ServiceAccount after 60 s (${(e as Error).message})`,
        );
      await sleep(250);
    }
  }
}

/** Creates the Pods, `parallel` requests at a time; returns them with their UIDs. */
export async function createPods(
  api: ApiClient,
  namespace: string,
  batch: string,
  wanted: { name: string; node: string }[],
  parallel = 16,
): Promise<BenchPod[]> {
  const out: BenchPod[] = new Array(wanted.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, wanted.length) }, async () => {
      while (next < wanted.length) {
        const i = next++;
        const w = wanted[i]!;
        const pod = await api.create<Pod>(
          `/api/v1/namespaces/${namespace}/pods`,
          manifest(namespace, w.name, w.node, batch),
        );
        out[i] = { namespace, name: w.name, uid: pod.metadata.uid!, node: w.node };
      }
    }),
  );
  return out;
}

function manifest(namespace: string, name: string, node: string, batch: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { [BATCH_LABEL]: batch } },
    spec: {
      nodeName: node,
      tolerations: [{ operator: "Exists" }],
      terminationGracePeriodSeconds: TERMINATING_GRACE_SECONDS,
      containers: [{ name: "c", image: "registry.invalid/pause" }],
    },
  };
}

/** Marks Pods Terminating (what `kubectl delete` does); they stay until finalized. */
export async function markTerminating(
  api: ApiClient,
  pods: BenchPod[],
  parallel = 16,
): Promise<void> {
  await eachParallel(pods, parallel, p =>
    ignoreNotFound(
      api.request("DELETE", podPath(p), {
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          gracePeriodSeconds: TERMINATING_GRACE_SECONDS,
          preconditions: { uid: p.uid },
        },
      }),
    ),
  );
}

/** The kubelet's last step after the sandbox is gone: delete with grace 0. */
export async function finalize(api: ApiClient, pods: BenchPod[], parallel = 16): Promise<void> {
  await eachParallel(pods, parallel, p =>
    ignoreNotFound(
      api.request("DELETE", podPath(p), {
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          gracePeriodSeconds: 0,
          preconditions: { uid: p.uid },
        },
      }),
    ),
  );
}

/** How many Pods of a batch still exist (cheap: one page of one item plus the remaining count). */
export async function countBatch(
  api: ApiClient,
  namespace: string,
  batch: string,
): Promise<number> {
  const l = await api.get<KubeList<Pod> & { metadata: { remainingItemCount?: number } }>(
    `/api/v1/namespaces/${namespace}/pods`,
    { labelSelector: `${BATCH_LABEL}=${batch}`, limit: 1 },
  );
  return l.items.length + (l.metadata.remainingItemCount ?? 0);
}

function podPath(p: BenchPod): string {
  return `/api/v1/namespaces/${p.namespace}/pods/${p.name}`;
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof K8sError && (e.code === "not_found" || e.code === "conflict"))) throw e;
  }
}

async function eachParallel<T>(
  items: T[],
  parallel: number,
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}
