import type { IPPoolStatus } from "../../schemas/ippool.js";
import type { IntervalSet } from "../net/interval-set.js";

/** What the status projection needs to know about one claim of the pool. */
export interface ClaimRecord {
  address: string;
  podNamespace: string;
  podName: string;
  podUID: string;
}

/**
 * Largest number of records written into `status.allocatedIPs`. Spiderpool keeps every record
 * there, which caps a pool at about 5,000 addresses before the object nears etcd's limit; here
 * the records live in IPClaims and the status keeps a view of them only while it stays small
 * (about 90 bytes a record, so under 100 KiB). Above it the view is left out and the count stays
 * exact.
 */
export const ALLOCATED_IPS_VIEW_LIMIT = 1000;

/** int64 ceiling Spiderpool saturates `totalIPCount` at, for huge IPv6 pools. */
const INT64_MAX = 9223372036854775807n;

/**
 * The status a pool should show, from its usable set and its claims: `allocatedIPCount` exact,
 * `totalIPCount` = |ips − excludeIPs| (reserved IPs are not subtracted, as in Spiderpool),
 * `allocatedIPs` the Spiderpool JSON view (absent when empty, or when above the view limit).
 */
export function poolStatusOf(
  usable: IntervalSet,
  claims: readonly ClaimRecord[],
  viewLimit = ALLOCATED_IPS_VIEW_LIMIT,
): IPPoolStatus {
  const total = usable.size();
  const status: IPPoolStatus = {
    allocatedIPCount: claims.length,
    totalIPCount: Number(total > INT64_MAX ? INT64_MAX : total),
  };
  if (claims.length > 0 && claims.length <= viewLimit) {
    const sorted = [...claims].sort((a, b) =>
      a.address < b.address ? -1 : a.address > b.address ? 1 : 0,
    );
    const view: Record<string, { pod: string; podUid: string }> = {};
    for (const c of sorted)
      view[c.address] = { pod: `${c.podNamespace}/${c.podName}`, podUid: c.podUID };
    status.allocatedIPs = JSON.stringify(view);
  }
  return status;
}

/** True when the stored status differs from the wanted one in any field we own. */
export function statusDiffers(current: IPPoolStatus | undefined, wanted: IPPoolStatus): boolean {
  return (
    (current?.allocatedIPCount ?? -1) !== wanted.allocatedIPCount ||
    (current?.totalIPCount ?? -1) !== wanted.totalIPCount ||
    (current?.allocatedIPs ?? "") !== (wanted.allocatedIPs ?? "")
  );
}
