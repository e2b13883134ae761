/**
 * The cluster-scale benchmark's workload: address pools (IPv4, and IPv4 + IPv6 pairs for
 * dual-stack Pods), namespaces, and Deployments whose Pods name their pools by annotation and
 * can run only on the benchmark's nodes. The controller-manager makes the ReplicaSets and Pods,
 * the scheduler binds them; nothing here makes a Pod directly.
 */
import type { ApiClient } from "../lib/k8s/api-client.js";
import { K8sError } from "../lib/k8s/k8s-error.js";
import { ANNO_POD_IPPOOL } from "../lib/core/base/well-known-names.js";
import { BENCH_TAINT, RACK_LABEL, rackOf } from "./bench-nodes.js";
import { createNamespace } from "./pods.js";

export const POOLS_PATH = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";
/** Label of every Pod of one run: the harness's kubelet watches this. */
export const RUN_LABEL = "bench.spiderpool.io/cluster-run";

/** IPv4-only pools, then dual-stack pairs: 16 /20s of 10.220/16 and 4 /116s of fd22:220::/64. */
const V4_ONLY = 12;
const DUAL = 4;

export interface PoolPlan {
  v4: string;
  v6?: string;
  /** The rack its pools are bound to (`--racks`); none: cluster-wide. */
  rack?: string;
}

export interface DeploymentPlan {
  namespace: string;
  name: string;
  replicas: number;
  pools: PoolPlan;
}

export interface Workload {
  runId: string;
  namespaces: string[];
  pools: PoolPlan[];
  deployments: DeploymentPlan[];
}

/** Deployments of `perDeployment` replicas (the last takes the rest), round robin over namespaces and pools. */
export function planWorkload(
  runId: string,
  pods: number,
  perDeployment: number,
  namespaces: number,
  racks = 1,
): Workload {
  const ns = Array.from({ length: namespaces }, (_, i) => `scale-${runId}-ns${i + 1}`);
  const pools: PoolPlan[] = [
    ...Array.from({ length: V4_ONLY }, (_, k) => ({ v4: `scale-${runId}-v4-${k}` })),
    ...Array.from({ length: DUAL }, (_, k) => ({
      v4: `scale-${runId}-v4-${V4_ONLY + k}`,
      v6: `scale-${runId}-v6-${k}`,
    })),
  ].map((p: PoolPlan, k) => {
    const rack = rackOf(k, racks);
    return rack ? { ...p, rack } : p;
  });
  const deployments: DeploymentPlan[] = [];
  let v4 = 0;
  let dual = 0;
  for (let left = pods, i = 0; left > 0; i++) {
    const replicas = Math.min(perDeployment, left);
    left -= replicas;
    deployments.push({
      namespace: ns[i % ns.length]!,
      name: `d${i + 1}`,
      replicas,
      // Every third Deployment is dual stack.
      pools: i % 3 === 2 ? pools[V4_ONLY + (dual++ % DUAL)]! : pools[v4++ % V4_ONLY]!,
    });
  }
  return { runId, namespaces: ns, pools, deployments };
}

export function poolObjects(w: Workload): object[] {
  return w.pools.flatMap((p, k) => {
    const third = k * 16;
    const out: object[] = [
      pool(p.v4, 4, `10.220.${third}.0/20`, `10.220.${third}.1-10.220.${third + 15}.254`, p.rack),
    ];
    if (p.v6) {
      // Canonical text (RFC 5952): admission refuses any other spelling of a subnet.
      const prefix = k === V4_ONLY ? "fd22:220::" : `fd22:220:0:${k - V4_ONLY}::`;
      out.push(pool(p.v6, 6, `${prefix}/116`, `${prefix}1-${prefix}ffe`, p.rack));
    }
    return out;
  });
}

function pool(
  name: string,
  ipVersion: 4 | 6,
  subnet: string,
  range: string,
  rack?: string,
): object {
  return {
    apiVersion: "spiderpool.spidernet.io/v2beta1",
    kind: "SpiderIPPool",
    metadata: { name },
    spec: {
      ipVersion,
      subnet,
      ips: [range],
      ...(rack ? { nodeAffinity: { matchLabels: { [RACK_LABEL]: rack } } } : {}),
    },
  };
}

export function deploymentObject(runId: string, d: DeploymentPlan): object {
  const pools = JSON.stringify({
    ipv4: [d.pools.v4],
    ...(d.pools.v6 ? { ipv6: [d.pools.v6] } : {}),
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: d.name, namespace: d.namespace },
    spec: {
      replicas: d.replicas,
      selector: { matchLabels: { app: d.name } },
      template: {
        metadata: {
          labels: { app: d.name, [RUN_LABEL]: runId },
          annotations: { [ANNO_POD_IPPOOL]: pools },
        },
        spec: {
          nodeSelector: {
            [BENCH_TAINT]: "true",
            ...(d.pools.rack ? { [RACK_LABEL]: d.pools.rack } : {}),
          },
          tolerations: [{ operator: "Exists" }],
          // The harness's kubelet runs CNI DEL, then finalizes: this only bounds a stuck one.
          terminationGracePeriodSeconds: 600,
          containers: [{ name: "c", image: "registry.invalid/pause" }],
        },
      },
    },
  };
}

export async function createPools(api: ApiClient, w: Workload): Promise<void> {
  for (const p of poolObjects(w)) await api.create(POOLS_PATH, p);
}

export async function createNamespaces(api: ApiClient, w: Workload): Promise<void> {
  for (const ns of w.namespaces) await createNamespace(api, ns);
}

export async function createDeployments(api: ApiClient, w: Workload): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < w.deployments.length) {
        const d = w.deployments[next++]!;
        await api.create(
          `/apis/apps/v1/namespaces/${d.namespace}/deployments`,
          deploymentObject(w.runId, d),
        );
      }
    }),
  );
}

export async function deleteNamespaces(api: ApiClient, w: Workload): Promise<void> {
  for (const ns of w.namespaces) await api.delete(`/api/v1/namespaces/${ns}`).catch(ignoreNotFound);
}

/** Deletes the pools once their claims are gone (the watcher lifts the finalizer then). */
export async function deletePools(api: ApiClient, w: Workload, timeoutMs = 120_000): Promise<void> {
  const names = w.pools.flatMap(p => (p.v6 ? [p.v4, p.v6] : [p.v4]));
  for (const n of names) await api.delete(`${POOLS_PATH}/${n}`).catch(ignoreNotFound);
  const deadline = Date.now() + timeoutMs;
  for (const n of names) {
    while (Date.now() < deadline) {
      const gone = await api.get(`${POOLS_PATH}/${n}`).then(
        () => false,
        e => e instanceof K8sError && e.code === "not_found",
      );
      if (gone) break;
      await new Promise(r => setTimeout(r, 500));
    }
  }
}

function ignoreNotFound(e: unknown): void {
  if (!(e instanceof K8sError && e.code === "not_found")) throw e;
}
