/**
 * Spiderpool's "merge" of an `ips` / `excludeIPs` list, applied by its defaulting webhooks.
 */
import type { IpFamily } from "./address.js";
import type { AddressError } from "./address-errors.js";
import { IntervalSet } from "./interval-set.js";
import type { Result } from "../base/result.js";

/**
 * Rewrites a list of range strings into its merged form: duplicates dropped, ascending, maximal
 * runs of consecutive addresses as `a-b`, single addresses bare, canonical address text.
 * `["10.0.0.5","10.0.0.1-10.0.0.4","10.0.0.9"]` → `["10.0.0.1-10.0.0.5","10.0.0.9"]`.
 *
 * Entries are checked with the strict range syntax first; on the first bad entry the error is
 * returned (Spiderpool's mutation then leaves the list untouched for validation to reject).
 * Spiderpool only merges lists of more than one element; that decision is the caller's.
 * Idempotent: merging a merged list returns it unchanged.
 */
export function mergeIpRanges(
  texts: readonly string[],
  family: IpFamily,
): Result<string[], AddressError> {
  const set = IntervalSet.fromRanges(texts, family);
  if (!set.ok) return set;
  return { ok: true, value: set.value.toRangeStrings() };
}
