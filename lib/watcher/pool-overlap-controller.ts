import type { KubeApi, Stored } from "../k8s/api-client.js";
import { recordEvent } from "../k8s/events.js";
import type { Informer } from "../k8s/informer.js";
import { formatFieldErrors } from "../core/admission/field-error.js";
import { findOverlapLosers } from "../core/admission/overlap-losers.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { Logger } from "../logger.js";
import { WorkQueue } from "./work-queue.js";
import { SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

const POOLS = `/apis/${SPIDERPOOL_API_VERSION}/spiderippools`;

/** Pools created this close together can both pass admission; later ones cannot. */
const RACE_WINDOW_MS = 60_000;

type Pool = Stored<SpiderIPPool>;

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
  /** Order in which the watch first delivered each pool (by uid); see {@link #byAge}. */
  readonly #seen = new Map<string, number>();
  #next = 0;

  constructor(
    private readonly api: KubeApi,
    private readonly pools: Informer<Pool>,
    private readonly log: Logger,
  ) {
    this.#queue = new WorkQueue(() => this.#reconcile(), {
      delayMs: 500,
      onError: (_k, e, n) => log.warn("pool overlap check failed", { attempt: n, err: e }),
    });
    pools.on(ev => {
      const uid = ev.object.metadata.uid ?? ev.object.metadata.name;
      if (ev.type === "deleted") {
        this.#seen.delete(uid);
        return;
      }
      if (!this.#seen.has(uid)) this.#seen.set(uid, this.#next++);
      // Status writes (every allocation moves the counts) cannot create an overlap; re-judging
      // a thousand pools costs about a second, so only a new pool or a new spec is worth it.
      if (ev.type === "added" || specChanged(ev.old, ev.object)) this.#queue.add("all");
    });
  }

  async #reconcile(): Promise<void> {
    const live = this.pools.list().filter(p => !p.metadata.deletionTimestamp);
    for (const loser of findOverlapLosers(this.#byAge(live))) {
      const pool = this.pools.get(loser.name);
      if (!pool) continue;
      const why = formatFieldErrors(loser.reasons);
      const created = Date.parse(pool.metadata.creationTimestamp ?? "");
      const racedWith = loser.winners.filter(
        w =>
          Math.abs(
            created - Date.parse(this.pools.get(w.name)?.metadata.creationTimestamp ?? ""),
          ) <= RACE_WINDOW_MS,
      );
      if (!racedWith.length) {
        // Not a race admission could lose (e.g. pools that predate this module): never delete
        // an operator's pool on our own; say so and leave it.
        if (!this.#warned.has(loser.name))
          this.log.warn("pools overlap; leaving them for an operator", {
            pool: loser.name,
            reasons: why,
          });
        this.#warned.add(loser.name);
        continue;
      }
      this.log.warn("deleting a pool created concurrently with an overlapping one", {
        pool: loser.name,
        reasons: why,
      });
      await recordEvent(
        this.api,
        { ...pool, apiVersion: SPIDERPOOL_API_VERSION, kind: "SpiderIPPool" },
        "Warning",
        "OverlappingIPPool",
        `deleted: created at the same time as an older pool it overlaps: ${why}`,
      );
      await this.api
        .request("DELETE", `${POOLS}/${loser.name}`, {
          body: {
            apiVersion: "v1",
            kind: "DeleteOptions",
            preconditions: { uid: pool.metadata.uid },
          },
        })
        .catch(() => undefined);
    }
  }

  /**
   * creationTimestamp has one-second resolution, so pools created in a race nearly always tie,
   * and findOverlapLosers would fall back to name order: the newer pool could win. A watch
   * delivers creations in etcd commit order, so the order in which this controller first saw
   * each pool breaks the tie by real age (pools loaded by a relist come in name order, which
   * only matters for a race that happened while the watcher was down). The order is handed
   * over as a suffix of the timestamp: RFC 3339 timestamps of one length compare as times, and
   * the suffix only decides between equal ones.
   */
  #byAge(pools: readonly Pool[]): Pool[] {
    return pools.map(p => {
      const seen = this.#seen.get(p.metadata.uid ?? p.metadata.name) ?? Number.MAX_SAFE_INTEGER;
      const stamp = `${p.metadata.creationTimestamp ?? ""}#${seen.toString().padStart(16, "0")}`;
      return { ...p, metadata: { ...p.metadata, creationTimestamp: stamp } };
    });
  }
}

/** The API server bumps `generation` on every spec change of a custom resource, and only then. */
function specChanged(before: Pool, after: Pool): boolean {
  const [a, b] = [before.metadata.generation, after.metadata.generation];
  if (a !== undefined && b !== undefined) return a !== b;
  return JSON.stringify(before.spec) !== JSON.stringify(after.spec);
}
