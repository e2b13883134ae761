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
import { ApiClient } from "../lib/k8s/api-client.js";
import { K8sError } from "../lib/k8s/k8s-error.js";
import { paths } from "../e2e/cluster/paths.js";
import { loadState, startPeprAdmissionAgain, stopPeprAdmission } from "../e2e/cluster/cluster.js";
import { percentiles, type ResultRow } from "./webhook-report.js";
import type { WebhookScenario } from "./webhook-data.js";

const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";

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

    const timed = async (request: () => Promise<unknown>) => {
      for (let i = 0; i < opts.warmup; i++) await request();
      const samples: number[] = [];
      for (let i = 0; i < opts.runs; i++) {
        const s = performance.now();
        await request();
        samples.push(performance.now() - s);
      }
      return samples;
    };
    const pool = await timed(() =>
      api.create(POOLS, stripped(scenario.candidate), { dryRun: "All" }),
    );
    const dryRun = () => api.create(POOLS, stripped(scenario.candidate), { dryRun: "All" });
    const first: number[] = [];
    const state = loadState();
    if (!state) throw new Error("no cluster state: is the local cluster up?");
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
    const list = await timed(() => api.get(POOLS));
    const configMap = await timed(() =>
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
    );
    return [
      {
        what: `round trip, dry-run create of a SpiderIPPool (admission webhooks): ${scenario.title}`,
        figures: percentiles(pool),
      },
      ...(first.length
        ? [
            {
              what: `round trip, first dry-run create after the admission process (re)started, one per start: ${scenario.title}`,
              figures: percentiles(first),
            },
          ]
        : []),
      {
        what: `LIST of all SpiderIPPools from the client, decoded (what each validation read before its cache): ${scenario.title}`,
        figures: percentiles(list),
      },
      {
        what: "round trip, dry-run create of a ConfigMap (no webhook), for scale",
        figures: percentiles(configMap),
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
