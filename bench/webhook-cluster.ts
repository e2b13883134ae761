/**
 * The --cluster part of `npm run bench:webhook`: the scenario's peers are created in the running
 * local cluster (through admission, like any pool), then a server-side dry-run create of the
 * candidate is timed end to end: kube-apiserver, the mutating and validating webhooks of the
 * Pepr module (judging against their watch caches, docs/adr/0010-admission-cache.md), and back.
 * Nothing of the timed requests is stored. Then the admission process is restarted `restarts`
 * times and the first such request after each start is timed alone. The LIST of all pools, which
 * every validation made before the caches, and a dry-run create of a ConfigMap, which no webhook
 * sees, are timed beside it to show where the time goes.
 */
import fs from "node:fs";
import { ApiClient } from "../lib/k8s/api-client.js";
import { K8sError } from "../lib/k8s/k8s-error.js";
import { paths } from "../e2e/cluster/paths.js";
import { loadState, startPeprAdmissionAgain, stopPeprAdmission } from "../e2e/cluster/cluster.js";
import { percentiles, type ResultRow } from "./webhook-report.js";
import type { WebhookScenario } from "./webhook-data.js";

const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";
const RESERVED_IPS = "/apis/spiderpool.spidernet.io/v2beta1/spiderreservedips";

export async function clusterRoundTrips(
  scenario: WebhookScenario,
  opts: { runs: number; warmup: number; restarts: number; log: (line: string) => void },
): Promise<ResultRow[]> {
  const api = ApiClient.fromKubeconfig(paths.kubeconfig);
  try {
    const t0 = performance.now();
    await inParallel(scenario.peers, 4, async p => {
      await api.create(POOLS, stripped(p)).catch((e: unknown) => {
        if (!(e instanceof K8sError && e.code === "already_exists")) throw e;
      });
    });
    opts.log(
      `created ${scenario.peers.length} pools in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    // The watcher projects a status onto each new pool; the round trips are timed once it has,
    // not against the one-time reconciliation of a thousand new pools.
    await waitStatuses(api, "bench-peer-", opts.log);

    const state = loadState();
    if (!state) throw new Error("no cluster state: is the local cluster up?");
    const admissionLog = state.pepr.find(d => d.name === "pepr-admission")?.log;
    const logFrom = admissionLog ? fs.statSync(admissionLog).size : 0;
    // Three requests per run, one after the other, so that all three meet the same load of the
    // shared machine: the pool through both webhooks; a reserved IP through the same two webhooks
    // of the same module with handlers that read nothing (Pepr's floor); a ConfigMap no webhook sees.
    const requests = {
      pool: () => api.create(POOLS, stripped(scenario.candidate), { dryRun: "All" }),
      reservedIP: () =>
        api.create(
          RESERVED_IPS,
          {
            apiVersion: "spiderpool.spidernet.io/v2beta1",
            kind: "SpiderReservedIP",
            metadata: { name: "bench-webhook-floor" },
            spec: { ips: ["10.250.0.1"] },
          },
          { dryRun: "All" },
        ),
      configMap: () =>
        api.create(
          "/api/v1/namespaces/default/configmaps",
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "bench-webhook" },
            data: { a: "b" },
          },
          { dryRun: "All" },
        ),
    };
    const samples = { pool: [] as number[], reservedIP: [] as number[], configMap: [] as number[] };
    for (let i = 0; i < opts.warmup + opts.runs; i++)
      for (const what of ["pool", "reservedIP", "configMap"] as const) {
        const s = performance.now();
        await requests[what]();
        if (i >= opts.warmup) samples[what].push(performance.now() - s);
      }
    // What the module itself took of the pool's round trips, from Pepr's own request log (which
    // it may write a moment late).
    await new Promise(r => setTimeout(r, 1000));
    const served = admissionLog
      ? servedDurations(admissionLog, logFrom, scenario.candidate.metadata?.name ?? "")
      : undefined;
    const dryRun = () => api.create(POOLS, stripped(scenario.candidate), { dryRun: "All" });
    const first: number[] = [];
    for (let i = 0; i < opts.restarts; i++) {
      await stopPeprAdmission(state);
      const s = performance.now();
      // Ready means /healthz answers, which the module does once its caches have loaded.
      await startPeprAdmissionAgain(state);
      const ready = performance.now() - s;
      const t = performance.now();
      await dryRun();
      first.push(performance.now() - t);
      opts.log(
        `restart ${i + 1}: ready after ${(ready / 1000).toFixed(1)} s, first request ${first[first.length - 1]!.toFixed(1)} ms`,
      );
    }
    // What the validating webhook read for every request before its caches (ADR 0010).
    const list: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const s = performance.now();
      await api.get(POOLS);
      list.push(performance.now() - s);
    }
    return [
      {
        what: `round trip, dry-run create of a SpiderIPPool (admission webhooks): ${scenario.title}`,
        figures: percentiles(samples.pool),
      },
      ...(first.length
        ? [
            {
              what: `round trip, first dry-run create after the admission process (re)started, one per start: ${scenario.title}`,
              figures: percentiles(first),
            },
          ]
        : []),
      ...(served
        ? (["mutate", "validate"] as const)
            .filter(kind => served[kind].length > 0)
            .map(kind => ({
              what: `of which the module's ${kind === "mutate" ? "defaulting" : "validating"} webhook, as Pepr logs it (request in to response out, whole ms): ${scenario.title}`,
              figures: percentiles(served[kind]),
            }))
        : []),
      {
        what: "round trip, dry-run create of a SpiderReservedIP (the same two webhooks, handlers that read nothing): Pepr's floor",
        figures: percentiles(samples.reservedIP),
      },
      {
        what: `LIST of all SpiderIPPools from the client, decoded (what each validation read before its cache): ${scenario.title}`,
        figures: percentiles(list),
      },
      {
        what: "round trip, dry-run create of a ConfigMap (no webhook), for scale",
        figures: percentiles(samples.configMap),
      },
    ];
  } finally {
    const t1 = performance.now();
    await inParallel(scenario.peers, 4, p =>
      api.delete(`${POOLS}/${p.metadata?.name}`).catch(() => undefined),
    );
    await waitNoPools(api, "bench-peer-");
    opts.log(`deleted them again in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    api.close();
  }
}

/**
 * The durations Pepr's request log gives for the admission requests about objects named `name`
 * written to `log` after byte `from`, by webhook. Pepr logs one JSON line when a request comes in
 * (with the object's name and the request's uid) and one when its answer has gone out (with the
 * uid and `duration: "<n> ms"`).
 */
export function servedDurations(
  log: string,
  from: number,
  name: string,
): { mutate: number[]; validate: number[] } {
  const out = { mutate: [] as number[], validate: [] as number[] };
  const ours = new Set<string>();
  const text = fs.readFileSync(log).subarray(from).toString("utf8");
  for (const line of text.split("\n")) {
    let entry: { uid?: unknown; name?: unknown; url?: unknown; duration?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (typeof entry.uid !== "string") continue;
    // Pepr writes the name with a leading slash (namespace/name, the namespace empty here).
    if (entry.name === name || entry.name === `/${name}`) ours.add(entry.uid);
    if (!ours.has(entry.uid) || typeof entry.duration !== "string") continue;
    const kind =
      typeof entry.url === "string" ? /^\/(mutate|validate)\//.exec(entry.url)?.[1] : undefined;
    const ms = Number.parseFloat(entry.duration);
    if ((kind === "mutate" || kind === "validate") && Number.isFinite(ms)) out[kind].push(ms);
  }
  return out;
}

/** Waits (bounded) until every pool named `prefix`* has the status the watcher projects onto it. */
async function waitStatuses(
  api: ApiClient,
  prefix: string,
  log: (l: string) => void,
): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < 90; i++) {
    const l = await api.get<{
      items: { metadata: { name: string }; status?: { totalIPCount?: number } }[];
    }>(POOLS);
    const left = l.items.filter(
      p => p.metadata.name.startsWith(prefix) && p.status?.totalIPCount === undefined,
    ).length;
    if (left === 0) {
      log(
        `the watcher had every pool's status after ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      return;
    }
    await new Promise(r => setTimeout(r, 2000));
  }
  log("the watcher had not projected every pool's status after 3 minutes; timing anyway");
}

/** What a user would write: no finalizer, no label (defaulting adds them). */
function stripped(p: WebhookScenario["candidate"]) {
  return {
    apiVersion: p.apiVersion,
    kind: p.kind,
    metadata: { name: p.metadata?.name },
    spec: p.spec,
  };
}

async function inParallel<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

async function waitNoPools(api: ApiClient, prefix: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const l = await api.get<{ items: { metadata: { name: string } }[] }>(POOLS);
    if (!l.items.some(p => p.metadata.name.startsWith(prefix))) return;
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(`pools named ${prefix}* still present after 10 minutes`);
}
