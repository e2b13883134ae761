/**
 * One cluster-scale run (docs/concepts/scale.md): N simulated nodes each with its own agent
 * process, P Pods as Deployments over many namespaces and pools, then churn, then everything
 * deleted; per phase the CNI calls, the IPAM requests the API server counted, what each agent's
 * watches received, and the CPU and memory of agents, watcher, kube-apiserver and etcd.
 * Imported only after SPIDERPOOL_CLUSTER_DIR is set (bench/cluster.ts).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { KubeList, Stored } from "../lib/k8s/api-client.js";
import { CLAIMS_PATH } from "../lib/k8s/claim-store.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import { CLAIM_LABELS, type IPClaim } from "../lib/schemas/ip-claim.js";
import { paths, repoRoot } from "../e2e/cluster/paths.js";
import { delta, scrapeRequests } from "./api-requests.js";
import { BenchNodes } from "./bench-nodes.js";
import { ClusterKubelet, type KubeletCall } from "./cluster-kubelet.js";
import type { ClusterBenchOptions } from "./cluster-options.js";
import {
  ipamRequests,
  summarizeCalls,
  watchCost,
  type CallSummary,
  type IpamRequests,
  type WatchCost,
} from "./cluster-summary.js";
import { scrapeAgentTallies, tallyDelta, UsageSampler, type GroupUsage } from "./cluster-usage.js";
import {
  createDeployments,
  createNamespaces,
  createPools,
  deleteNamespaces,
  deletePools,
  planWorkload,
  type Workload,
} from "./cluster-workload.js";
import { openCluster } from "./cluster-target.js";
import { MachineGate, memAvailableMiB } from "./launch-gate.js";
import { machineInfo } from "./machine.js";
import { AddressLedger } from "./phase-summary.js";
import { runClock } from "./plugin-exec.js";
import { Progress } from "./progress.js";

/** What one agent process may grow to during a run (MiB), for the memory check at start. */
const AGENT_BUDGET_MIB = 150;

export interface ClusterPhase {
  name: "create" | "churn" | "delete";
  wallMs: number;
  adds: CallSummary;
  dels: CallSummary;
  requests: IpamRequests;
  apiRequestsPerAdd: number;
  watchPer: "ADD" | "DEL";
  watch: WatchCost;
  usage: Record<string, GroupUsage>;
  duplicates: number;
}

export interface ClusterResults {
  schema: "pepr-spiderpool/cluster-bench/v1";
  runId: string;
  mode: "quick" | "full";
  startedAt: string;
  finishedAt: string;
  nodes: number;
  pods: number;
  /** IPAM API requests per ADD while the Pods were created (the target of issue 18). */
  apiRequestsPerAdd: number;
  duplicates: number;
  /** Claims of the run's pools left after every Pod was deleted, plus addresses whose DEL failed. */
  leaks: number;
  agentMode: string;
  wallMs: number;
  addP50Ms: number;
  addP99Ms: number;
  conflicts409: number;
  failures: number;
  retries: number;
  workload: {
    namespaces: number;
    deployments: number;
    pools: number;
    dualStackDeployments: number;
  };
  options: Omit<ClusterBenchOptions, "clusterDir" | "out">;
  machine: ReturnType<typeof machineInfo>;
  agentIdleRssMiB: number;
  memAvailableMiB: { before: number; afterAgents: number };
  phases: ClusterPhase[];
  leakDetail: { claimsLeft: number; heldAfterDels: number };
  error?: string;
}

export async function runClusterBench(opts: ClusterBenchOptions): Promise<ClusterResults> {
  if (path.resolve(paths.state) !== path.join(opts.clusterDir, "state.json"))
    throw new Error(
      `internal: SPIDERPOOL_CLUSTER_DIR must be set before loading bench/cluster-run.ts`,
    );
  const progress = new Progress();
  const target = openCluster(opts.clusterDir);
  const api = target.api;
  const runId = crypto.randomBytes(2).toString("hex");
  const startedAt = new Date().toISOString();
  const t0 = runClock();
  const w = planWorkload(runId, opts.pods, opts.replicasPerDeployment, opts.namespaces, opts.racks);
  progress.note(
    `cluster run ${runId} (${opts.mode}): ${opts.nodes} nodes, ${opts.pods} pods in ${w.deployments.length} Deployments over ${w.namespaces.length} namespaces and ${w.pools.length} pools`,
  );
  const nodes = new BenchNodes(api, runId, opts.nodes, opts.racks);
  const calls: KubeletCall[] = [];
  const ledger = new AddressLedger();
  const memBefore = Math.round(memAvailableMiB());
  let memAfterAgents = memBefore;
  let agentIdle = 0;
  const phases: ClusterPhase[] = [];
  let failure: Error | undefined;
  let kubelet: ClusterKubelet | undefined;
  let leakDetail = { claimsLeft: -1, heldAfterDels: -1 };
  const logFile = path.join(target.dir, "logs", `bench-cluster-${runId}-cni.log`);

  try {
    progress.note(`registering ${opts.nodes} simulated nodes`);
    await nodes.register();
    // An idle agent takes about 100 MiB; with room for growth and the rest of the machine.
    const needMiB = opts.nodes * AGENT_BUDGET_MIB + 2048;
    if (memBefore < needMiB)
      throw new Error(
        `${opts.nodes} agent processes need about ${needMiB} MiB, ${memBefore} MiB available; run fewer --nodes`,
      );
    progress.note(`starting ${opts.nodes} agents, one process each`);
    await nodes.startAgents(l => progress.note(l));
    memAfterAgents = Math.round(memAvailableMiB());
    const agents = nodes.nodes.map(n => n.agent!);
    const idle = new UsageSampler({ agents: agents.map(a => a.pid) }, 60_000).stop();
    agentIdle = idle.agents!.maxRssMiB;
    progress.note(`agents up: largest RSS ${agentIdle} MiB, ${memAfterAgents} MiB available`);
    await createPools(api, w);
    await createNamespaces(api, w);
    kubelet = new ClusterKubelet(
      {
        api,
        runId,
        nodes: nodes.nodes,
        exe: target.ourPlugin,
        cniPath: target.goPluginDir,
        logFile,
        perNode: opts.perNode,
        gate: new MachineGate(opts.maxProcs, 1024),
        timeoutMs: 120_000,
        onCall: c => {
          calls.push(c);
          if (c.op === "ADD" && c.ok) for (const a of c.addresses) ledger.add(c.pod, a);
          if (c.op === "DEL" && c.ok) ledger.release(c.pod);
        },
      },
      runClock,
    );
    await kubelet.start();
    // Every agent must have the pools in its cache before the first ADD names them.
    await sleep(3000);
    const k = kubelet;
    const groups = {
      agents: agents.map(a => a.pid),
      watcher: target.pids.watcher ? [target.pids.watcher] : [],
      apiserver: target.pids.apiserver ? [target.pids.apiserver] : [],
      etcd: target.pids.etcd ? [target.pids.etcd] : [],
    };
    const healthPorts = agents.map(a => (a as unknown as { healthPort: number }).healthPort);
    const phase = async (name: ClusterPhase["name"], act: () => Promise<() => boolean>) => {
      const before = await scrapeRequests(api);
      const tallies0 = await Promise.all(healthPorts.map(scrapeAgentTallies));
      const sampler = new UsageSampler(groups);
      const first = calls.length;
      const dup0 = ledger.duplicates.length;
      const start = runClock();
      const done = await act();
      await waitUntil(name, done, opts.phaseTimeoutMs, progress, () => {
        const c = calls.slice(first);
        return `${name}: ${k.upCount()} up, ${k.podCount()} pods, ${c.filter(x => x.op === "ADD").length} ADDs, ${c.filter(x => x.op === "DEL").length} DELs, ${c.filter(x => !x.ok).length} failed`;
      });
      const wallMs = Math.round(runClock() - start);
      const usage = sampler.stop();
      const tallies1 = await Promise.all(healthPorts.map(scrapeAgentTallies));
      const after = await scrapeRequests(api);
      const mine = calls.slice(first);
      const adds = mine.filter(c => c.op === "ADD");
      const requests = ipamRequests(delta(before, after));
      const p: ClusterPhase = {
        name,
        wallMs,
        adds: summarizeCalls(adds),
        dels: summarizeCalls(mine.filter(c => c.op === "DEL")),
        requests,
        apiRequestsPerAdd: adds.length ? round2(requests.total / adds.length) : 0,
        // The delete phase has no ADD: its watch cost is counted per DEL.
        watchPer: adds.length ? "ADD" : "DEL",
        watch: watchCost(
          tallies1.map((t, i) => tallyDelta(tallies0[i]!, t)),
          adds.length || mine.length,
        ),
        usage,
        duplicates: ledger.duplicates.length - dup0,
      };
      phases.push(p);
      progress.note(
        `${name}: ${Math.round(wallMs / 1000)} s, ${adds.length} ADDs (p50 ${p.adds.p50Ms} ms, p99 ${p.adds.p99Ms} ms), ${p.apiRequestsPerAdd} IPAM requests per ADD, ${p.watch.bytesPerAgentPerAdd} watch bytes per agent per ADD, agent RSS max ${usage.agents?.maxRssMiB} MiB`,
      );
    };

    await phase("create", async () => {
      await createDeployments(api, w);
      return () => k.settled() && k.upCount() + k.failedCount() === opts.pods;
    });
    await phase("churn", async () => {
      const victims = k.upPods().slice(0, Math.round(opts.pods * opts.churn));
      await eachParallel(victims, 16, v =>
        api
          .delete(`/api/v1/namespaces/${v.namespace}/pods/${v.name}`)
          .then(() => undefined)
          .catch(() => undefined),
      );
      const names = new Set(victims.map(v => `${v.namespace}/${v.name}`));
      return () =>
        k.settled() &&
        k.upCount() + k.failedCount() === opts.pods &&
        [...names].every(n => k.isGone(n));
    });
    await phase("delete", async () => {
      await deleteNamespaces(api, w);
      return () => k.podCount() === 0 && k.settled() && k.upCount() === 0;
    });
    leakDetail = {
      claimsLeft: await claimsLeft(api, w),
      heldAfterDels: ledger.held().size,
    };
  } catch (e) {
    failure = e as Error;
    progress.note(`run failed: ${failure.message}`);
  } finally {
    progress.note("tearing down");
    kubelet?.stop();
    await deleteNamespaces(api, w).catch(() => undefined);
    await waitNamespacesGone(api, w).catch(() => undefined);
    await deletePools(api, w).catch((e: Error) => progress.note(`pools: ${e.message}`));
    await nodes.remove().catch((e: Error) => progress.note(`removing nodes: ${e.message}`));
  }

  const adds = calls.filter(c => c.op === "ADD");
  const all = summarizeCalls(adds);
  const create = phases.find(p => p.name === "create");
  const results: ClusterResults = {
    schema: "pepr-spiderpool/cluster-bench/v1",
    runId,
    mode: opts.mode,
    startedAt,
    finishedAt: new Date().toISOString(),
    nodes: opts.nodes,
    pods: opts.pods,
    apiRequestsPerAdd: create?.apiRequestsPerAdd ?? 0,
    duplicates: ledger.duplicates.length,
    leaks: Math.max(0, leakDetail.claimsLeft) + Math.max(0, leakDetail.heldAfterDels),
    agentMode:
      "one agent process per simulated node (the DaemonSet's bundle, as cluster:up starts it)",
    wallMs: Math.round(runClock() - t0),
    addP50Ms: all.p50Ms,
    addP99Ms: all.p99Ms,
    conflicts409: phases.reduce((s, p) => s + p.requests.conflicts409, 0),
    failures: calls.filter(c => !c.ok).length,
    retries: kubelet?.retries ?? 0,
    workload: {
      namespaces: w.namespaces.length,
      deployments: w.deployments.length,
      pools: w.pools.reduce((s, p) => s + (p.v6 ? 2 : 1), 0),
      dualStackDeployments: w.deployments.filter(d => d.pools.v6).length,
    },
    options: {
      mode: opts.mode,
      nodes: opts.nodes,
      pods: opts.pods,
      replicasPerDeployment: opts.replicasPerDeployment,
      namespaces: opts.namespaces,
      churn: opts.churn,
      perNode: opts.perNode,
      racks: opts.racks,
      maxProcs: opts.maxProcs,
      phaseTimeoutMs: opts.phaseTimeoutMs,
    },
    machine: machineInfo(),
    agentIdleRssMiB: agentIdle,
    memAvailableMiB: { before: memBefore, afterAgents: memAfterAgents },
    phases,
    leakDetail,
    ...(failure ? { error: failure.stack ?? failure.message } : {}),
  };
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(`${opts.out}.tmp`, JSON.stringify(results, null, 1) + "\n");
  fs.renameSync(`${opts.out}.tmp`, opts.out);
  progress.note(`results: ${path.relative(repoRoot, opts.out)}`);
  api.close();
  if (failure) throw failure;
  return results;
}

/** Claims of the run's pools still stored, once the watcher had a minute to catch up. */
async function claimsLeft(
  api: ReturnType<typeof openCluster>["api"],
  w: Workload,
): Promise<number> {
  const pools = w.pools.flatMap(p => (p.v6 ? [p.v4, p.v6] : [p.v4]));
  let left = 0;
  const deadline = Date.now() + 60_000;
  do {
    left = 0;
    for (const pool of pools) {
      const l = await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, {
        labelSelector: `${CLAIM_LABELS.pool}=${pool}`,
      });
      left += l.items.length;
    }
    if (!left) return 0;
    await sleep(2000);
  } while (Date.now() < deadline);
  return left;
}

async function waitNamespacesGone(api: ReturnType<typeof openCluster>["api"], w: Workload) {
  const deadline = Date.now() + 120_000;
  for (const ns of w.namespaces) {
    while (Date.now() < deadline) {
      const pods = await api
        .get<KubeList<Pod>>(`/api/v1/namespaces/${ns}/pods`, { limit: 1 })
        .catch(() => ({ items: [] }));
      if (!pods.items.length) break;
      // Whatever the kubelet left Terminating (a failed run) goes now.
      await api
        .request("DELETE", `/api/v1/namespaces/${ns}/pods`, {
          body: { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0 },
        })
        .catch(() => undefined);
      await sleep(1000);
    }
  }
}

async function waitUntil(
  what: string,
  done: () => boolean,
  timeoutMs: number,
  progress: Progress,
  status: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastNote = Date.now();
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not settled after ${timeoutMs / 1000} s (${status()})`);
    if (Date.now() - lastNote > 15_000) {
      progress.note(status());
      lastNote = Date.now();
    }
    await sleep(250);
  }
}

async function eachParallel<T>(items: T[], n: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}
