/**
 * Allocation latency on an idle local cluster (`npx tsx bench/allocation.ts`): CNI ADD from
 * plugin exec to exit, plugin start-up alone (VERSION), the same ADD at the agent socket (no
 * process start), DEL, the agent's RSS after the ADDs, and API requests per ADD from
 * kube-apiserver's own counters. Uses the cluster in SPIDERPOOL_CLUSTER_DIR when one is up, else
 * brings a 3-node one up and down. Writes bench/results/allocation-<time>.json and its section of
 * docs/benchmarks.md. Flags: --adds N (1000), --socket-adds N (200), --no-docs.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { ApiClient, KubeList } from "../lib/k8s/api-client.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../lib/k8s/claim-store.js";
import { adminClient, down, loadState, up } from "../e2e/cluster/cluster.js";
import { repoRoot } from "../e2e/cluster/paths.js";
import { socketOf } from "../e2e/cluster/spiderpool-install.js";
import { agentRequest } from "../e2e/support/agent-socket.js";
import { waitFor } from "../e2e/support/wait-for.js";
import { delta, scrapeRequests, splitKey, type Counters } from "./api-requests.js";
import { execPlugin, type PluginCall } from "./plugin-exec.js";
import { childrenCpuSeconds, cpuSeconds, rssKiB } from "./process-usage.js";
import { percentiles, renderSection, verdicts, writeSection, type AllocationBenchResult } from "./allocation-report.js";

const { values } = parseArgs({
  options: {
    adds: { type: "string", default: "1000" },
    "socket-adds": { type: "string", default: "200" },
    "no-docs": { type: "boolean", default: false },
  },
});
const ADDS = Number(values.adds);
const SOCKET_ADDS = Number(values["socket-adds"]);
const WARMUP = 20;
const VERSIONS = 50;
const NODE = "node-1";
const NS = "alloc-bench";
const POOL = "alloc-bench-v4";
const say = (l: string) => process.stderr.write(`${l}\n`);

async function main(): Promise<void> {
  const reuse = loadState() !== undefined;
  if (!reuse) await up({ nodes: 3, log: say });
  const state = loadState()!;
  const api = adminClient();
  const netns = `${state.netnsPrefix}-albench`;
  try {
    execFileSync("ip", ["netns", "add", netns]);
    const result = await run(api, path.join(state.cniBinDir, "spiderpool"), `/run/netns/${netns}`, state.agents[NODE]!.pid, state.nodes.length);
    report(result);
  } finally {
    await cleanup(api).catch((e: Error) => say(`cleanup: ${e.message}`));
    execFileSync("ip", ["netns", "delete", netns], { stdio: "ignore" });
    api.close();
    if (!reuse) await down(say);
  }
}

async function run(api: ApiClient, plugin: string, netnsPath: string, agentPid: number, nodes: number): Promise<AllocationBenchResult> {
  say(`setting up ${WARMUP + ADDS + SOCKET_ADDS} host-network Pods on ${NODE}`);
  await cleanup(api);
  await api.create("/apis/spiderpool.spidernet.io/v2beta1/spiderippools", {
    apiVersion: "spiderpool.spidernet.io/v2beta1",
    kind: "SpiderIPPool",
    metadata: { name: POOL },
    spec: { subnet: "10.130.0.0/20", ips: ["10.130.0.1-10.130.15.254"] },
  });
  await api.create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS, annotations: { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([POOL]) } } });
  await waitFor("ServiceAccount default", () => api.get(`/api/v1/namespaces/${NS}/serviceaccounts/default`).then(() => true));
  const pods = await createPods(api, WARMUP + ADDS + SOCKET_ADDS);
  const warm = pods.slice(0, WARMUP);
  const timed = pods.slice(WARMUP, WARMUP + ADDS);
  const direct = pods.slice(WARMUP + ADDS);

  const netconf = {
    cniVersion: "1.0.0",
    name: "alloc-bench",
    type: "macvlan",
    master: "eth0",
    ipam: { type: "spiderpool", ipam_unix_socket_path: socketOf(NODE), log_level: "info", log_file_path: path.join(os.tmpdir(), "alloc-bench-cni.log") },
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
    if (o.exitCode !== 0) throw new Error(`${command} ${p.metadata.name}: exit ${o.exitCode}: ${o.stdout || o.stderr}`);
    return o.endMs - o.startMs;
  };

  say("warming up");
  for (const p of warm) await exec("ADD", p);
  const versionMs: number[] = [];
  for (let i = 0; i < VERSIONS; i++) {
    const o = await execPlugin({ ...call("ADD", warm[0]!), command: "VERSION" as "ADD" });
    if (o.exitCode !== 0) throw new Error(`VERSION: exit ${o.exitCode}`);
    versionMs.push(o.endMs - o.startMs);
  }

  const rssBefore = rssKiB(agentPid) ?? NaN;
  const before = await scrapeRequests(api);
  const cpu0 = { agent: cpuSeconds(agentPid), plugins: childrenCpuSeconds() };
  say(`timing ${ADDS} ADDs through the plugin`);
  const addMs: number[] = [];
  for (const [i, p] of timed.entries()) {
    addMs.push(await exec("ADD", p));
    if ((i + 1) % 200 === 0) say(`  ${i + 1}/${ADDS}`);
  }
  const cpu = { agentMsPerAdd: ((cpuSeconds(agentPid) - cpu0.agent) * 1000) / ADDS, pluginMsPerAdd: ((childrenCpuSeconds() - cpu0.plugins) * 1000) / ADDS };
  const load = os.loadavg()[0] ?? NaN;
  say(`ADD through the plugin: ${JSON.stringify(percentiles(addMs))}; CPU per ADD ${JSON.stringify(cpu)}; load ${load}`);
  // The watcher's status writes trail the ADDs: give them a moment to land in the count.
  await new Promise((r) => setTimeout(r, 3000));
  const after = await scrapeRequests(api);
  const rssAfter = rssKiB(agentPid) ?? NaN;
  const claims = (await api.get<KubeList<{ spec: { pool: string } }>>(CLAIMS_PATH)).items.filter((c) => c.spec.pool === POOL).length;
  const endpoints = (await api.get<KubeList<unknown>>(`/apis/spiderpool.spidernet.io/v2beta1/namespaces/${NS}/spiderendpoints`)).items.length;

  say(`timing ${SOCKET_ADDS} ADDs at the agent socket`);
  const socketMs: number[] = [];
  for (const p of direct) {
    const t0 = performance.now();
    const r = await agentRequest(NODE, "POST", "/v1/ipam/ip", { containerID: "bench", ifName: "eth0", netNamespace: netnsPath, podNamespace: NS, podName: p.metadata.name, podUID: p.metadata.uid });
    socketMs.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`socket ADD ${p.metadata.name}: HTTP ${r.status} ${r.body}`);
  }

  say("deleting the Pods, then timing DEL of each");
  // A busy API server may time out the collection delete while it goes on deleting: wait for it.
  await api
    .request("DELETE", `/api/v1/namespaces/${NS}/pods`, { body: { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0 }, timeoutMs: 120_000 })
    .catch((e: { code?: string }) => {
      if (e.code !== "timeout" && e.code !== "unavailable") throw e;
    });
  await waitFor("bench Pods gone", async () => (await api.get<KubeList<Pod>>(`/api/v1/namespaces/${NS}/pods`)).items.length === 0, 300_000, 1000);
  const delMs: number[] = [];
  for (const p of [...warm, ...timed]) delMs.push(await exec("DEL", p));
  for (const p of direct) await exec("DEL", p);

  const perAdd = perAddRequests(delta(before, after), ADDS);
  const cpus = os.cpus();
  return {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}`,
    nodes,
    allocations: WARMUP + ADDS,
    addExec: percentiles(addMs),
    versionExec: percentiles(versionMs),
    addSocket: percentiles(socketMs),
    delExec: percentiles(delMs),
    rssKiB: { before: rssBefore, after: rssAfter },
    cpu,
    loadAverage: load,
    ...perAdd,
    objects: { claims, endpoints },
  };
}

/** Host-network Pods bound to NODE: the node reports them Running without any CNI call. */
async function createPods(api: ApiClient, n: number): Promise<Pod[]> {
  const names = Array.from({ length: n }, (_, i) => `b-${String(i).padStart(5, "0")}`);
  for (let i = 0; i < names.length; i += 25) {
    await Promise.all(
      names.slice(i, i + 25).map((name) =>
        api.create(`/api/v1/namespaces/${NS}/pods`, {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, namespace: NS },
          spec: { nodeName: NODE, hostNetwork: true, terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "registry.invalid/pause" }] },
        }),
      ),
    );
  }
  const pods = await waitFor(
    `${n} bench Pods Running`,
    async () => {
      const l = (await api.get<KubeList<Pod>>(`/api/v1/namespaces/${NS}/pods`)).items;
      return l.length === n && l.every((p) => p.status?.phase === "Running") && l;
    },
    300_000,
    1000,
  );
  return pods.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE", "APPLY"]);
const READS = new Set(["GET", "LIST"]);

/** Requests of the IPAM groups plus Pod/Namespace reads, per ADD; the nodes' own traffic is left out. */
function perAddRequests(d: Counters, adds: number): Pick<AllocationBenchResult, "requestsPerAdd" | "writesPerAdd" | "readsPerAdd"> {
  const requestsPerAdd: Record<string, number> = {};
  let agent = 0;
  let watcher = 0;
  let reads = 0;
  for (const [key, n] of d) {
    const k = splitKey(key);
    const ipam = k.group === "ipam.pepr-spiderpool.io" || k.group === "spiderpool.spidernet.io";
    const podRead = k.group === "core" && (k.resource === "pods" || k.resource === "namespaces") && READS.has(k.verb);
    if (!(ipam || podRead) || k.verb === "WATCH") continue;
    const name = `${k.verb} ${k.group === "core" ? "" : `${k.group}/`}${k.resource} ${k.code}`;
    requestsPerAdd[name] = (requestsPerAdd[name] ?? 0) + n / adds;
    if (WRITES.has(k.verb)) {
      if (k.resource === "spiderippools/status") watcher += n;
      else agent += n;
    } else if (READS.has(k.verb)) reads += n;
  }
  return { requestsPerAdd, writesPerAdd: { agent: agent / adds, watcher: watcher / adds }, readsPerAdd: reads / adds };
}

async function cleanup(api: ApiClient): Promise<void> {
  await api.delete(`/api/v1/namespaces/${NS}`).catch(() => undefined);
  await waitFor("bench namespace gone", () => api.get(`/api/v1/namespaces/${NS}`).then(() => false, () => true), 300_000, 1000);
  // Claims of Pods whose DEL never ran (an aborted run) would hold the pool's finalizer.
  const left = (await api.get<KubeList<{ metadata: { name: string }; spec: { pool: string } }>>(CLAIMS_PATH)).items.filter((c) => c.spec.pool === POOL);
  for (const c of left) await api.delete(`${CLAIMS_PATH}/${c.metadata.name}`).catch(() => undefined);
  await api.delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${POOL}`).catch(() => undefined);
  await waitFor("bench pool gone", () => api.get(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${POOL}`).then(() => false, () => true), 120_000, 1000);
}

function report(r: AllocationBenchResult): void {
  const dir = path.join(repoRoot, "bench/results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `allocation-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(file, JSON.stringify(r, null, 2));
  const line = (what: string, p: typeof r.addExec) => `${what.padEnd(46)} p50 ${p.p50.toFixed(1).padStart(6)}  p90 ${p.p90.toFixed(1).padStart(6)}  p99 ${p.p99.toFixed(1).padStart(6)}  max ${p.max.toFixed(1).padStart(6)} ms`;
  process.stdout.write(
    [
      line("ADD, plugin exec to exit", r.addExec),
      line("VERSION, plugin exec to exit", r.versionExec),
      line("ADD, agent socket (no process)", r.addSocket),
      line("DEL, plugin exec to exit", r.delExec),
      `agent RSS ${(r.rssKiB.before / 1024).toFixed(0)} MiB before, ${(r.rssKiB.after / 1024).toFixed(0)} MiB after ${r.allocations} ADDs`,
      `API writes per ADD: agent ${r.writesPerAdd.agent.toFixed(2)}, watcher ${r.writesPerAdd.watcher.toFixed(2)}; reads per ADD ${r.readsPerAdd.toFixed(2)}`,
      ...verdicts(r).map((v) => `${v.met ? "met    " : "MISSED "} ${v.what}: ${v.figure} (${v.target})`),
      `results: ${path.relative(repoRoot, file)}`,
      "",
    ].join("\n"),
  );
  if (!values["no-docs"]) writeSection(path.join(repoRoot, "docs/benchmarks.md"), renderSection(r, path.relative(repoRoot, file)));
}

main().catch((e: Error) => {
  say(`bench/allocation: ${e.stack ?? e.message}`);
  process.exit(1);
});
