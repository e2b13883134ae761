/**
 * `npm run bench:webhook [-- --runs N] [--peers N] [--ranges N] [--cluster] [--no-docs]`
 *
 * How long admission takes to judge a new SpiderIPPool when 1,000 pools with many ranges exist.
 * Always: the pure lib/core call the validating webhook makes (validateIPPoolCreate, and
 * validateIPPoolUpdate with the pool's addresses in use), on peers freshly decoded for every run
 * as the webhook decodes its LIST. With --cluster (a running local cluster, see
 * SPIDERPOOL_CLUSTER_DIR): the full round trip of a server-side dry-run create through
 * kube-apiserver and the Pepr module (defaulting + validation, from their watch caches), after
 * creating the 1,000 peers there, and the first such request after each of `--restarts` restarts
 * of the admission process; the peers are deleted again afterwards.
 * Prints p50/p90/p99 and writes them into docs/benchmarks.md (its own marked section).
 */
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import {
  validateIPPoolCreate,
  validateIPPoolUpdate,
} from "../lib/core/admission/ippool-validation.js";
import type { AdmissionConfig, IPPoolObject } from "../lib/core/admission/admission-objects.js";
import { IntervalSet } from "../lib/core/net/interval-set.js";
import type { ApiClient } from "../lib/k8s/api-client.js";
import { AdmissionReads } from "../lib/k8s/admission-reads.js";
import { webhookScenarios, type WebhookScenario } from "./webhook-data.js";
import { percentiles, renderSection, writeSection, type ResultRow } from "./webhook-report.js";
import { clusterRoundTrips } from "./webhook-cluster.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CONFIG: AdmissionConfig = {
  enableIPv4: true,
  enableIPv6: true,
  enableSpiderSubnet: true,
  enableValidatingResourcesDeletedWebhook: false,
};
const TARGET_P99_MS = 50;

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "200" },
    warmup: { type: "string", default: "10" },
    peers: { type: "string", default: "1000" },
    ranges: { type: "string", default: "50" },
    cluster: { type: "boolean", default: false },
    restarts: { type: "string", default: "5" },
    "no-docs": { type: "boolean", default: false },
  },
});
const runs = positive("runs");
const warmup = Number(values.warmup);
const size = { peers: positive("peers"), rangesPerPool: positive("ranges") };

function positive(flag: "runs" | "peers" | "ranges" | "restarts"): number {
  const n = Number(values[flag]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(
      `--${flag}: expected a positive integer, got ${JSON.stringify(values[flag])}\n`,
    );
    process.exit(2);
  }
  return n;
}

/** Times `run` after `warmup` unmeasured calls; `prepare` (untimed) makes each run's input. */
async function measure<T>(prepare: () => T, run: (input: T) => Promise<void>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await run(prepare());
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const input = prepare();
    const t0 = performance.now();
    await run(input);
    samples.push(performance.now() - t0);
  }
  return samples;
}

/**
 * AdmissionReads over a LIST that is already decoded: the handler's own work starts where the
 * API client's ends, so JSON decoding is left out of these timings (the round-trip rows have it).
 * `serve` sets the list the next `pools()` gets.
 */
function decodedReads(): {
  reads: AdmissionReads;
  serve: (list: { items: IPPoolObject[] }) => AdmissionReads;
} {
  let current: { items: IPPoolObject[] } = { items: [] };
  const reads = new AdmissionReads({ get: async () => current } as unknown as ApiClient);
  return {
    reads,
    serve: list => {
      current = list;
      return reads;
    },
  };
}

async function pureRows(scenario: WebhookScenario): Promise<ResultRow[]> {
  // The webhook decodes a fresh LIST for every request: no object survives from one run to the next.
  const listBody = JSON.stringify({ items: scenario.peers });
  const fresh = () => JSON.parse(listBody) as { items: IPPoolObject[] };
  const create = (reads: AdmissionReads) => async () => {
    const peers = await reads.pools();
    const verdict = validateIPPoolCreate({ pool: scenario.candidate, peers, config: CONFIG });
    if (!verdict.allowed)
      throw new Error(`bench data is wrong: ${scenario.id} candidate refused: ${verdict.message}`);
  };
  const family = scenario.candidate.spec.ipVersion as 4 | 6;
  const inUse = IntervalSet.fromRanges(scenario.candidate.spec.ips ?? [], family);
  if (!inUse.ok) throw new Error(inUse.error.message);
  const held = inUse.value
    .toAddressStrings()
    .map((address, i) => ({ address, pod: `bench/pod-${i}` }));
  const update = (reads: AdmissionReads) => async () => {
    const peers = await reads.pools();
    const verdict = validateIPPoolUpdate({
      pool: scenario.candidate,
      oldPool: scenario.candidate,
      peers,
      inUse: held,
      config: CONFIG,
    });
    if (!verdict.allowed)
      throw new Error(`bench data is wrong: ${scenario.id} update refused: ${verdict.message}`);
  };
  // A new AdmissionReads per run: nothing is remembered, every peer is parsed (an admission
  // process's first request, or one after every pool changed).
  const cold = await measure(fresh, list => create(decodedReads().serve(list))());
  // One AdmissionReads for all runs: the steady state, peers unchanged since the last request.
  const shared = decodedReads();
  const warm = await measure(fresh, list => create(shared.serve(list))());
  const warmUpdate = await measure(fresh, list => update(shared.serve(list))());
  return [
    {
      what: `CREATE, every peer parsed (first request): ${scenario.title}`,
      figures: percentiles(cold),
    },
    {
      what: `CREATE, peers unchanged since the last request: ${scenario.title}`,
      figures: percentiles(warm),
    },
    {
      what: `UPDATE, ${held.length} addresses in use, peers unchanged: ${scenario.title}`,
      figures: percentiles(warmUpdate),
    },
  ];
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0] ?? 0;
  const rows: ResultRow[] = [];
  const scenarios = webhookScenarios(size);
  for (const s of scenarios) {
    process.stderr.write(`timing ${s.id} (${runs} runs)\n`);
    rows.push(...(await pureRows(s)));
  }
  if (values.cluster)
    rows.push(
      ...(await clusterRoundTrips(scenarios[0]!, {
        runs,
        warmup,
        restarts: positive("restarts"),
        log: l => process.stderr.write(`${l}\n`),
      })),
    );

  const width = Math.max(...rows.map(r => r.what.length));
  process.stdout.write(`${"what is timed".padEnd(width)}   p50 ms   p90 ms   p99 ms   max ms\n`);
  for (const r of rows) {
    const f = r.figures;
    process.stdout.write(
      `${r.what.padEnd(width)} ${[f.p50, f.p90, f.p99, f.max].map(v => v.toFixed(2).padStart(8)).join(" ")}\n`,
    );
  }
  const steady = rows.filter(
    r => r.what.includes("unchanged") || /^round trip.*SpiderIPPool/.test(r.what),
  );
  const worst = Math.max(...steady.map(r => r.figures.p99));
  process.stdout.write(
    `target p99 < ${TARGET_P99_MS} ms (rules with peers unchanged; round trips, the first after a start included): ${worst < TARGET_P99_MS ? "met" : "MISSED"} (worst p99 ${worst.toFixed(2)} ms)\n`,
  );

  if (!values["no-docs"]) {
    const cpus = os.cpus();
    const machine = `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}`;
    const load = `${loadBefore.toFixed(1)}→${(os.loadavg()[0] ?? 0).toFixed(1)}`;
    const note =
      `${runs} timed runs after ${warmup} warm-up runs per row; peers are decoded afresh for every run, as the webhook decodes its LIST. ` +
      `The machine is shared: its 1-minute load average went ${load} during the run. ` +
      (values.cluster
        ? `Round-trip rows: server-side dry-run creates against the local cluster (kube-apiserver + the Pepr module as processes), with the 1,000 pools stored; the "first after a start" row times one request after each of ${positive("restarts")} restarts of the admission process.`
        : "Round-trip rows need a running cluster and `-- --cluster`; not measured in this run.");
    const file = path.join(ROOT, "docs/benchmarks.md");
    writeSection(
      file,
      renderSection(rows, { date: new Date().toISOString().slice(0, 10), machine, note }),
    );
    process.stderr.write(`updated ${path.relative(ROOT, file)}\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`bench:webhook: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
