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
import { MultusConfigController } from "./multus-config-controller.js";
import { watchEvents, type EventInbox } from "./event-inbox.js";
import { AUTO_POOL_WORKLOAD_KINDS } from "../core/auto-pool/auto-pool-workload.js";

/**
 * The controllers of the watcher process (a single replica): pool status and finalizers, the
 * overlap resolver, auto pools and IP GC. The capability's Watch bindings hand them their kinds'
 * events through `inbox`; each keeps its own informer caches (which its runs read), its work
 * queue with retries and a periodic resync, since Pepr's watch callbacks are neither retried nor
 * re-delivered for unchanged objects (docs/architecture.md, "What reacts to each kind").
 */
export async function startWatcherControllers(inbox: EventInbox = watchEvents): Promise<void> {
  const log = createLogger("watcher");
  const api = ApiClient.fromKubeconfig(process.env.KUBECONFIG || undefined);
  const { config, warnings } = await loadConfig(api);
  if (warnings.length) log.warn(configWarningLine(warnings), { keys: warnings.map(w => w.key) });
  const metrics = new WatcherMetrics().watchApi(api.activity);
  const metricsPort = Number(process.env.SPIDERPOOL_METRIC_HTTP_PORT ?? 5721);
  if (metricsPort > 0) metrics.serve(metricsPort, process.env.SPIDERPOOL_OPS_ADDRESS ?? "0.0.0.0");

  const pools = new PoolStatusController(api, log, metrics);
  metrics.watchPools(() => pools.pools.list());
  new PoolOverlapController(api, pools.pools, log);
  // Before the watches start, so every pool's first event reaches it: pools Spiderpool filled
  // stay closed to allocation and to the status projection until their records are claims.
  const imports = new AllocationImportController(api, pools.pools, pools.claims, log, metrics);
  pools.start();
  // Each controller takes its events once the caches its runs read are loaded; the first sweep
  // that follows looks at everything, so what was dropped before is not missed.
  const routed = (kinds: readonly string[], to: string) =>
    log.info("watch events of the capability routed to a controller", { kinds, to });
  void Promise.all([pools.pools.synced, pools.claims.synced]).then(() => {
    inbox.register("SpiderIPPool", p => pools.poolChanged(p));
    routed(["SpiderIPPool"], "pool status");
  });
  const auto = startAutoPoolControllers(api, config, pools, log); // subnet status, auto pools, third-party reclaim
  if (auto) metrics.watchSubnets(() => auto.listSubnets());
  void auto?.ready.then(() => {
    inbox.register("SpiderSubnet", s => auto.subnets.subnetChanged(s));
    routed(["SpiderSubnet"], "subnet status");
    if (!auto.autoPools) return;
    inbox.register("SpiderReservedIP", () => auto.workloads.reservedIPsChanged());
    for (const kind of AUTO_POOL_WORKLOAD_KINDS)
      inbox.register(kind, (w, phase) => auto.workloads.workloadChanged(kind, w, phase));
    routed(["SpiderReservedIP", ...AUTO_POOL_WORKLOAD_KINDS], "auto pools");
  });
  // SpiderMultusConfig → its NetworkAttachmentDefinition (docs/usage/multus-config.md).
  const multus = new MultusConfigController(api, log).start();
  void multus.synced.then(() => {
    inbox.register("SpiderMultusConfig", smc => multus.smcChanged(smc));
    routed(["SpiderMultusConfig"], "multus config");
    multus.resyncAll();
  });
  setInterval(() => {
    pools.resyncAll();
    imports.resyncAll();
    multus.resyncAll();
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
    inbox.register("SpiderEndpoint", ep => gc.endpointChanged(ep));
    routed(["SpiderEndpoint"], "IP GC");
    setInterval(() => gc.scanAll(), config.gc.scanAllIntervalSeconds * 1000).unref();
  }
  log.info("watcher controllers started", { gc: config.gc });
}
