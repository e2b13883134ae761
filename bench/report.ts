/**
 * The storm section of docs/benchmarks.md and its chart, generated from one results file.
 * Only the text between the storm markers is replaced; the rest of the document is kept.
 * `tsx bench/report.ts bench/results/<file>.json` regenerates them from an earlier run.
 */
import fs from "node:fs";
import zlib from "node:zlib";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { OBJECT_SIZE_LIMIT } from "./pool-scale.js";
import { isCompared, type RatioTable } from "./ratios.js";
import type { ResultsFile } from "./results-file.js";
import type { PhaseResult } from "./session.js";
import { SYSTEM_COLORS, timelineSvg, type Panel } from "./timeline-svg.js";

export const START = "<!-- storm:start -->";
export const END = "<!-- storm:end -->";
const REPO = fileURLToPath(new URL("..", import.meta.url));

/** Replaces the marked section, or appends it when the document has none yet. */
export function replaceSection(doc: string, section: string): string {
  const block = `${START}\n${section.trim()}\n${END}`;
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a >= 0 && b > a) return doc.slice(0, a) + block + doc.slice(b + END.length);
  if (a >= 0 || b >= 0)
    throw new Error(`docs: found only one of ${START} / ${END}; fix the document by hand`);
  const base = doc.trim() ? `${doc.trimEnd()}\n\n` : "# Benchmarks\n\n";
  return `${base}${block}\n`;
}

/** Writes the chart and the docs section; returns the files written. */
export function writeReport(r: ResultsFile, resultsPath: string, docsPath: string): string[] {
  const svgPath = path.join(path.dirname(docsPath), "benchmarks", "storm-timeline.svg");
  fs.mkdirSync(path.dirname(svgPath), { recursive: true });
  fs.writeFileSync(svgPath, timelineSvg(timelinePanels(r)));
  const doc = fs.existsSync(docsPath) ? fs.readFileSync(docsPath, "utf8") : "";
  const rel = (p: string) => path.relative(path.dirname(docsPath), p).split(path.sep).join("/");
  fs.writeFileSync(
    docsPath,
    replaceSection(doc, renderSection(r, path.relative(REPO, resultsPath), rel(svgPath))),
  );
  return [svgPath, docsPath];
}

/** One panel per storm ADD phase (S2/S3 at each concurrency, the S6 refill). */
export function timelinePanels(r: ResultsFile): Panel[] {
  const labels = [
    ...new Set(
      r.phases
        .filter(p => p.op === "ADD" && /^(S2|S3) c=|^S6 refill/.test(p.label))
        .map(p => p.label),
    ),
  ];
  return labels.map(label => ({
    title: label,
    pods: r.options.pods,
    series: r.systems.map(s => {
      const phase = r.phases.find(p => p.system === s.id && p.label === label);
      const times = r.records
        .filter(x => x.system === s.id && x.phase === label && x.address)
        .map(x => (x.endMs - (phase?.startedMs ?? 0)) / 1000);
      return { label: s.label, color: SYSTEM_COLORS[s.id] ?? "#000", times };
    }),
  }));
}

const sec = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
const ms1 = (ms: number) => (ms >= 100 ? Math.round(ms).toString() : ms.toFixed(1));

/** Requests per call; verbs under 0.05 a call are background (e.g. the API server's own Lease). */
function perCall(p: PhaseResult): string {
  const n = p.stats.calls || 1;
  const verbs = Object.entries(p.requests.byVerb)
    .filter(([, c]) => c / n >= 0.05)
    .map(([v, c]) => `${v} ${(c / n).toFixed(1)}`);
  return verbs.length ? `${(p.requests.total / n).toFixed(1)} (${verbs.join(", ")})` : "0";
}

function failures(p: PhaseResult): string {
  const e = Object.entries(p.stats.failuresByReason);
  return e.length ? e.map(([k, v]) => `${v}× ${k}`).join("; ") : "0";
}

function leaks(p: PhaseResult): string {
  if (p.leaks === undefined) return "";
  const extra = Object.entries(p.leftovers ?? {})
    .filter(([, v]) => v !== 0 && v !== "")
    .map(([k, v]) => `${k} ${v}`);
  return [String(p.leaks), ...extra].join(", ");
}

function phaseTable(r: ResultsFile, phases: PhaseResult[]): string {
  const label = (id: string) => r.systems.find(s => s.id === id)?.label ?? id;
  const rows = phases.map(p =>
    [
      p.label,
      label(p.system),
      `${p.stats.ok}/${p.stats.calls}`,
      sec(p.wallMs),
      ms1(p.stats.latency.p50),
      ms1(p.stats.latency.p90),
      ms1(p.stats.latency.p99),
      ms1(p.stats.latency.max),
      ms1(p.stats.queue.p50),
      perCall(p),
      String(p.requests.byCode["409"] ?? 0),
      failures(p),
      String(p.duplicates),
      leaks(p),
    ].join(" | "),
  );
  return [
    "| phase | system | ok/calls | wall s | p50 ms | p90 ms | p99 ms | max ms | queued p50 ms | API requests per call (by verb) | 409 | failures | dup. | leaks |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(x => `| ${x} |`),
  ].join("\n");
}

function ratioTable(r: ResultsFile): string {
  const tables: [string, RatioTable][] = [
    ["Whereabouts", r.ratio_ours_over_whereabouts],
    ["runtime floor", r.ratio_ours_over_runtime_floor],
    ["static floor", r.ratio_ours_over_static_floor],
  ];
  const labels = [
    ...new Set(r.phases.filter(p => p.system === "ours" && isCompared(p)).map(p => p.label)),
  ];
  const f = (x: number | undefined) =>
    x === undefined || Number.isNaN(x) ? "–" : x.toFixed(x < 0.1 ? 3 : 2);
  const head = `| phase | ${tables.map(([n]) => `wall ours/${n}`).join(" | ")} | ${tables.map(([n]) => `p50 ours/${n}`).join(" | ")} |`;
  const rows = labels.map(
    l =>
      `| ${l} | ${tables.map(([, t]) => f(t[l]?.wall)).join(" | ")} | ${tables.map(([, t]) => f(t[l]?.p50)).join(" | ")} |`,
  );
  return [
    head,
    `|---|${tables.map(() => "---|").join("")}${tables.map(() => "---|").join("")}`,
    ...rows,
  ].join("\n");
}

function targets(r: ResultsFile): string {
  const ours = r.scenarioChecks.ours;
  const rows: string[] = [];
  const yes = (b: boolean | undefined) => (b === undefined ? "not run" : b ? "met" : "**missed**");
  if (ours) {
    rows.push(
      `| S2: every Pod gets an address | ${
        Object.entries(ours.allAddressed)
          .map(([c, ok]) => `${c}: ${yes(ok)}`)
          .join(", ") || "not run"
      } |`,
    );
    rows.push(
      `| 0 duplicates (all phases) | ${ours.duplicates === 0 ? "met" : `**missed: ${ours.duplicates}**`} |`,
    );
    rows.push(
      `| 0 leaks after DEL (S4, S6) | ${ours.leaks === 0 ? "met" : `**missed: ${ours.leaks}**`} |`,
    );
    rows.push(
      `| S5: ADD fails on a full pool, succeeds after one release | ${ours.exhaustion ? yes(ours.exhaustion.failedWhenFull && ours.exhaustion.succeededAfterRelease) : "not run"} |`,
    );
    rows.push(`| S6: refill of the exact pool passes | ${yes(ours.refill)} |`);
  }
  for (const [name, table, bar, aim] of [
    ["≥ 10× faster than Whereabouts (wall, S2/S3 ADD)", r.ratio_ours_over_whereabouts, 0.1, 0.05],
    [
      "within 1.5× of the runtime floor (wall, S2/S3 ADD)",
      r.ratio_ours_over_runtime_floor,
      1.5,
      1.5,
    ],
  ] as const) {
    const storms = Object.entries(table).filter(([l]) => /^S[23] c=.* ADD$/.test(l));
    if (!storms.length) continue;
    const cells = storms.map(
      ([l, v]) =>
        `${l}: ${v.wall.toFixed(3)} ${v.wall <= bar ? (v.wall <= aim ? "met" : "met (aim 20×: missed)") : "**missed**"}`,
    );
    rows.push(`| ${name} | ${cells.join("; ")} |`);
  }
  if (r.poolScale) {
    const s = r.poolScale;
    rows.push(
      `| Pool scale: ADD p99 at ${s.allocated} allocated within 2× of empty | ${s.p99FullMs} ms vs ${s.p99EmptyMs} ms (×${s.p99Ratio}): ${yes(s.withinTwoX)} |`,
    );
    rows.push(
      `| No API object above 256 KiB | largest ${s.largestObject.kind} ${s.largestObject.name}: ${s.largestObject.bytes} B: ${yes(s.allUnderLimit)} |`,
    );
    rows.push(
      `| \`kubectl get sp\` counts | ALLOCATED-IP-COUNT ${s.kubectlGetSp.allocatedIPCount}, TOTAL-IP-COUNT ${s.kubectlGetSp.totalIPCount}: ${yes(s.kubectlGetSp.correct)} |`,
    );
  }
  return ["| target | result |", "|---|---|", ...rows].join("\n");
}

function cpuTable(r: ResultsFile): string {
  const phases = r.phases.filter(p => /^(S2|S3) c=.* ADD$|^S4 /.test(p.label));
  const keys = ["plugins", "apiserver", "etcd", "agents", "watcher"];
  const label = (id: string) => r.systems.find(s => s.id === id)?.label ?? id;
  return [
    `| phase | system | wall s | ${keys.map(k => `${k} CPU s`).join(" | ")} | peak plugin RSS MiB (sum) | etcd DB Δ MiB |`,
    `|---|---|---|${keys.map(() => "---|").join("")}---|---|`,
    ...phases.map(
      p =>
        `| ${p.label} | ${label(p.system)} | ${sec(p.wallMs)} | ${keys.map(k => (p.cpuSeconds[k] ?? 0).toFixed(1)).join(" | ")} | ${(p.peakPluginRssKiB / 1024).toFixed(0)} | ${p.etcdDbDeltaBytes === undefined ? "–" : (p.etcdDbDeltaBytes / 1048576).toFixed(1)} |`,
    ),
  ].join("\n");
}

/** CPU per call by component in the storms, and how much of the machine the phase got. */
function cpuPerCall(r: ResultsFile): string {
  const phases = r.phases.filter(p => /^(S2|S3) c=.* ADD$|^S4 .*after S2/.test(p.label));
  const keys = ["plugins", "apiserver", "etcd", "agents", "watcher"];
  const label = (id: string) => r.systems.find(s => s.id === id)?.label ?? id;
  return [
    `| phase | system | ${keys.map(k => `${k} ms`).join(" | ")} | total ms | CPU used ÷ (wall × ${r.machine.cpus} CPUs) |`,
    `|---|---|${keys.map(() => "---|").join("")}---|---|`,
    ...phases.map(p => {
      const n = p.stats.calls || 1;
      const per = keys.map(k => ((p.cpuSeconds[k] ?? 0) * 1000) / n);
      const total = per.reduce((a, b) => a + b, 0);
      const share = p.wallMs > 0 ? (total * n) / (p.wallMs * r.machine.cpus) : 0;
      return `| ${p.label} | ${label(p.system)} | ${per.map(x => x.toFixed(1)).join(" | ")} | ${total.toFixed(1)} | ${(share * 100).toFixed(0)} % |`;
    }),
  ].join("\n");
}

function poolScale(r: ResultsFile): string {
  const s = r.poolScale;
  if (!s) return "Not run.";
  const mib = (k: number[]) =>
    k.length
      ? `${(Math.max(...k) / 1024).toFixed(0)} MiB max, ${(k.reduce((a, b) => a + b, 0) / k.length / 1024).toFixed(0)} MiB mean`
      : "–";
  return [
    `Pool \`${s.pool}\`, a /16; ${s.allocated} addresses allocated (claims written in ${s.fillSeconds} s, see the method). ADDs one at a time, ${r.options.scaleSamples} at each end.`,
    "",
    "| measure | pool empty | pool full |",
    "|---|---|---|",
    `| ADD p99 | ${s.p99EmptyMs} ms | ${s.p99FullMs} ms (×${s.p99Ratio}) |`,
    `| agent RSS (per agent) | ${mib(s.agentRssKiB.empty)} | ${mib(s.agentRssKiB.full)} |`,
    `| Pepr watcher RSS | ${s.watcherRssKiB.empty ? `${(s.watcherRssKiB.empty / 1024).toFixed(0)} MiB` : "–"} | ${s.watcherRssKiB.full ? `${(s.watcherRssKiB.full / 1024).toFixed(0)} MiB` : "–"} |`,
    "",
    `Largest API objects (JSON as the API server returns them; limit ${OBJECT_SIZE_LIMIT / 1024} KiB):`,
    "",
    "| kind | name | bytes |",
    "|---|---|---|",
    ...s.largestObjects.map(o => `| ${o.kind} | ${o.name} | ${o.bytes} |`),
    "",
    "```",
    `$ kubectl get sp ${s.pool}`,
    s.kubectlGetSp.output,
    "```",
  ].join("\n");
}

const METHOD = `**How the load is generated.** The harness (\`bench/\`) registers its own simulated nodes
(Node objects with Leases and a Ready status it keeps fresh, tainted NoSchedule) and starts one of our
agents per node, as \`cluster:up\` starts them. For every call it creates a Pod bound to a node by
\`spec.nodeName\` (never started: no kubelet runs it, so nothing else writes it), then executes the IPAM
plugin directly, as the main plugin does through libcni: the whole network configuration on stdin, the
kubelet simulator's CNI environment (\`CNI_COMMAND\`, \`CNI_CONTAINERID\`, \`CNI_NETNS\` (a path, not entered),
\`CNI_IFNAME=eth0\`, \`CNI_PATH\`, \`CNI_ARGS\` with namespace, name, infra container ID and Pod UID) and nothing
else inherited. No network namespace is made: IPAM plugins never enter it, and one made per call would
cost the same for every system. Deletion follows the kubelet: the Pod is marked Terminating, the harness
runs CNI DEL for the sandbox its ADD made, then finalizes the Pod. Pod writes happen between timed
phases; a timed phase is only plugin processes. All calls of a phase are enqueued at once; each node runs
at most *c* at a time ("c=10" means 10 per node), and the machine runs at most \`maxProcs\` plugin
processes at once (memory guard; waiting for it shows as "queued"). Latency is spawn to exit of one
plugin process; wall time is first spawn to last exit. Every system allocates from the same windows
(S2: exactly as many addresses as Pods in 10.200.0.0/16; S1/S3: all of 10.201.0.0/16) with the same
Pods, nodes and environment; only the \`ipam\` section differs. Whereabouts v0.9.2 runs as its notes
prescribe (kubeconfig + flat file, CRDs, its own namespace, \`log_level: error\`, default leader
election, overlapping ranges on, no controllers) as system:masters, which API priority and fairness
exempts; our agents run as their ServiceAccount with the manifests' RBAC (priority level
workload-high, for ServiceAccounts of kube-system), so any queueing there counts against ours; our
plugin also logs at \`error\`. The floors get an
address the harness precomputed: the static floor is the Go \`static\` IPAM plugin, the runtime floor
a Node single executable (\`bench/floor-plugin.ts\`, with the V8 code cache, ADR 0005) that only prints it.
Ours is what a node runs: \`spiderpool\`, the Go exec shim that hands the call to the node's agent, which runs the
plugin in-process (ADR 0006); its Node executable \`spiderpool-node\` is installed beside it as the fallback and
is not started while the agent is up. So ours starts no Node process per call and can be faster than the runtime floor.

**API requests** are the deltas of kube-apiserver's \`apiserver_request_total\` around each timed
phase, restricted to the IPAM resources (both systems' groups, Leases without PATCH — the simulated
kubelets renew node Leases by PATCH —, Pods and Namespaces; WATCH not counted). **Duplicates** are
addresses a plugin returned while another live Pod held them; **leaks** are addresses (and
reservations) still held after every Pod's DEL. S5 and leaks do not apply to the floors.`;

export function renderSection(r: ResultsFile, resultsRel: string, svgRel: string): string {
  const m = r.machine;
  const scen = (re: RegExp) => r.phases.filter(p => re.test(p.label));
  const cs = r.options.concurrency.map(c => `c=${c}`).join(", ");
  return `## Storm benchmark: ours vs Whereabouts and the floors

_Generated by \`npm run bench\` from \`${resultsRel}\` (run ${r.runId}, ${r.mode}, ${r.startedAt} to ${r.finishedAt}).
Everything between the storm markers is rewritten on each run; regenerate with \`npx tsx bench/report.ts ${resultsRel}\`._

${r.options.pods} Pods on ${r.options.nodes} simulated nodes, concurrency per node ${cs}; at most ${r.options.maxProcs} plugin
processes alive at once. One run, one machine: ${m.cpus} × ${m.cpuModel}, ${Math.round(m.memoryMiB / 1024)} GiB RAM, ${m.os},
kernel ${m.kernel}; load average ${m.loadAverage.join(" / ")} at the start and ${r.loadAverageAtEnd.join(" / ")} at the end
(${m.apiserversRunning} kube-apiservers were running on the machine: the CPUs are shared with other clusters).
Versions: ${Object.entries(r.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join("; ")}.

${METHOD}

### Targets

${targets(r)}

### S1: sequential baseline

${phaseTable(r, scen(/^S1 /))}

### S2: addresses == Pods, and S4: DEL with leak audit

${phaseTable(r, scen(/^S2 |^S4 .*after S2/))}

### S3: addresses sufficient (/16), and S4

${phaseTable(r, scen(/^S3 |^S4 .*after S3/))}

### S5: exhaustion

${phaseTable(r, scen(/^S5 /))}

### S6: churn and refill

${phaseTable(r, scen(/^S6 /))}

### Ratios (ours ÷ other, same phase; below 1 = ours faster)

${ratioTable(r)}

### Pods holding an address over time

![Pods holding an address over time, per storm and system](${svgRel})

### Where the time goes

CPU per call, by component, during the storms (the plugins' CPU is the harness's reaped children;
the other components are read from /proc). The last column is the share of the machine's CPUs the
measured components used during the phase; the rest went to other clusters on the machine.

${cpuPerCall(r)}

CPU seconds and memory per phase:

${cpuTable(r)}

### Pool scale

${poolScale(r)}
`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write(
      "usage: npx tsx bench/report.ts bench/results/<file>.json [docs/benchmarks.md]\n",
    );
    process.exit(2);
  }
  // Results of full runs are committed gzipped: their raw records are ~11 MiB of JSON.
  const raw = fs.readFileSync(file);
  const r = JSON.parse(
    (file.endsWith(".gz") ? zlib.gunzipSync(raw) : raw).toString("utf8"),
  ) as ResultsFile;
  const written = writeReport(
    r,
    path.resolve(file),
    path.resolve(process.argv[3] ?? path.join(REPO, "docs/benchmarks.md")),
  );
  process.stderr.write(`wrote ${written.join(", ")}\n`);
}
