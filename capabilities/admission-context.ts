import { ApiClient, type KubeApi } from "../lib/k8s/api-client.js";
import type { AdmissionReads } from "../lib/k8s/admission-reads.js";
import { CachedAdmissionReads } from "../lib/k8s/admission-cache.js";
import { loadConfig } from "../lib/k8s/config-source.js";
import { configWarningLine, type SpiderpoolConfig } from "../lib/schemas/config.js";
import { createLogger, type Logger } from "../lib/logger.js";
import { warmUpPoolAdmission } from "./admission-warm-up.js";

/**
 * What every admission handler needs, created once per process (at module start in admission
 * mode, see pepr.ts, or else on first use): an API client (in-cluster service account, or
 * KUBECONFIG locally), the reads of pools and subnets from watch-fed caches
 * (docs/adr/0010-admission-cache.md), the configuration and a logger.
 */
export interface AdmissionContext {
  /** For the few direct reads outside the caches (a SpiderMultusConfig's NAD). */
  api: KubeApi;
  reads: AdmissionReads;
  config: SpiderpoolConfig;
  log: Logger;
}

let ctx: Promise<AdmissionContext> | undefined;

export function admissionContext(): Promise<AdmissionContext> {
  ctx ??= (async () => {
    const api = ApiClient.fromKubeconfig(process.env.KUBECONFIG || undefined);
    const { config, warnings } = await loadConfig(api);
    const log = createLogger("admission");
    // Once per process: the context is made once (again only after a failure, which logged nothing).
    if (warnings.length) log.warn(configWarningLine(warnings), { keys: warnings.map(w => w.key) });
    const reads = new CachedAdmissionReads(api, {
      onError: (what, e) => log.warn(`admission watch of ${what} failed; retrying`, { err: e }),
    }).start();
    return { api, reads, config, log };
  })().catch((e: unknown) => {
    ctx = undefined; // a transient failure must not poison every later request
    throw e;
  });
  return ctx;
}

/**
 * How long the admission process may wait for its caches before it serves anyway (they are then
 * read around until they have loaded): a few LISTs of 1,000 large pools, and far below the time
 * a kubelet gives a pod to answer its probes.
 */
const START_WAIT_MS = 10_000;

/**
 * Makes the context and waits for the caches' first LIST (bounded), for the process to serve
 * only then: the first request finds the caches filled and their pools parsed, and Pepr's
 * /healthz, which the readiness probe asks, answers only from then on
 * (docs/adr/0010-admission-cache.md). Then the pool rules run once (warmUpPoolAdmission), so the
 * first request does not compile them. A failure is only logged: the first request makes the
 * context again.
 */
export async function startAdmissionContext(): Promise<void> {
  try {
    const { reads, config, log } = await admissionContext();
    if (reads instanceof CachedAdmissionReads && !(await reads.synced(START_WAIT_MS))) {
      log.warn("admission caches not loaded yet; serving with direct reads until they are");
      return;
    }
    await warmUpPoolAdmission(reads, config).catch((e: unknown) =>
      log.warn("admission warm-up failed; the first request compiles what it needs", { err: e }),
    );
  } catch (e) {
    createLogger("admission").warn("admission start deferred to the first request", { err: e });
  }
}
