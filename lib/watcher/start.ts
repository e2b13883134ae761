import { ApiClient } from "../k8s/api-client.js";
import { loadConfig } from "../k8s/config-source.js";
import { createLogger } from "../logger.js";
import { PoolStatusController } from "./pool-status-controller.js";
import { PoolOverlapController } from "./pool-overlap-controller.js";

/**
 * The controllers of the watcher process (a single replica): pool status and finalizers. Each
 * keeps its own watches and a periodic resync, since Pepr's Reconcile neither retries nor
 * re-delivers unchanged objects.
 */
export async function startWatcherControllers(): Promise<void> {
  const log = createLogger("watcher");
  const api = ApiClient.fromKubeconfig(process.env.KUBECONFIG || undefined);
  const config = await loadConfig(api);
  const pools = new PoolStatusController(api, log);
  new PoolOverlapController(api, pools.pools, log);
  pools.start();
  setInterval(() => pools.resyncAll(), 60_000).unref();
  log.info("watcher controllers started", { gcIntervalSeconds: config.gc.scanAllIntervalSeconds });
}
