import { ApiClient } from "../k8s/api-client.js";
import { loadConfig } from "../k8s/config-source.js";
import { configWarningLine } from "../schemas/config.js";
import { createLogger } from "../logger.js";
import { gcReleaseDelayMs } from "../core/lifecycle/gc-test-delay.js";
import { IpGcController } from "./ip-gc-controller.js";
import { WatcherMetrics } from "./metrics.js";
import { PoolOverlapController } from "./pool-overlap-controller.js";
import { PoolStatusController } from "./pool-status-controller.js";
import { AllocationImportController } from "./allocation-import-controller.js";
import { startAutoPoolControllers } from "./auto-pool-start.js";
import { QuarantineExpiry } from "./quarantine-expiry.js";

/**
 * The controllers of the watcher process (a single replica): pool status and finalizers, the
 * overlap resolver and IP GC. Each keeps its own watches and a periodic resync, since Pepr's
 * Reconcile neither retries nor re-delivers unchanged objects.
 */
export async function startWatcherControllers(): Promise<void> {
  const log = createLogger("watcher");
  const api = ApiClient.fromKubeconfig(process.env.KUBECONFIG || undefined);
  const { config, warnings } = await loadConfig(api);
  if (warnings.length) log.warn(configWarningLine(warnings), { keys: warnings.map(w => w.key) });
  const metrics = new WatcherMetrics().watchApi(api.activity);
  const metricsPort = Number(process.env.SPIDERPOOL_METRIC_HTTP_PORT ?? 5721);
  if (metricsPort > 0) metrics.serve(metricsPort, process.env.SPIDERPOOL_OPS_ADDRESS ?? "0.0.0.0");

  const pools = new PoolStatusController(api, log, metrics);
  new PoolOverlapController(api, pools.pools, log);
  // Before the watches start, so every pool's first event reaches it: pools Spiderpool filled
  // stay closed to allocation and to the status projection until their records are claims.
  const imports = new AllocationImportController(api, pools.pools, pools.claims, log, metrics);
  pools.start();
  startAutoPoolControllers(api, config, pools, log); // subnet status, auto pools, third-party reclaim
  setInterval(() => {
    pools.resyncAll();
    imports.resyncAll();
    metrics.totalPools.set(pools.pools.list().length);
  }, 60_000).unref();

  new QuarantineExpiry(api, pools.claims, log).start();

  if (config.gc.enabled) {
    const delayMs = gcReleaseDelayMs();
    if (delayMs)
      log.warn(
        "SPIDERPOOL_TEST_GC_DELAY_MS is set: every IP GC release waits this long after its decision (a test knob, never for production)",
        { delayMs },
      );
    const gc = new IpGcController(api, pools.claims, config.gc, metrics, log, delayMs).start();
    await gc.synced();
    gc.scanAll(); // at start: whatever happened while no watcher ran
    setInterval(() => gc.scanAll(), config.gc.scanAllIntervalSeconds * 1000).unref();
  }
  log.info("watcher controllers started", { gc: config.gc });
}
