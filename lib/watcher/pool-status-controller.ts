import type { KubeApi, KubeObject, Stored } from "../k8s/api-client.js";
import { CLAIMS_PATH } from "../k8s/claim-store.js";
import { FINALIZER } from "../k8s/endpoint-store.js";
import { Informer } from "../k8s/informer.js";
import { K8sError } from "../k8s/k8s-error.js";
import { poolStatusOf, statusDiffers } from "../core/lifecycle/pool-status.js";
import type { IpFamily } from "../core/net/address.js";
import type { IPClaim } from "../schemas/ip-claim.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { Logger } from "../logger.js";
import { recordEvent } from "../k8s/events.js";
import type { WatcherMetrics } from "./metrics.js";
import { WorkQueue } from "./work-queue.js";
import { IMPORTED_ANNOTATION, SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";
import { usableAddresses } from "../core/net/usable-addresses.js";

const POOLS = `/apis/${SPIDERPOOL_API_VERSION}/spiderippools`;

type Pool = Stored<SpiderIPPool>;
type Claim = Stored<IPClaim>;

/** A change after a quiet period is written after this coalescing delay. */
const STATUS_DELAY_MS = 300;
/**
 * At most one status write per pool per this interval while its claims keep changing: under a
 * storm the pool status writes were a tenth of the API requests per ADD, and every agent received
 * each one whole (docs/concepts/scale.md). The status is a view, the claims are the ledger, so
 * it may lag them by this much (docs/usage/ippool.md, below the status fields).
 */
export const STATUS_INTERVAL_MS = 10_000;

/**
 * Keeps each pool's status a projection of its claims: counts, `totalIPCount` and the
 * Spiderpool `allocatedIPs` view, written by this single writer, coalesced per pool — so
 * allocation never writes the pool object. The first change after a quiet period is written
 * within the coalescing delay; while changes keep coming, at most once per interval, so a storm
 * costs a few status writes per pool rather than one per Pod. Also lets a deleted pool go once no
 * claim holds its addresses.
 */
export class PoolStatusController {
  readonly pools: Informer<Pool>;
  readonly claims: Informer<Claim>;
  readonly #byPool = new Map<string, Set<string>>();
  readonly #queue: WorkQueue;

  constructor(
    private readonly api: KubeApi,
    private readonly log: Logger,
    private readonly metrics?: WatcherMetrics,
    shared?: { pools: Informer<Pool>; claims: Informer<Claim> },
    timing: { delayMs: number; minIntervalMs: number } = {
      delayMs: STATUS_DELAY_MS,
      minIntervalMs: STATUS_INTERVAL_MS,
    },
  ) {
    this.pools = shared?.pools ?? new Informer<Pool>(api, { path: POOLS });
    this.claims = shared?.claims ?? new Informer<Claim>(api, { path: CLAIMS_PATH });
    this.#queue = new WorkQueue(name => this.#reconcile(name), {
      ...timing,
      onError: (key, e, n) =>
        log.warn("pool status update failed", { pool: key, attempt: n, err: e }),
    });
    this.pools.on(ev => this.#queue.add(ev.object.metadata.name));
    this.claims.on(ev => {
      const c = ev.object;
      const set = this.#byPool.get(c.spec.pool) ?? new Set<string>();
      if (ev.type === "deleted") set.delete(c.metadata.name);
      else set.add(c.metadata.name);
      this.#byPool.set(c.spec.pool, set);
      this.#queue.add(c.spec.pool);
    });
  }

  start(): this {
    this.pools.start();
    this.claims.start();
    return this;
  }

  stop(): void {
    this.#queue.stop();
  }

  /**
   * A pool changed, as the capability's Watch binding saw it: its status (or finalizer) is looked
   * at after the coalescing delay, from the cache. A deletion needs nothing: the pool is gone.
   */
  poolChanged(pool: KubeObject): void {
    this.#queue.add(pool.metadata.name);
  }

  /** Re-checks every pool; the periodic resync that catches anything a missed event left. */
  resyncAll(): void {
    for (const p of this.pools.list()) this.#queue.add(p.metadata.name);
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  async #reconcile(name: string): Promise<void> {
    const pool = this.pools.get(name);
    if (!pool) return;
    // Not before Spiderpool's records are claims (allocation-import-controller.ts marks the pool
    // then): a status projected from our claims alone would erase them, and a terminating pool
    // would lose its finalizer while Spiderpool's Pods still hold its addresses.
    if (pool.metadata.annotations?.[IMPORTED_ANNOTATION] === undefined) return;
    const claims = [...(this.#byPool.get(name) ?? [])]
      .map(n => this.claims.get(n))
      .filter((c): c is Claim => !!c && c.spec.pool === name);
    if (pool.metadata.deletionTimestamp) {
      if (claims.length === 0) await this.#dropFinalizer(pool);
      return;
    }
    const fam = (pool.spec.ipVersion ?? 4) as IpFamily;
    const usable = usableAddresses(pool.spec, fam);
    const wanted = poolStatusOf(
      usable,
      claims.map(c => c.spec),
    );
    if (!statusDiffers(pool.status, wanted)) return;
    if (pool.status?.allocatedIPs && !isRecordMap(pool.status.allocatedIPs)) {
      // Not a stale view but nonsense (edited by hand): say so before overwriting it.
      this.metrics?.inconsistent.inc({ kind: "SpiderIPPool" });
      await recordEvent(
        this.api,
        { ...pool, apiVersion: SPIDERPOOL_API_VERSION, kind: "SpiderIPPool" },
        "Warning",
        "InvalidPoolStatus",
        "status.allocatedIPs is not a record map; rewritten from the address claims",
      );
    }
    // A merge patch sets the three fields and, with null, removes a view that no longer applies.
    await this.api
      .patch(
        `${POOLS}/${name}/status`,
        { status: { ...wanted, allocatedIPs: wanted.allocatedIPs ?? null } },
        "merge",
      )
      .catch(e => {
        if (!(e instanceof K8sError && e.code === "not_found")) throw e;
      });
  }

  async #dropFinalizer(pool: Pool): Promise<void> {
    const fins = pool.metadata.finalizers ?? [];
    if (!fins.includes(FINALIZER)) return;
    await this.api
      // resourceVersion in the merge patch: only the version we judged loses its finalizer.
      .patch(
        `${POOLS}/${pool.metadata.name}`,
        {
          metadata: {
            resourceVersion: pool.metadata.resourceVersion,
            finalizers: fins.filter(f => f !== FINALIZER),
          },
        },
        "merge",
      )
      .catch(e => {
        if (!(e instanceof K8sError && e.code === "not_found")) throw e;
      });
    this.log.info("pool released its finalizer: no address is claimed", {
      pool: pool.metadata.name,
    });
  }
}

/** Whether `allocatedIPs` has Spiderpool's shape: a JSON object of {pod, podUid} records. */
function isRecordMap(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return (
      typeof v === "object" &&
      v !== null &&
      !Array.isArray(v) &&
      Object.values(v).every(
        r =>
          typeof r === "object" && r !== null && typeof (r as { pod?: unknown }).pod === "string",
      )
    );
  } catch {
    return false;
  }
}
