/**
 * Finding the existing pool of a workload, NIC and family (docs/reference/auto-pools.md#names-and-labels): by labels without
 * the UID, so a pool retained with `ippool-reclaim: false` is adopted by the next workload of the
 * same kind, namespace and name; a reclaimable pool of another UID is a predecessor on its way
 * out and is skipped.
 */
import { LABEL_IPPOOL_RECLAIM, LABEL_OWNER_APPLICATION_UID } from "../base/well-known-names.js";

export interface LabelledPool {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly terminating: boolean;
}

/**
 * The pool to reconcile: among pools carrying every `lookupLabels` entry and not terminating,
 * this UID's own pool first, then a retained (non-reclaimable) one, lowest name first.
 */
export function findExistingAutoPool<T extends LabelledPool>(
  pools: readonly T[],
  lookupLabels: Readonly<Record<string, string>>,
  uid: string,
): T | undefined {
  const matching = pools
    .filter(
      p => !p.terminating && Object.entries(lookupLabels).every(([k, v]) => p.labels[k] === v),
    )
    .filter(
      p =>
        !(
          p.labels[LABEL_IPPOOL_RECLAIM] === "true" && p.labels[LABEL_OWNER_APPLICATION_UID] !== uid
        ),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return matching.find(p => p.labels[LABEL_OWNER_APPLICATION_UID] === uid) ?? matching[0];
}
