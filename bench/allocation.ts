/**
 * Allocation latency on an idle local cluster (`npm run bench:allocation`): CNI ADD from
 * plugin exec to exit, plugin start-up alone (VERSION), the same ADD at the agent socket (no
 * process start), DEL, the agent's RSS after the ADDs, and API requests per ADD from
 * kube-apiserver's own counters. Uses the cluster in SPIDERPOOL_CLUSTER_DIR when one is up, else
 * brings a 3-node one up and down. Writes bench/results/allocation-<time>.json and its section of
 * docs/benchmarks.md. Flags: --adds N (1000), --socket-adds N (200), --no-docs, --agent:
 *   cluster  (default) the node-1 agent as the local cluster runs it: the bundle the DaemonSet runs
 *   bundled  a second agent for node-1 from dist/agent/spiderpool-agent.cjs started by this
 *            harness (`npm run build:agent` builds it), the only agent the plugin calls
 *   both     one run each
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { ApiClient, KubeList } from "../lib/k8s/api-client.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../lib/k8s/claim-store.js";
import { adminClient, down, loadState, up } from "../e2e/cluster/cluster.js";
import { repoRoot } from "../e2e/cluster/paths.js";
import { freePort } from "../e2e/cluster/free-port.js";
import {
  confPath,
  pluginDirs,
  pluginDirsEnv,
  socketOf,
} from "../e2e/cluster/spiderpool-install.js";
import { agentKubeconfig } from "../e2e/cluster/identities.js";
import { socketRequest } from "../e2e/support/agent-socket.js";
import { waitFor } from "../e2e/support/wait-for.js";
import { delta, scrapeRequests, splitKey, type Counters } from "./api-requests.js";
import { execPlugin, type PluginCall } from "./plugin-exec.js";
import { childrenCpuSeconds, cpuSeconds, rssKiB } from "./process-usage.js";
import {
  percentiles,
  renderSection,
  verdicts,
  writeSection,
  type AllocationBenchResult,
} from "./allocation-report.js";

const { values } = parseArgs({
  options: {
    adds: { type: "string", default: "1000" },
    "socket-adds": { type: "string", default: "200" },
    "no-docs": { type: "boolean", default: false },
    agent: { type: "string", default: "cluster" },
  },
});
if (!["cluster", "bundled", "both"].includes(values.agent ?? "")) {
  process.stderr.write(
    `bench/allocation: --agent: expected cluster, bundled or both, got ${JSON.stringify(values.agent)}\n`,
  );
  process.exit(2);
}
const ADDS = Number(values.adds);
const SOCKET_ADDS = Number(values["socket-adds"]);
const WARMUP = 20;
const NODE = "node-1";
const NS = "alloc-bench";
const POOL = "alloc-bench-v4";
const BUNDLE = path.join(repoRoot, "dist/agent/spiderpool-agent.cjs");
const say = (l: string) => process.stderr.write(`${l}\n`);

/** The agent a run measures. */
interface AgentUnderTest {
  label: string;
  socket: string;
  pid: number;
  healthPort: number;
  stop?: () => void;
}

/** A second agent for NODE from the bundle, on its own socket and ops port. */
async function startBundledAgent(kubeconfig: string): Promise<AgentUnderTest> {
  if (!fs.existsSync(BUNDLE))
    throw new Error(`${BUNDLE} is missing: build it with npx tsx scripts/build-agent.ts`);
  // Below the cluster's plugin run directory: the plugin refuses a socket anywhere else.
  const socket = path.join(pluginDirs.runDir, `alloc-bench-agent-${process.pid}.sock`);
  const healthPort = await freePort(28710);
  const log = fs.openSync(path.join(os.tmpdir(), "alloc-bench-agent.log"), "w");
  const child = spawn(process.execPath, [BUNDLE, `--config-path=${confPath}`], {
    env: {
      PATH: process.env.PATH,
      KUBECONFIG: kubeconfig,
      SPIDERPOOL_NODE_NAME: NODE,
      SPIDERPOOL_IPAM_SOCKET: socket,
      SPIDERPOOL_HEALTH_PORT: String(healthPort),
      SPIDERPOOL_METRIC_HTTP_PORT: "0",
      SPIDERPOOL_OPS_ADDRESS: "127.0.0.1",
      ...pluginDirsEnv(),
    },
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  const pid = child.pid!;
  await waitFor(
    "bundled agent ready",
    () => fetch(`http://127.0.0.1:${healthPort}/v1/runtime/readiness`).then(r => r.status === 200),
    60_000,
  );
  return {
    label: "bundled agent (dist/agent/spiderpool-agent.cjs on node, as in the agent image)",
    socket,
    pid,
    healthPort,
    stop: () => child.kill("SIGTERM"),
  };
}

async function main(): Promise<void> {
  const reuse = loadState() !== undefined;
  if (!reuse) await up({ nodes: 3, log: say });
  const state = loadState()!;
  const api = adminClient();
  const netns = `${state.netnsPrefix}-albench`;
  try {
    try {
      execFileSync("ip", ["netns", "delete", netns], { stdio: "ignore" }); // left by an interrupted run
    } catch {
      // none left: the usual case
    }
    execFileSync("ip", ["netns", "add", netns]);
    const results: AllocationBenchResult[] = [];
    const cluster = state.agents[NODE] as { pid: number; healthPort?: number };
    if (values.agent !== "bundled") {
      const agent = {
        label: "cluster agent (the bundle the DaemonSet runs, started by the local cluster)",
        socket: socketOf(NODE),
        pid: cluster.pid,
        healthPort: cluster.healthPort ?? 0,
      };
      results.push(
        await run(
          api,
          path.join(state.cniBinDir, "spiderpool"),
          `/run/netns/${netns}`,
          agent,
          state.nodes.length,
        ),
      );
    }
    if (values.agent !== "cluster") {
      const agent = await startBundledAgent(agentKubeconfig());
      try {
        results.push(
          await run(
            api,
            path.join(state.cniBinDir, "spiderpool"),
            `/run/netns/${netns}`,
            agent,
            state.nodes.length,
          ),
        );
      } finally {
        agent.stop?.();
      }
    }
    report(results);
  } finally {
    await cleanup(api).catch((e: Error) => say(`cleanup: ${e.message}`));
    execFileSync("ip", ["netns", "delete", netns], { stdio: "ignore" });
    api.close();
    if (!reuse) await down(say);
  }
}

async function run(
  api: ApiClient,
  plugin: string,
  netnsPath: string,
  agent: AgentUnderTest,
  nodes: number,
): Promise<AllocationBenchResult> {
  const agentPid = agent.pid;
  say(`${agent.label}: setting up ${WARMUP + ADDS + SOCKET_ADDS} host-network Pods on ${NODE}`);
  await cleanup(api);
  await api.create("/apis/spiderpool.spidernet.io/v2beta1/spiderippools", {
    apiVersion: "spiderpool.spidernet.io/v2beta1",
    kind: "SpiderIPPool",
    metadata: { name: POOL },
    spec: { subnet: "10.130.0.0/20", ips: ["10.130.0.1-10.130.15.254"] },
  });
  await api.create("/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: NS,
      annotations: { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([POOL]) },
    },
  });
  await waitFor("ServiceAccount default", () =>
    api.get(`/api/v1/namespaces/${NS}/serviceaccounts/default`).then(() => true),
  );
  const pods = await createPods(api, WARMUP + ADDS + SOCKET_ADDS);
  const warm = pods.slice(0, WARMUP);
  const timed = pods.slice(WARMUP, WARMUP + ADDS);
  const direct = pods.slice(WARMUP + ADDS);

  const netconf = {
    cniVersion: "1.0.0",
    name: "alloc-bench",
    type: "macvlan",
    master: "eth0",
    ipam: {
      type: "spiderpool",
      ipam_unix_socket_path: agent.socket,
      log_level: "info",
      log_file_path: path.join(pluginDirs.logDir, "alloc-bench-cni.log"),
    },
  };
  const call = (command: "ADD" | "DEL", p: Pod): PluginCall => ({
    exe: plugin,
    command,
    containerId: `bench${p.metadata.uid!.replace(/-/g, "")}`,
    netns: netnsPath,
    ifname: "eth0",
    cniPath: path.dirname(plugin),
    pod: { namespace: NS, name: p.metadata.name, uid: p.metadata.uid! },
    netconf,
    timeoutMs: 60_000,
  });
  const exec = async (command: "ADD" | "DEL", p: Pod) => {
    const o = await execPlugin(call(command, p));
    if (o.exitCode !== 0)
      throw new Error(`${command} ${p.metadata.name}: exit ${o.exitCode}: ${o.stdout || o.stderr}`);
    return o.endMs - o.startMs;
  };

  const version = async () => {
    const o = await execPlugin({ ...call("ADD", warm[0]!), command: "VERSION" as "ADD" });
    if (o.exitCode !== 0) throw new Error(`VERSION: exit ${o.exitCode}`);
    return o.endMs - o.startMs;
  };
  const socketAdd = async (p: Pod) => {
    const t0 = performance.now();
    const r = await socketRequest(agent.socket, "POST", "/v1/ipam/ip", {
      containerID: "bench",
      ifName: "eth0",
      netNamespace: netnsPath,
      podNamespace: NS,
      podName: p.metadata.name,
      podUID: p.metadata.uid,
    });
    if (r.status !== 200)
      throw new Error(`socket ADD ${p.metadata.name}: HTTP ${r.status} ${r.body}`);
    return performance.now() - t0;
  };

  say("warming up");
  for (const p of warm) await exec("ADD", p);

  const rssBefore = rssKiB(agentPid) ?? NaN;
  const before = await scrapeRequests(api);
  const cpu0 = { agent: cpuSeconds(agentPid), plugins: childrenCpuSeconds() };
  // VERSION execs and socket ADDs are interleaved with the plugin ADDs, so all three rows see
  // the same machine: on a shared machine the load changes from minute to minute.
  say(
    `timing ${ADDS} ADDs through the plugin, with ${SOCKET_ADDS} socket ADDs and as many VERSION execs between them`,
  );
  const addMs: number[] = [];
  const versionMs: number[] = [];
  const socketMs: number[] = [];
  const every = Math.max(1, Math.floor(ADDS / Math.max(1, SOCKET_ADDS)));
  for (const [i, p] of timed.entries()) {
    addMs.push(await exec("ADD", p));
    if (i % every === 0 && socketMs.length < SOCKET_ADDS) {
      versionMs.push(await version());
      socketMs.push(await socketAdd(direct[socketMs.length]!));
    }
    if ((i + 1) % 200 === 0) say(`  ${i + 1}/${ADDS}`);
  }
  const cpu = {
    agentMsPerAdd: ((cpuSeconds(agentPid) - cpu0.agent) * 1000) / ADDS,
    pluginMsPerAdd: ((childrenCpuSeconds() - cpu0.plugins) * 1000) / ADDS,
  };
  const load = os.loadavg()[0] ?? NaN;
  say(
    `ADD through the plugin: ${JSON.stringify(percentiles(addMs))}; CPU per ADD ${JSON.stringify(cpu)}; load ${load}`,
  );
  // The watcher's status writes trail the ADDs: give them a moment to land in the count.
  await new Promise(r => setTimeout(r, 3000));
  const after = await scrapeRequests(api);
  const rssAfter = rssKiB(agentPid) ?? NaN;
  const claims = (await api.get<KubeList<{ spec: { pool: string } }>>(CLAIMS_PATH)).items.filter(
    c => c.spec.pool === POOL,
  ).length;
  const endpoints = (
    await api.get<KubeList<unknown>>(
      `/apis/spiderpool.spidernet.io/v2beta1/namespaces/${NS}/spiderendpoints`,
    )
  ).items.length;

  const heap = await agentHeapMiB(agent.healthPort);
  const perAdd = perAddRequests(delta(before, after), ADDS + socketMs.length);
  say("deleting the Pods, then timing DEL of each");
  const delMs: number[] = [];
  try {
    await timeDeletes(api, [...warm, ...timed], direct, exec, delMs);
  } catch (e) {
    // The ADD figures stand on their own; an API server too busy to delete 1,200 Pods in time
    // must not lose them.
    say(`DEL phase abandoned: ${(e as Error).message}`);
  }

  const cpus = os.cpus();
  return {
    agent: agent.label,
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}`,
    nodes,
    allocations: WARMUP + ADDS + socketMs.length,
    addExec: percentiles(addMs),
    versionExec: percentiles(versionMs),
    addSocket: percentiles(socketMs),
    delExec: percentiles(delMs),
    rssKiB: { before: rssBefore, after: rssAfter },
    heapUsedMiB: heap,
    cpu,
    loadAverage: load,
    ...perAdd,
    objects: { claims, endpoints },
  };
}

/** Deletes the Pods, then runs CNI DEL for each: timed for `timedPods`, untimed for `others`. */
async function timeDeletes(
  api: ApiClient,
  timedPods: Pod[],
  others: Pod[],
  exec: (c: "ADD" | "DEL", p: Pod) => Promise<number>,
  delMs: number[],
): Promise<void> {
  // A busy API server may time out the collection delete while it goes on deleting: wait for it.
  await api
    .request("DELETE", `/api/v1/namespaces/${NS}/pods`, {
      body: { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0 },
      timeoutMs: 120_000,
    })
    .catch((e: { code?: string }) => {
      if (e.code !== "timeout" && e.code !== "unavailable") throw e;
    });
  await waitFor(
    "bench Pods gone",
    async () => (await api.get<KubeList<Pod>>(`/api/v1/namespaces/${NS}/pods`)).items.length === 0,
    300_000,
    1000,
  );
  for (const p of timedPods) delMs.push(await exec("DEL", p));
  for (const p of others) await exec("DEL", p);
}

/** Host-network Pods bound to NODE: the node reports them Running without any CNI call. */
async function createPods(api: ApiClient, n: number): Promise<Pod[]> {
  const names = Array.from({ length: n }, (_, i) => `b-${String(i).padStart(5, "0")}`);
  for (let i = 0; i < names.length; i += 25) {
    await Promise.all(
      names.slice(i, i + 25).map(name =>
        api.create(`/api/v1/namespaces/${NS}/pods`, {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, namespace: NS },
          spec: {
            nodeName: NODE,
            hostNetwork: true,
            terminationGracePeriodSeconds: 0,
            containers: [{ name: "c", image: "registry.invalid/pause" }],
          },
        }),
      ),
    );
  }
  const pods = await waitFor(
    `${n} bench Pods Running`,
    async () => {
      const l = (await api.get<KubeList<Pod>>(`/api/v1/namespaces/${NS}/pods`)).items;
      return l.length === n && l.every(p => p.status?.phase === "Running") && l;
    },
    300_000,
    1000,
  );
  return pods.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** The agent's live JS heap (nodejs_heap_size_used_bytes on its ops port), to tell retained memory from RSS slack. */
async function agentHeapMiB(port: number): Promise<number> {
  if (!port) return NaN;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^nodejs_heap_size_used_bytes (\S+)/m.exec(text);
  return m ? Number(m[1]) / 1048576 : NaN;
}

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE", "APPLY"]);
const READS = new Set(["GET", "LIST"]);

/** Requests of the IPAM groups plus Pod/Namespace reads, per ADD; the nodes' own traffic is left out. */
function perAddRequests(
  d: Counters,
  adds: number,
): Pick<AllocationBenchResult, "requestsPerAdd" | "writesPerAdd" | "readsPerAdd"> {
  const requestsPerAdd: Record<string, number> = {};
  let agent = 0;
  let watcher = 0;
  let reads = 0;
  let podReads = 0;
  for (const [key, n] of d) {
    const k = splitKey(key);
    const ipam = k.group === "ipam.pepr-spiderpool.io" || k.group === "spiderpool.spidernet.io";
    const podRead =
      k.group === "core" &&
      (k.resource === "pods" || k.resource === "namespaces") &&
      READS.has(k.verb);
    if (!(ipam || podRead) || k.verb === "WATCH") continue;
    const name = `${k.verb} ${k.group === "core" ? "" : `${k.group}/`}${k.resource} ${k.code}`;
    requestsPerAdd[name] = (requestsPerAdd[name] ?? 0) + n / adds;
    if (WRITES.has(k.verb)) {
      if (k.resource === "spiderippools/status") watcher += n;
      else agent += n;
    } else if (READS.has(k.verb)) {
      // The agent reads Pods from its watch cache; fresh Pod reads come from the watcher's IP GC scans.
      if (k.group === "core") podReads += n;
      else reads += n;
    }
  }
  return {
    requestsPerAdd,
    writesPerAdd: { agent: agent / adds, watcher: watcher / adds },
    readsPerAdd: { ipam: reads / adds, pods: podReads / adds },
  };
}

async function cleanup(api: ApiClient): Promise<void> {
  await api.delete(`/api/v1/namespaces/${NS}`).catch(() => undefined);
  await waitFor(
    "bench namespace gone",
    () =>
      api.get(`/api/v1/namespaces/${NS}`).then(
        () => false,
        () => true,
      ),
    300_000,
    1000,
  );
  // Claims of Pods whose DEL never ran (an aborted run) would hold the pool's finalizer.
  const left = (
    await api.get<KubeList<{ metadata: { name: string }; spec: { pool: string } }>>(CLAIMS_PATH)
  ).items.filter(c => c.spec.pool === POOL);
  for (const c of left)
    await api.delete(`${CLAIMS_PATH}/${c.metadata.name}`).catch(() => undefined);
  await api
    .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${POOL}`)
    .catch(() => undefined);
  await waitFor(
    "bench pool gone",
    () =>
      api.get(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${POOL}`).then(
        () => false,
        () => true,
      ),
    120_000,
    1000,
  );
}

function report(results: AllocationBenchResult[]): void {
  const dir = path.join(repoRoot, "bench/results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `allocation-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  const line = (what: string, p: AllocationBenchResult["addExec"]) =>
    `${what.padEnd(46)} p50 ${p.p50.toFixed(1).padStart(6)}  p90 ${p.p90.toFixed(1).padStart(6)}  p99 ${p.p99.toFixed(1).padStart(6)}  max ${p.max.toFixed(1).padStart(6)} ms`;
  for (const r of results) {
    process.stdout.write(
      [
        `== ${r.agent}, load average ${r.loadAverage.toFixed(1)}`,
        line("ADD, plugin exec to exit", r.addExec),
        line("VERSION, plugin exec to exit", r.versionExec),
        line("ADD, agent socket (no process)", r.addSocket),
        line("DEL, plugin exec to exit", r.delExec),
        `agent RSS ${(r.rssKiB.before / 1024).toFixed(0)} MiB before, ${(r.rssKiB.after / 1024).toFixed(0)} MiB after ${r.allocations} ADDs; heap ${r.heapUsedMiB.toFixed(0)} MiB`,
        `CPU per ADD: agent ${r.cpu.agentMsPerAdd.toFixed(1)} ms, plugin ${r.cpu.pluginMsPerAdd.toFixed(1)} ms`,
        `API writes per ADD: agent ${r.writesPerAdd.agent.toFixed(2)}, watcher ${r.writesPerAdd.watcher.toFixed(2)}; reads per ADD: agent ${r.readsPerAdd.ipam.toFixed(2)}, watcher GC ${r.readsPerAdd.pods.toFixed(2)}`,
        ...verdicts(r).map(
          v => `${v.met ? "met    " : "MISSED "} ${v.what}: ${v.figure} (${v.target})`,
        ),
        "",
      ].join("\n"),
    );
  }
  process.stdout.write(`results: ${path.relative(repoRoot, file)}\n`);
  if (!values["no-docs"])
    writeSection(
      path.join(repoRoot, "docs/benchmarks.md"),
      renderSection(results, path.relative(repoRoot, file)),
    );
}

main().catch((e: Error) => {
  say(`bench/allocation: ${e.stack ?? e.message}`);
  process.exit(1);
});
