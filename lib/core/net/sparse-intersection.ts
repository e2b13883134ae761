/**
 * "Do these two address sets meet?" when one side is much larger than the other, as when a new
 * pool with thousands of ranges is compared with a thousand small peers: binary search from the
 * smaller side, O(small · log large), instead of the linear merge of `IntervalSet.overlaps`.
 */
import type { IntervalSet } from "./interval-set.js";

/** Whether `a` and `b` (same family) share at least one address. */
export function setsIntersect(a: IntervalSet, b: IntervalSet): boolean {
  if (a.family !== b.family)
    throw new TypeError(`cannot compare an IPv${a.family} set with an IPv${b.family} set`);
  const [small, large] = a.intervals.length <= b.intervals.length ? [a, b] : [b, a];
  const sorted = large.intervals;
  for (const { start, end } of small.intervals) {
    // First interval of `large` that ends at or after `start`; it meets [start, end] iff it starts by `end`.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid]?.end ?? 0n) < start) lo = mid + 1;
      else hi = mid;
    }
    const candidate = sorted[lo];
    if (candidate !== undefined && candidate.start <= end) return true;
  }
  return false;
}
