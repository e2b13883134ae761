/**
 * `status.totalIPCount` of pools and subnets: the size of the usable set (`ips` minus
 * `excludeIPs`; reserved IPs are not subtracted), as Spiderpool's `TotalIPInt` computes it.
 */
import type { Cidr } from "./cidr.js";
import { readStoredRanges } from "./stored-objects.js";

/** 2^63 - 1: Go's `math.MaxInt64`, where Spiderpool saturates huge IPv6 counts. */
export const MAX_INT64 = 9223372036854775807n;

/**
 * The largest JavaScript number that does not exceed {@link MAX_INT64}: 2^63 - 1024.
 * `Number(MAX_INT64)` rounds *up* to 2^63 and `JSON.stringify` then writes
 * `9223372036854776000`, which overflows Go's int64 and breaks every Go client reading the
 * status. This value prints as `9223372036854775000` and decodes fine.
 */
export const MAX_INT64_AS_NUMBER = 2 ** 63 - 1024;

/**
 * Exact usable size of a pool or subnet, saturated at {@link MAX_INT64}. The entries are read as
 * the stored object's are (reversed ranges in order, unparsable entries skipped), since a status
 * describes what is stored, valid or not.
 */
export function totalIPCount(
  cidr: Cidr,
  ips: readonly string[] | undefined,
  excludeIPs: readonly string[] | undefined,
): bigint {
  const size = readStoredRanges(cidr, ips, excludeIPs).usable.size();
  return size > MAX_INT64 ? MAX_INT64 : size;
}

/**
 * A count for a JSON `int64` field written through `JSON.stringify`: exact up to 2^53, rounded
 * above that, and never above {@link MAX_INT64_AS_NUMBER}, so the text always fits an int64.
 * A writer that must emit exactly 9223372036854775807 (Spiderpool's saturated value) has to
 * serialize the bigint itself.
 */
export function countToJsonNumber(count: bigint): number {
  if (count < 0n) throw new RangeError(`negative count ${count}`);
  return count > BigInt(MAX_INT64_AS_NUMBER) ? MAX_INT64_AS_NUMBER : Number(count);
}
