import type { ApiClient, Stored } from "../k8s/api-client.js";
import { recordEvent } from "../k8s/events.js";
import type { Informer } from "../k8s/informer.js";
import { formatFieldErrors } from "../core/field-error.js";
import { findOverlapLosers } from "../core/overlap-losers.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { Logger } from "../logger.js";
import { WorkQueue } from "./work-queue.js";

const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";

/** Pools created this close together can both pass admission; later ones cannot. */
const RACE_WINDOW_MS = 60_000;

/**
 * Closes the race admission cannot: two overlapping pools created at the same moment are both
 * judged against a cluster that holds neither. Every pool change re-runs the admission peer
 * rules over all pools in creation order; a pool that loses is deleted with an Event saying
 * which pool owns its addresses. No address can be handed out twice meanwhile, because claims
 * are keyed by address (ADR 0002); the loser's finalizer waits for its claims like any pool's.
 */
export class PoolOverlapController {
  readonly #queue: WorkQueue;
  readonly #warned = new Set<string>();

  constructor(
    private readonly api: ApiClient,
    private readonly pools: Informer<Stored<SpiderIPPool>>,
    private readonly log: Logger,
  ) {
    this.#queue = new WorkQueue(() => this.#reconcile(), {
      delayMs: 500,
      onError: (_k, e, n) => log.warn("pool overlap check failed", { attempt: n, error: (e as Error).message }),
    });
    pools.on((ev) => {
      if (ev.type !== "deleted") this.#queue.add("all");
    });
  }

  async #reconcile(): Promise<void> {
    const live = this.pools.list().filter((p) => !p.metadata.deletionTimestamp);
    for (const loser of findOverlapLosers(live)) {
      const pool = this.pools.get(loser.name);
      if (!pool) continue;
      const why = formatFieldErrors(loser.reasons);
      const created = Date.parse(pool.metadata.creationTimestamp ?? "");
      const racedWith = loser.winners.filter((w) => Math.abs(created - Date.parse(w.creationTimestamp ?? "")) <= RACE_WINDOW_MS);
      if (!racedWith.length) {
        // Not a race admission could lose (e.g. pools that predate this module): never delete
        // an operator's pool on our own; say so and leave it.
        if (!this.#warned.has(loser.name)) this.log.warn("pools overlap; leaving them for an operator", { pool: loser.name, reasons: why });
        this.#warned.add(loser.name);
        continue;
      }
      this.log.warn("deleting a pool created concurrently with an overlapping one", { pool: loser.name, reasons: why });
      await recordEvent(this.api, { ...pool, apiVersion: "spiderpool.spidernet.io/v2beta1", kind: "SpiderIPPool" }, "Warning", "OverlappingIPPool", `deleted: created at the same time as an older pool it overlaps: ${why}`);
      await this.api.request("DELETE", `${POOLS}/${loser.name}`, { body: { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid: pool.metadata.uid } } }).catch(() => undefined);
    }
  }
}
