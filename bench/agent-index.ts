/**
 * Per-event costs inside one process (`npm run bench:agent-index`), no cluster needed:
 *   cold start  an agent's ClusterView started against an in-memory API holding n claims
 *               scattered over one /16 pool (one run per claim up to 32k), until its informers
 *               are synced and the pool's taken set has been read once, as the first ADD after
 *               start reads it. The claims' LIST is served as pre-encoded pages of 500 that the
 *               informer decodes, as from the API server (MemoryApi's own paging re-sorts the
 *               whole store per page, a cost of the test double that no agent pays)
 *   per event   at n claims in that pool, the cost of one claim event (a claim noted, then
 *               forgotten), of the first read of the taken set after a change (what the next
 *               ADD on this agent pays), and of building the set from all n addresses (what a
 *               rebuild on read, the alternative in docs/adr/0009-taken-address-index.md, pays)
 *   work queue  the watcher's queue given n keys at once, each run taking one turn of the event
 *               loop: the cost per completion
 * Prints a Markdown table per part; `--sizes 1000,4000` and `--cold 8000,16000` pick the sizes.
 * Timings are wall clock on a shared machine: the shape of a row (flat, log, linear) is the
 * result, not the third digit. Method and numbers: docs/benchmarks.md (per-event costs).
 */
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { ClusterView, type Claim, type Pool } from "../lib/agent/cluster-view.js";
import { IntervalSet } from "../lib/core/net/interval-set.js";
import { CLAIMS_PATH } from "../lib/k8s/claim-store.js";
import { quietLogger } from "../lib/testing/quiet-logger.js";
import { MemoryApi } from "../lib/testing/memory-api.js";
import type { RequestOptions } from "../lib/k8s/api-client.js";
import { WorkQueue } from "../lib/watcher/work-queue.js";

const { values } = parseArgs({
  options: {
    cold: { type: "string", default: "8000,16000,32000,64000" },
    sizes: { type: "string", default: "1000,2000,4000,8000,16000,32000,64000" },
    queue: { type: "string", default: "1000,4000,16000,20000,65000" },
    events: { type: "string", default: "1000" },
    skip: { type: "string", default: "" },
  },
});
const list = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .filter(Boolean)
    .map(x => {
      const n = Number(x);
      if (!Number.isInteger(n) || n <= 0 || n > 65_000) {
        process.stderr.write(
          `bench/agent-index: expected sizes 1..65000, got ${JSON.stringify(x)}\n`,
        );
        process.exit(2);
      }
      return n;
    });
const skip = new Set((values.skip ?? "").split(",").filter(Boolean));
const EVENTS = Number(values.events);

const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";
const BASE = (10n << 24n) | (20n << 16n); // 10.20.0.0/16
const quiet = quietLogger;

const pool: Pool = {
  apiVersion: "spiderpool.spidernet.io/v2beta1",
  kind: "SpiderIPPool",
  metadata: { name: "pool", resourceVersion: "1" },
  spec: { ipVersion: 4, subnet: "10.20.0.0/16", ips: ["10.20.0.1-10.20.255.254"] },
} as Pool;

const v4 = (v: bigint) => [24n, 16n, 8n, 0n].map(s => String((v >> s) & 255n)).join(".");

function claim(value: bigint, i: number): Claim {
  const address = v4(value);
  return {
    apiVersion: "ipam.pepr-spiderpool.io/v1alpha1",
    kind: "IPClaim",
    metadata: { name: address, uid: `c-${i}` },
    spec: {
      address,
      ipVersion: 4,
      pool: "pool",
      podNamespace: `ns-${i % 50}`,
      podName: `pod-${i}`,
      podUID: `u-${i}`,
      interface: "eth0",
      node: `node-${i % 100}`,
    },
  } as Claim;
}

/**
 * n distinct host offsets of the /16 (1..65534) in a deterministic shuffled order, chosen so
 * the pool is as fragmented as it can be at that size: odd offsets first (each a run of its
 * own), then even ones. The order of events is random, as a LIST in name order is.
 */
function scattered(n: number, seed = 1): bigint[] {
  const odd: number[] = [];
  const even: number[] = [];
  for (let i = 1; i <= 65_534; i++) (i % 2 ? odd : even).push(i);
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
  const shuffle = (a: number[]) => {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [a[i], a[j]] = [a[j] as number, a[i] as number];
    }
    return a;
  };
  const picked = [...shuffle(odd), ...shuffle(even)].slice(0, n);
  return shuffle(picked).map(i => BASE + BigInt(i));
}

const ms = (from: number) => performance.now() - from;
const fmt = (x: number, digits = 1) => x.toFixed(digits);

/** MemoryApi, but the claims' LIST comes from pages encoded beforehand: each costs its decode. */
class PagedClaimsApi extends MemoryApi {
  readonly #pages: string[] = [];

  constructor(claims: Claim[], rv: string) {
    super();
    for (let i = 0; i < claims.length; i += 500) {
      const more = i + 500 < claims.length;
      this.#pages.push(
        JSON.stringify({
          metadata: { resourceVersion: rv, ...(more ? { continue: `${rv}:${i + 500}` } : {}) },
          items: claims.slice(i, i + 500),
        }),
      );
    }
  }

  override get<T = unknown>(path: string, query?: RequestOptions["query"]): Promise<T> {
    if (path !== CLAIMS_PATH) return super.get<T>(path, query);
    const from = Number(String(query?.continue ?? "0:0").split(":")[1]);
    return Promise.resolve(JSON.parse(this.#pages[from / 500] ?? "{}") as T);
  }
}

async function coldStart(
  n: number,
): Promise<{ synced: number; handler: number; firstRead: number; runs: number }> {
  const claims = scattered(n)
    .map((v, i) => claim(v, i))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)); // a LIST comes in name order
  const api = new PagedClaimsApi(claims, "1");
  api.seed(POOLS, pool as never);
  const t0 = performance.now();
  const view = new ClusterView(api, "node-1", quiet);
  // The claim handler calls noteClaim through `this`, so timing it here times every event.
  let handler = 0;
  const note = view.noteClaim.bind(view);
  view.noteClaim = c => {
    const t = performance.now();
    note(c);
    handler += performance.now() - t;
  };
  view.start();
  await view.synced();
  const synced = ms(t0);
  const t1 = performance.now();
  const taken = view.taken(pool);
  const firstRead = ms(t1);
  view.stop();
  if (taken.size() !== BigInt(n)) throw new Error(`taken holds ${taken.size()}, expected ${n}`);
  return { synced, handler, firstRead, runs: taken.intervals.length };
}

/**
 * One view grown to each size in turn; at each, EVENTS claim events (the best of three rounds:
 * the machine is shared, and the slowest round measures the neighbours), 50 reads after a change
 * and three rebuilds.
 */
function perEvent(
  sizes: number[],
): { n: number; runs: number; event: number; read: number; rebuild: number }[] {
  const max = Math.max(...sizes);
  const order = scattered(Math.min(max + EVENTS, 65_534), 7);
  const view = new ClusterView({} as never, "node-1", quiet);
  const rows = [];
  let have = 0;
  const best = (rounds: number, f: () => number) => Math.min(...Array.from({ length: rounds }, f));
  for (const n of [...sizes].sort((a, b) => a - b)) {
    for (; have < n; have++) view.noteClaim(claim(order[have] as bigint, have));
    const probes = order.slice(n, n + EVENTS).map((v, i) => claim(v, 1_000_000 + i));
    view.taken(pool); // a read before, so the first timed event starts from a clean state
    const event = best(3, () => {
      const t = performance.now();
      for (const c of probes) {
        view.noteClaim(c);
        view.forgetClaim(c);
      }
      return (ms(t) * 1000) / (2 * probes.length);
    });
    const reads = probes.slice(0, 50);
    const t = performance.now();
    for (const c of reads) {
      view.noteClaim(c);
      view.taken(pool);
      view.forgetClaim(c);
    }
    const read = (ms(t) * 1000) / reads.length - 2 * event;
    // What a rebuild on read would pay after each change: the set made from every address.
    const values = order.slice(0, n);
    const rebuild = best(3, () => {
      const t = performance.now();
      IntervalSet.fromAddresses(4, values);
      return ms(t) * 1000;
    });
    rows.push({
      n,
      runs: view.taken(pool).intervals.length,
      event,
      read: Math.max(0, read),
      rebuild,
    });
  }
  return rows;
}

async function queue(n: number): Promise<number> {
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>(r => (finish = r));
  // Each run yields to the event loop once, so every key is queued before the first completes.
  const q = new WorkQueue(
    async () => {
      await new Promise(r => setImmediate(r));
      if (++done === n) finish();
    },
    { concurrency: 4, delayMs: 0 },
  );
  const t0 = performance.now();
  for (let i = 0; i < n; i++) q.add(`ns-${i % 97}/pod-${i}`);
  await all;
  const total = ms(t0);
  q.stop();
  return total;
}

async function main(): Promise<void> {
  if (!skip.has("cold")) {
    console.log(
      "\n| claims | runs in the pool | start to synced (ms) | of which claim events (ms) | first read (ms) |",
    );
    console.log("|---:|---:|---:|---:|---:|");
    for (const n of list(values.cold)) {
      const r = await coldStart(n);
      console.log(
        `| ${n} | ${r.runs} | ${fmt(r.synced, 0)} | ${fmt(r.handler, 0)} | ${fmt(r.firstRead)} |`,
      );
    }
  }
  if (!skip.has("event")) {
    console.log(
      "\n| claims | runs | per claim event (µs) | first read after a change (µs) | rebuild from all addresses (µs) |",
    );
    console.log("|---:|---:|---:|---:|---:|");
    for (const r of perEvent(list(values.sizes)))
      console.log(
        `| ${r.n} | ${r.runs} | ${fmt(r.event)} | ${fmt(r.read, 0)} | ${fmt(r.rebuild, 0)} |`,
      );
  }
  if (!skip.has("queue")) {
    console.log("\n| keys | total (ms) | per completion (µs) |");
    console.log("|---:|---:|---:|");
    for (const n of list(values.queue)) {
      const total = await queue(n);
      console.log(`| ${n} | ${fmt(total, 0)} | ${fmt((total * 1000) / n)} |`);
    }
  }
}

await main();
