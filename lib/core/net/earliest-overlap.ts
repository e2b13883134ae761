/**
 * For a list of intervals, which earlier entry each one collides with first. Spiderpool checks a
 * pool's `ips` entries pairwise and stops at the first clash; we report every clashing entry, so
 * the pairwise scan (quadratic in the worst case, e.g. thousands of copies of one range behind
 * thousands of disjoint ones) is replaced by a sweep over a segment tree: O(n log n).
 */
import type { Interval } from "./range-syntax.js";

/**
 * `result[i]` is the smallest `j < i` such that `intervals[j]` shares an address with
 * `intervals[i]`, or -1 when no earlier interval does. Intervals may be unsorted and overlapping.
 */
export function earliestEarlierOverlaps(intervals: readonly Interval[]): number[] {
  if (intervals.length === 0) return [];
  // Compress coordinates: elementary segment k is [points[k], points[k + 1] - 1].
  const points = [...new Set(intervals.flatMap(({ start, end }) => [start, end + 1n]))].sort(
    (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  );
  const rank = new Map<bigint, number>(points.map((point, k) => [point, k]));
  const tree = new MinTree(points.length - 1);
  return intervals.map(({ start, end }, i) => {
    const from = rank.get(start) as number;
    const to = (rank.get(end + 1n) as number) - 1;
    const earliest = tree.min(from, to);
    // Later indices only ever lower a segment's value where no earlier interval was.
    tree.lowerTo(from, to, i);
    return earliest === Infinity ? -1 : earliest;
  });
}

/** Range "lower to at most v" updates and range minimum queries over `size` slots. */
class MinTree {
  readonly #min: number[];
  readonly #pending: number[];
  readonly #size: number;

  constructor(size: number) {
    this.#size = size;
    this.#min = new Array<number>(4 * size).fill(Infinity);
    this.#pending = new Array<number>(4 * size).fill(Infinity);
  }

  min(from: number, to: number): number {
    return this.#query(1, 0, this.#size - 1, from, to);
  }

  lowerTo(from: number, to: number, value: number): void {
    this.#update(1, 0, this.#size - 1, from, to, value);
  }

  #query(node: number, lo: number, hi: number, from: number, to: number): number {
    if (to < lo || hi < from) return Infinity;
    if (from <= lo && hi <= to) return this.#min[node] as number;
    this.#push(node);
    const mid = (lo + hi) >>> 1;
    return Math.min(
      this.#query(2 * node, lo, mid, from, to),
      this.#query(2 * node + 1, mid + 1, hi, from, to),
    );
  }

  #update(node: number, lo: number, hi: number, from: number, to: number, value: number): void {
    if (to < lo || hi < from) return;
    if (from <= lo && hi <= to) {
      this.#apply(node, value);
      return;
    }
    this.#push(node);
    const mid = (lo + hi) >>> 1;
    this.#update(2 * node, lo, mid, from, to, value);
    this.#update(2 * node + 1, mid + 1, hi, from, to, value);
    this.#min[node] = Math.min(this.#min[2 * node] as number, this.#min[2 * node + 1] as number);
  }

  #apply(node: number, value: number): void {
    this.#min[node] = Math.min(this.#min[node] as number, value);
    this.#pending[node] = Math.min(this.#pending[node] as number, value);
  }

  #push(node: number): void {
    const value = this.#pending[node] as number;
    if (value === Infinity) return;
    this.#apply(2 * node, value);
    this.#apply(2 * node + 1, value);
    this.#pending[node] = Infinity;
  }
}
