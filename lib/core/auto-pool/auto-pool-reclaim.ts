/**
 * Which auto pools to delete (docs/reference/auto-pools.md#reclaim): a reclaimable pool (`ippool-reclaim=true`) whose
 * workload is gone or was replaced by another object of the same name, and a reclaimable pool
 * a live workload no longer asks for (its subnet or NIC changed in the template). A pool with
 * `ippool-reclaim=false` is kept for a same-name successor. Deletion is safe while Pods still
 * hold addresses: the pool's finalizer waits for their claims.
 */
import { autoPoolOwner, type AutoPoolOwner } from "./auto-pool-naming.js";

export interface AutoPoolFacts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly terminating: boolean;
}

/** What is known about a workload: the UID of the object of that name, `null` if none, `undefined` if unknown. */
export type WorkloadUidLookup = (owner: AutoPoolOwner) => string | null | undefined;

/** Reclaimable auto pools whose workload (by UID) no longer exists. Unknown workloads keep their pools. */
export function orphanedAutoPools(
  pools: readonly AutoPoolFacts[],
  currentUid: WorkloadUidLookup,
): string[] {
  const out: string[] = [];
  for (const pool of pools) {
    const owner = autoPoolOwner(pool.labels);
    if (owner === undefined || !owner.reclaim || pool.terminating) continue;
    const uid = currentUid(owner);
    if (uid === undefined) continue;
    if (uid === null || uid !== owner.uid) out.push(pool.name);
  }
  return out.sort();
}

/**
 * Reclaimable pools of workload `uid` that its current request does not name (`wanted` holds the
 * names of the pools it uses now).
 */
export function unwantedAutoPools(
  pools: readonly AutoPoolFacts[],
  uid: string,
  wanted: ReadonlySet<string>,
): string[] {
  return pools
    .filter(pool => {
      const owner = autoPoolOwner(pool.labels);
      return (
        owner !== undefined &&
        owner.uid === uid &&
        owner.reclaim &&
        !pool.terminating &&
        !wanted.has(pool.name)
      );
    })
    .map(pool => pool.name)
    .sort();
}
