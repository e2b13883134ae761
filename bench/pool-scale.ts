/**
 * Pool scale (ours only): a /16 pool measured empty and again with N addresses allocated.
 *
 * The N addresses are claimed by writing the IPClaim objects our agent writes on ADD (same
 * helper, same labels, addresses chosen by the agent's own `pickAddress`), held by a few
 * Pending "holder" Pods so GC keeps them. Running N real ADDs through plugin processes would
 * cost about an hour of CPU on this shared machine and measure nothing the storms do not; what
 * scales with N — the agents' and watcher's caches, the pool status projection, object sizes,
 * the ADD path's lookups — is exercised the same way. The ADD latency at both ends is measured
 * with real plugin calls through the harness, one at a time.
 */
import type { ApiClient, KubeList } from "../lib/k8s/api-client.js";
import { createClaim, CLAIMS_PATH } from "../lib/k8s/claim-store.js";
import { pickAddress } from "../lib/core/net/address-pick.js";
import { formatAddress } from "../lib/core/net/address.js";
import { IntervalSet } from "../lib/core/net/interval-set.js";
import { CLAIM_LABELS } from "../lib/schemas/ip-claim.js";
import { scaleWindow } from "./address-window.js";
import type { BenchOptions } from "./options.js";
import { createPods, finalize, type BenchPod } from "./pods.js";
import { rssKiB } from "./process-usage.js";
import type { Progress } from "./progress.js";
import { Session, type RunEnv } from "./session.js";
import { deleteClaimsOfPool, type OurSystem } from "./system-ours.js";

const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";
/** etcd's default request limit is 1.5 MiB; the issue sets 256 KiB as the bar for any object. */
export const OBJECT_SIZE_LIMIT = 256 * 1024;

export interface ObjectSize {
  kind: string;
  name: string;
  bytes: number;
}

export interface PoolScaleResult {
  pool: string;
  allocated: number;
  addPhases: { empty: string; full: string };
  p99EmptyMs: number;
  p99FullMs: number;
  p99Ratio: number;
  withinTwoX: boolean;
  agentRssKiB: { empty: number[]; full: number[] };
  watcherRssKiB: { empty?: number; full?: number };
  largestObjects: ObjectSize[];
  largestObject: ObjectSize;
  allUnderLimit: boolean;
  kubectlGetSp: {
    output: string;
    allocatedIPCount: number;
    totalIPCount: number;
    correct: boolean;
  };
  fillSeconds: number;
}

export async function runPoolScale(
  env: RunEnv,
  opts: BenchOptions,
  ours: OurSystem,
  agentPids: () => number[],
  progress: Progress,
): Promise<PoolScaleResult> {
  const api = env.target.api;
  const w = scaleWindow();
  const pool = ours.poolName(w);
  const s = new Session(env, ours, w);
  await s.open();

  const emptyLabel = "scale ADD, pool empty";
  const empty = await s.addPods(opts.scaleSamples, "scale", emptyLabel, "sequential");
  await s.deletePods([...s.live], "scale", "scale DEL, pool empty", "sequential");
  const rssEmpty = agentPids().map(p => rssKiB(p) ?? 0);
  const watcherEmpty = env.target.pids.watcher ? rssKiB(env.target.pids.watcher) : undefined;

  const t0 = Date.now();
  const holders = await fill(api, env, pool, w.first, w.count, opts.scaleAddresses, progress);
  const fillSeconds = Math.round((Date.now() - t0) / 100) / 10;
  const status = await waitPoolCount(api, pool, opts.scaleAddresses, progress);

  const fullLabel = `scale ADD, ${opts.scaleAddresses} allocated`;
  const full = await s.addPods(opts.scaleSamples, "scale", fullLabel, "sequential");
  await waitPoolCount(api, pool, opts.scaleAddresses + full.stats.ok, progress);
  const getSp = env.target.kubectl(["get", "sp", pool]);
  const rssFull = agentPids().map(p => rssKiB(p) ?? 0);
  const watcherFull = env.target.pids.watcher ? rssKiB(env.target.pids.watcher) : undefined;
  const sizes = await objectSizes(api, env.namespace, pool);
  await s.deletePods(
    [...s.live],
    "scale",
    `scale DEL, ${opts.scaleAddresses} allocated`,
    "sequential",
  );

  await deleteClaimsOfPool(api, pool);
  await finalize(api, holders);

  const row = getSp.trim().split("\n")[1]?.trim().split(/\s+/) ?? [];
  const allocatedIPCount = Number(row[3]);
  const totalIPCount = Number(row[4]);
  const expectAllocated = opts.scaleAddresses + full.stats.ok;
  const p99EmptyMs = empty.stats.latency.p99;
  const p99FullMs = full.stats.latency.p99;
  sizes.sort((a, b) => b.bytes - a.bytes);
  return {
    pool,
    allocated: status,
    addPhases: { empty: emptyLabel, full: fullLabel },
    p99EmptyMs,
    p99FullMs,
    p99Ratio: Math.round((p99FullMs / p99EmptyMs) * 100) / 100,
    withinTwoX: p99FullMs <= 2 * p99EmptyMs,
    agentRssKiB: { empty: rssEmpty, full: rssFull },
    watcherRssKiB: { empty: watcherEmpty, full: watcherFull },
    largestObjects: sizes.slice(0, 5),
    largestObject: sizes[0]!,
    allUnderLimit: sizes.every(o => o.bytes <= OBJECT_SIZE_LIMIT),
    kubectlGetSp: {
      output: getSp.trim(),
      allocatedIPCount,
      totalIPCount,
      correct: allocatedIPCount === expectAllocated && totalIPCount === w.count,
    },
    fillSeconds,
  };
}

/** Claims `n` addresses of the pool for holder Pods (1000 NICs each), 32 writes at a time. */
async function fill(
  api: ApiClient,
  env: RunEnv,
  pool: string,
  first: bigint,
  count: number,
  n: number,
  progress: Progress,
): Promise<BenchPod[]> {
  const perHolder = 1000;
  const wanted = Array.from({ length: Math.ceil(n / perHolder) }, (_, i) => ({
    name: `scale-holder-${i}`,
    node: env.nodes[i % env.nodes.length]!.name,
  }));
  const holders = await createPods(api, env.namespace, "scale-holders", wanted);
  const usable = IntervalSet.of(4, [{ start: first, end: first + BigInt(count) - 1n }]);
  let taken = IntervalSet.empty(4);
  const plan: { holder: BenchPod; nic: string; value: bigint }[] = [];
  for (let i = 0; i < n; i++) {
    const holder = holders[Math.floor(i / perHolder)]!;
    const nic = `fill${i % perHolder}`;
    const value = pickAddress(usable, taken, `${holder.uid}/${nic}/4`, 16)!;
    taken = taken.union(IntervalSet.of(4, [{ start: value, end: value }]));
    plan.push({ holder, nic, value });
  }
  progress.start("scale: claiming addresses", n);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < plan.length) {
        const { holder, nic, value } = plan[next++]!;
        const spec = {
          address: formatAddress(value, 4),
          ipVersion: 4 as const,
          pool,
          podNamespace: holder.namespace,
          podName: holder.name,
          podUID: holder.uid,
          interface: nic,
          node: holder.node,
          containerID: "scale-fill",
        };
        const r = await createClaim(api, spec, value);
        progress.tick(r !== "taken");
      }
    }),
  );
  progress.stop();
  return holders;
}

/** Waits until the pool's status shows `n` allocated (the watcher coalesces its writes). */
async function waitPoolCount(
  api: ApiClient,
  pool: string,
  n: number,
  progress: Progress,
): Promise<number> {
  const deadline = Date.now() + 300_000;
  let seen = -1;
  while (Date.now() < deadline) {
    const p = await api.get<{ status?: { allocatedIPCount?: number } }>(`${POOLS}/${pool}`);
    seen = p.status?.allocatedIPCount ?? 0;
    if (seen >= n) return seen;
    await new Promise(r => setTimeout(r, 1000));
  }
  progress.note(`scale: pool ${pool} shows ${seen} allocated after 300 s, expected ${n}`);
  return seen;
}

/** Bytes of each object as the API server returns it as JSON (pool, claims, endpoints). */
async function objectSizes(api: ApiClient, namespace: string, pool: string): Promise<ObjectSize[]> {
  const bytes = (o: unknown) => Buffer.byteLength(JSON.stringify(o));
  const out: ObjectSize[] = [
    { kind: "SpiderIPPool", name: pool, bytes: bytes(await api.get(`${POOLS}/${pool}`)) },
  ];
  const list = async (kind: string, path: string, query: Record<string, string>) => {
    let cont: string | undefined;
    do {
      const page: KubeList<{ metadata: { name: string } }> & {
        metadata: { continue?: string };
        apiVersion?: string;
      } = await api.get(path, { ...query, limit: 2000, continue: cont });
      // A GET carries apiVersion and kind, a list item does not: add them back.
      for (const item of page.items)
        out.push({
          kind,
          name: item.metadata.name,
          bytes: bytes({ apiVersion: page.apiVersion, kind, ...item }),
        });
      cont = page.metadata.continue || undefined;
    } while (cont);
  };
  await list("IPClaim", CLAIMS_PATH, { labelSelector: `${CLAIM_LABELS.pool}=${pool}` });
  await list(
    "SpiderEndpoint",
    `/apis/spiderpool.spidernet.io/v2beta1/namespaces/${namespace}/spiderendpoints`,
    {},
  );
  return out;
}
