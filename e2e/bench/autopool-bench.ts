/**
 * Auto-pool benchmark on the real local cluster (5 simulated nodes by default):
 *
 * 1. `kubectl apply` of a 100-replica Deployment annotated with a SpiderSubnet (`+1`) → the time
 *    until its pool exists at 101 addresses, and until all 100 Pods are Running with an address;
 * 2. scale to 200 → the time until the pool holds 201 addresses, and until all 200 Pods run;
 * 3. scale back to 100 → the time until the pool is back at 101.
 *
 * Correctness is checked on every run (no duplicate address, every address inside the pool,
 * subnet accounting exact); a run that fails a check is reported as failed, not timed.
 * Writes its section of docs/benchmarks.md between `<!-- autopool-bench:start -->` and
 * `<!-- autopool-bench:end -->`, and prints the raw numbers as JSON.
 *
 *   tsx e2e/bench/autopool-bench.ts [--runs 3] [--nodes 5] [--replicas 100] [--reuse] [--keep]
 *
 * With --reuse an already running cluster (SPIDERPOOL_CLUSTER_DIR) is used; --keep leaves the
 * cluster up afterwards.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { adminClient, down, kubectl, loadState, up } from "../cluster/cluster.js";
import { paths, repoRoot } from "../cluster/paths.js";
import { autoPoolsOf, poolAddresses, SP, subnetProblems } from "../suites/autopool-checks.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    nodes: { type: "string", default: "5" },
    replicas: { type: "string", default: "100" },
    reuse: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const nodes = Number(values.nodes);
const replicas = Number(values.replicas);
const say = (l: string) => process.stderr.write(`${l}\n`);

const ns = "autopool-bench";
const subnet = "autopool-bench-v4";

interface RunResult {
  run: number;
  /** 1-minute load average of the machine at the start and the end of the run (others share it). */
  load: [number, number];
  /** ADDs that found their pool missing, short or full and waited (agent logs), per phase. */
  waitedAtCreate: number;
  waitedAtScale: number;
  poolCreatedMs: number;
  allAddressedMs: number;
  resizedMs: number;
  allAddressedAfterScaleMs: number;
  shrunkMs: number;
  problems: string[];
}

async function main(): Promise<void> {
  const state = loadState();
  const reuse = values.reuse && state !== undefined;
  if (reuse && state.nodes.length !== nodes)
    say(`note: reusing a cluster of ${state.nodes.length} nodes (asked for ${nodes})`);
  if (!reuse) await up({ nodes, log: say });
  const api = adminClient();
  const results: RunResult[] = [];
  try {
    kubectl(
      ["apply", "-f", "-"],
      `
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata: {name: ${subnet}}
spec: {subnet: 10.154.0.0/16, ips: ["10.154.1.1-10.154.4.254"]}
`,
    );
    for (let run = 1; run <= runs; run++) {
      await api.create("/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
      });
      await until(
        "default ServiceAccount",
        () =>
          api.get(`/api/v1/namespaces/${ns}/serviceaccounts/default`).then(
            () => true,
            () => false,
          ),
        60_000,
      );
      results.push(await oneRun(api, run));
      const r = results[results.length - 1]!;
      say(
        `run ${run}: pool ${r.poolCreatedMs} ms, ${replicas} addressed ${r.allAddressedMs} ms, resized ${r.resizedMs} ms, ${2 * replicas} addressed ${r.allAddressedAfterScaleMs} ms, shrunk ${r.shrunkMs} ms${r.problems.length ? `, PROBLEMS: ${r.problems.join("; ")}` : ""}`,
      );
      await api.delete(`/api/v1/namespaces/${ns}`);
      await until(
        "namespace gone",
        () =>
          api.get(`/api/v1/namespaces/${ns}`).then(
            () => false,
            () => true,
          ),
        300_000,
      );
      await until(
        "pools gone",
        async () => (await autoPoolsOf(api, "Deployment", ns, "bench")).length === 0,
        120_000,
      );
    }
    await api.delete(`${SP}/spidersubnets/${subnet}`).catch(() => undefined);
  } finally {
    api.close();
    if (!reuse && !values.keep) await down(say);
  }
  const clusterNodes = reuse ? state!.nodes.length : nodes;
  writeSection(results, clusterNodes);
  process.stdout.write(`${JSON.stringify({ nodes: clusterNodes, replicas, results }, null, 2)}\n`);
}

async function oneRun(api: ApiClient, run: number): Promise<RunResult> {
  const loadBefore = Number(os.loadavg()[0]!.toFixed(1));
  const manifest = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: bench, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: bench}}
  template:
    metadata:
      labels: {app: bench}
      annotations:
        ipam.spidernet.io/subnet: '{"ipv4": ["${subnet}"]}'
        ipam.spidernet.io/ippool-ip-number: "+1"
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: registry.invalid/pause}]
`;
  const t0 = Date.now();
  kubectl(["apply", "-f", "-"], manifest);
  const poolCreatedMs =
    (await until(
      "pool at replicas + 1",
      async () => (await poolSize(api)) === replicas + 1,
      120_000,
    )) - t0;
  const allAddressedMs =
    (await until(
      `${replicas} Pods addressed`,
      async () => (await addressed(api)) === replicas,
      600_000,
    )) - t0;

  const t1 = Date.now();
  await api.patch(`/apis/apps/v1/namespaces/${ns}/deployments/bench`, {
    spec: { replicas: 2 * replicas },
  });
  const resizedMs =
    (await until(
      "pool at 2 × replicas + 1",
      async () => (await poolSize(api)) === 2 * replicas + 1,
      120_000,
    )) - t1;
  const allAddressedAfterScaleMs =
    (await until(
      `${2 * replicas} Pods addressed`,
      async () => (await addressed(api)) === 2 * replicas,
      600_000,
    )) - t1;
  const problems = await check(api);
  const waitedAtCreate = waitsLogged(t0, t1);
  const waitedAtScale = waitsLogged(t1, Date.now());

  const t2 = Date.now();
  await api.patch(`/apis/apps/v1/namespaces/${ns}/deployments/bench`, { spec: { replicas } });
  const shrunkMs =
    (await until(
      "pool back at replicas + 1",
      async () => (await poolSize(api)) === replicas + 1,
      300_000,
    )) - t2;
  const load: [number, number] = [loadBefore, Number(os.loadavg()[0]!.toFixed(1))];
  return {
    run,
    load,
    waitedAtCreate,
    waitedAtScale,
    poolCreatedMs,
    allAddressedMs,
    resizedMs,
    allAddressedAfterScaleMs,
    shrunkMs,
    problems: [...problems, ...(await check(api))],
  };
}

async function poolSize(api: ApiClient): Promise<number> {
  const pools = (await autoPoolsOf(api, "Deployment", ns, "bench")).filter(
    p => !p.metadata.deletionTimestamp,
  );
  return pools.length === 1 ? poolAddresses(pools[0]!).length : -1;
}

/** Pods Running with an address (not terminating). */
async function addressed(api: ApiClient): Promise<number> {
  const l = await api.get<KubeList<Pod>>(`/api/v1/namespaces/${ns}/pods`, {
    labelSelector: "app=bench",
  });
  return l.items.filter(
    p =>
      !p.metadata.deletionTimestamp &&
      p.status?.phase === "Running" &&
      (p.status.podIPs?.length ?? 0) > 0,
  ).length;
}

async function check(api: ApiClient): Promise<string[]> {
  const problems = await subnetProblems(api, subnet);
  const [pool] = await autoPoolsOf(api, "Deployment", ns, "bench");
  const inPool = new Set(pool ? poolAddresses(pool) : []);
  const l = await api.get<KubeList<Pod>>(`/api/v1/namespaces/${ns}/pods`, {
    labelSelector: "app=bench",
  });
  const ips = l.items
    .filter(p => !p.metadata.deletionTimestamp)
    .flatMap(p => p.status?.podIPs?.map(x => x.ip) ?? []);
  if (new Set(ips).size !== ips.length) problems.push("duplicate Pod addresses");
  const outside = ips.filter(ip => !inPool.has(ip));
  if (outside.length) problems.push(`${outside.length} Pod addresses outside the pool`);
  return problems;
}

/** How many ADDs of the benchmark's Pods logged "waiting for the auto pool" between two times. */
function waitsLogged(fromMs: number, toMs: number): number {
  let n = 0;
  for (const f of fs.readdirSync(paths.logs).filter(x => x.startsWith("agent-"))) {
    for (const line of fs.readFileSync(path.join(paths.logs, f), "utf8").split("\n")) {
      if (!line.includes("waiting for the auto pool") || !line.includes(`"${ns}/`)) continue;
      const time = (JSON.parse(line) as { time?: number | string }).time; // epoch ms, ISO text with PINO_TIME_STAMP=iso
      const t = typeof time === "number" ? time : Date.parse(time ?? "");
      if (t >= fromMs && t <= toMs) n++;
    }
  }
  return n;
}

/** Polls every 100 ms; resolves with the time the condition first held. */
async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return Date.now();
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
}

function writeSection(results: RunResult[], clusterNodes: number): void {
  const file = path.join(repoRoot, "docs/benchmarks.md");
  const ok = results.filter(r => r.problems.length === 0);
  const row = (label: string, pick: (r: RunResult) => number) =>
    `| ${label} | ${median(ok.map(pick))} | ${ok.map(pick).join(", ")} |`;
  const section = [
    "<!-- autopool-bench:start -->",
    "## Auto pools: scaling a subnet-annotated Deployment",
    "",
    `Measured by \`npm run bench:autopool\` on ${new Date().toISOString().slice(0, 10)}: ${clusterNodes} simulated nodes, ` +
      `${os.cpus().length} CPU cores shared by the whole cluster, a Deployment of ${replicas} replicas with \`ipam.spidernet.io/ippool-ip-number: "+1"\`, ` +
      `${ok.length} of ${results.length} runs passed every check (no duplicate, every address inside the pool, subnet accounting exact). Times in ms (polling every 100 ms); waits are counts. ` +
      `The machine was shared with other clusters: its 1-minute load average was ${results.map(r => `${r.load[0]}→${r.load[1]}`).join(", ")} over the runs.`,
    "",
    "| measure | median | runs |",
    "|---|---|---|",
    row(`\`kubectl apply\` → pool exists with ${replicas + 1} addresses`, r => r.poolCreatedMs),
    row(`\`kubectl apply\` → all ${replicas} Pods Running with an address`, r => r.allAddressedMs),
    row(`scale to ${2 * replicas} → pool holds ${2 * replicas + 1} addresses`, r => r.resizedMs),
    row(
      `scale to ${2 * replicas} → all ${2 * replicas} Pods Running with an address`,
      r => r.allAddressedAfterScaleMs,
    ),
    row(`scale back to ${replicas} → pool back at ${replicas + 1} addresses`, r => r.shrunkMs),
    row(
      `ADDs that waited for their pool (agent log), during the first ${replicas}`,
      r => r.waitedAtCreate,
    ),
    row(
      `ADDs that waited for their pool, during the scale-up to ${2 * replicas}`,
      r => r.waitedAtScale,
    ),
    "",
    `After the scale-up the pool held its new addresses ${median(ok.map(r => r.resizedMs))} ms (median) after the PATCH, while the last of the`,
    `new Pods ran after ${median(ok.map(r => r.allAddressedAfterScaleMs))} ms: the Pod times are those of the controller-manager, the scheduler and`,
    "the simulated kubelets running the CNI chain. Shrinking waits for the removed Pods to release their addresses.",
    "<!-- autopool-bench:end -->",
  ].join("\n");
  const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
  const re = /<!-- autopool-bench:start -->[\s\S]*?<!-- autopool-bench:end -->/;
  fs.writeFileSync(
    file,
    re.test(old) ? old.replace(re, section) : `${old.trimEnd()}\n\n${section}\n`,
  );
  say(`wrote ${file}`);
}

main().catch((e: Error) => {
  say(`error: ${e.stack ?? e.message}`);
  process.exit(1);
});
