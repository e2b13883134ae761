import type { KubeApi, Stored } from "../k8s/api-client.js";
import { Informer } from "../k8s/informer.js";
import { SUBNETS_PATH } from "../k8s/subnet-status-store.js";
import { parseApplicationKey } from "../core/auto-pool/auto-pool-naming.js";
import type { IPClaim } from "../schemas/ip-claim.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { SpiderReservedIP } from "../schemas/reserved-ip.js";
import type { SpiderSubnet } from "../schemas/subnet.js";
import type { SpiderpoolConfig } from "../schemas/config.js";
import type { Logger } from "../logger.js";
import { KeyedLock } from "./keyed-lock.js";
import { SubnetController } from "./subnet-controller.js";
import { ThirdPartyReclaimer } from "./third-party-reclaimer.js";
import { WorkloadController } from "./workload-controller.js";
import { SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

const RESERVED_PATH = `/apis/${SPIDERPOOL_API_VERSION}/spiderreservedips`;

export interface AutoPoolControllers {
  workloads: WorkloadController;
  subnets: SubnetController;
  thirdParty: ThirdPartyReclaimer;
  /** Whether workload auto pools run (`enableAutoPoolForApplication`), not only subnet status. */
  autoPools: boolean;
  /** The SpiderSubnets in the cache (for the watcher's metrics). */
  listSubnets(): readonly Stored<SpiderSubnet>[];
  /** Resolves once every cache is loaded and the first sweep has been queued. */
  ready: Promise<void>;
  resync(): void;
}

/**
 * Starts the SpiderSubnet side of the watcher: subnet status and deletion always (when the subnet
 * feature is on), workload auto pools and third-party reclaim when `enableAutoPoolForApplication`
 * is on too. Our own informers rather than Pepr Watch bindings: see docs/adr/0004-auto-pools.md.
 */
export function startAutoPoolControllers(
  api: KubeApi,
  config: SpiderpoolConfig,
  shared: { pools: Informer<Stored<SpiderIPPool>>; claims: Informer<Stored<IPClaim>> },
  log: Logger,
  resyncMs = 60_000,
): AutoPoolControllers | undefined {
  if (!config.enableSpiderSubnet) return undefined;
  const subnets = new Informer<Stored<SpiderSubnet>>(api, {
    path: SUBNETS_PATH,
    onError: e => log.warn("watch of subnets failed; retrying", { err: e }),
  });
  const reserved = new Informer<Stored<SpiderReservedIP>>(api, {
    path: RESERVED_PATH,
    onError: e => log.warn("watch of reserved IPs failed; retrying", { err: e }),
  });
  const lock = new KeyedLock();
  const workloads = new WorkloadController(
    api,
    log,
    config,
    { ...shared, subnets, reserved },
    lock,
  );
  const thirdParty = new ThirdPartyReclaimer(api, log, shared.pools);
  const exists = (key: string): boolean | undefined => {
    const app = parseApplicationKey(key);
    if (!app) return undefined;
    const gv = app.group ? `${app.group}_${app.version}` : app.version;
    const uid = workloads.uidOf({ gv, kind: app.kind, namespace: app.namespace, name: app.name });
    return uid !== undefined ? uid !== null : thirdParty.exists(key);
  };
  const subnetController = new SubnetController(api, log, subnets, shared.pools, lock, exists);
  subnets.start();
  reserved.start();
  if (config.enableAutoPoolForApplication) workloads.start();
  // The first sweep runs once every cache is loaded: what happened while no watcher ran.
  const ready = Promise.all([
    subnets.synced,
    reserved.synced,
    shared.pools.synced,
    shared.claims.synced,
    // Workload informers start only with auto pools on; without them nothing would resolve.
    config.enableAutoPoolForApplication ? workloads.synced() : undefined,
  ]).then(() => controllers.resync());
  const controllers: AutoPoolControllers = {
    workloads,
    subnets: subnetController,
    thirdParty,
    autoPools: config.enableAutoPoolForApplication,
    listSubnets: () => subnets.list(),
    ready,
    resync() {
      subnetController.resync();
      if (config.enableAutoPoolForApplication) {
        workloads.resync();
        thirdParty.resync();
      }
    },
  };
  setInterval(() => controllers.resync(), resyncMs).unref();
  return controllers;
}
