/**
 * Immutable sets of addresses of one family, stored as sorted, disjoint, non-adjacent inclusive
 * intervals over bigint. Nothing here ever expands a range into its addresses, so a /64 or a
 * list of thousands of ranges costs the same as a /30: every operation is linear in the number
 * of intervals (plus the number of addresses asked for).
 */
import { formatAddress, maxAddress, type IpFamily } from "./address.js";
import type { AddressError } from "./address-errors.js";
import { cidrLast, type Cidr } from "./cidr.js";
import { formatIpRange, parseIpRange, type Interval } from "./range-syntax.js";
import { ok, type Result } from "../base/result.js";

export class IntervalSet {
  /** The family of every address in the set; operations between families throw. */
  readonly family: IpFamily;
  readonly #intervals: readonly Interval[];

  /** Trusts `intervals` to be normalized already; use the static factories from outside. */
  private constructor(family: IpFamily, intervals: readonly Interval[]) {
    this.family = family;
    this.#intervals = Object.freeze(intervals);
  }

  /** The empty set of `family`. */
  static empty(family: IpFamily): IntervalSet {
    return new IntervalSet(family, []);
  }

  /**
   * The set covering `intervals`, which may be unsorted, overlapping or adjacent.
   * Throws on `start > end` or an address outside the family (a caller bug, not user input).
   */
  static of(family: IpFamily, intervals: Iterable<Interval>): IntervalSet {
    const max = maxAddress(family);
    const sorted = [...intervals].sort((a, b) => compare(a.start, b.start));
    const merged: Interval[] = [];
    for (const next of sorted) {
      if (next.start < 0n || next.end > max || next.start > next.end) {
        throw new RangeError(`invalid IPv${family} interval ${next.start}-${next.end}`);
      }
      const last = merged[merged.length - 1];
      if (last !== undefined && next.start <= last.end + 1n) {
        if (next.end > last.end) merged[merged.length - 1] = { start: last.start, end: next.end };
      } else {
        merged.push({ start: next.start, end: next.end });
      }
    }
    return new IntervalSet(family, merged);
  }

  /** Every address of a CIDR block, network and broadcast included. */
  static fromCidr(cidr: Cidr): IntervalSet {
    return new IntervalSet(cidr.family, [{ start: cidr.network, end: cidrLast(cidr) }]);
  }

  /** The set of the given addresses (duplicates allowed). */
  static fromAddresses(family: IpFamily, values: Iterable<bigint>): IntervalSet {
    const intervals: Interval[] = [];
    for (const value of values) intervals.push({ start: value, end: value });
    return IntervalSet.of(family, intervals);
  }

  /**
   * The union of range strings checked with the strict syntax of {@link parseIpRange}; the first
   * bad entry is returned as `invalid_range` (`invalid IP range format in IPv4 '<r>'`).
   */
  static fromRanges(texts: readonly string[], family: IpFamily): Result<IntervalSet, AddressError> {
    const intervals: Interval[] = [];
    for (const text of texts) {
      const parsed = parseIpRange(text, family);
      if (!parsed.ok) return parsed;
      intervals.push(parsed.value);
    }
    return ok(IntervalSet.of(family, intervals));
  }

  /** The normalized intervals, ascending. */
  get intervals(): readonly Interval[] {
    return this.#intervals;
  }

  get isEmpty(): boolean {
    return this.#intervals.length === 0;
  }

  /** Number of addresses (a bigint: a /64 holds 2^64). */
  size(): bigint {
    let total = 0n;
    for (const { start, end } of this.#intervals) total += end - start + 1n;
    return total;
  }

  /** Whether `value` is in the set (binary search). */
  contains(value: bigint): boolean {
    let lo = 0;
    let hi = this.#intervals.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const interval = this.#intervals[mid] as Interval;
      if (value < interval.start) hi = mid - 1;
      else if (value > interval.end) lo = mid + 1;
      else return true;
    }
    return false;
  }

  union(other: IntervalSet): IntervalSet {
    this.#checkFamily(other);
    return IntervalSet.of(this.family, [...this.#intervals, ...other.#intervals]);
  }

  intersect(other: IntervalSet): IntervalSet {
    this.#checkFamily(other);
    const a = this.#intervals;
    const b = other.#intervals;
    const out: Interval[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const x = a[i] as Interval;
      const y = b[j] as Interval;
      const start = x.start > y.start ? x.start : y.start;
      const end = x.end < y.end ? x.end : y.end;
      if (start <= end) out.push({ start, end });
      if (x.end < y.end) i++;
      else j++;
    }
    return new IntervalSet(this.family, out);
  }

  /** The addresses of this set that are not in `other`. */
  subtract(other: IntervalSet): IntervalSet {
    this.#checkFamily(other);
    return new IntervalSet(this.family, [...this.#difference(other)]);
  }

  isSubsetOf(other: IntervalSet): boolean {
    this.#checkFamily(other);
    return this.#difference(other).next().done === true;
  }

  /** Whether the two sets share at least one address. */
  overlaps(other: IntervalSet): boolean {
    return !this.intersect(other).isEmpty;
  }

  equals(other: IntervalSet): boolean {
    if (this.family !== other.family || this.#intervals.length !== other.#intervals.length)
      return false;
    return this.#intervals.every(
      (x, i) => x.start === other.#intervals[i]?.start && x.end === other.#intervals[i]?.end,
    );
  }

  /** Every address in ascending order, produced one at a time. */
  *addresses(): Generator<bigint, void, undefined> {
    for (const { start, end } of this.#intervals) {
      for (let v = start; v <= end; v++) yield v;
    }
  }

  /** The addresses of this set not in `used`, ascending, produced one at a time. */
  *addressesNotIn(used: IntervalSet): Generator<bigint, void, undefined> {
    this.#checkFamily(used);
    for (const { start, end } of this.#difference(used)) {
      for (let v = start; v <= end; v++) yield v;
    }
  }

  /** The lowest address of this set that is not in `used`, if any. */
  firstFree(used: IntervalSet): bigint | undefined {
    const next = this.addressesNotIn(used).next();
    return next.done === true ? undefined : next.value;
  }

  /** Up to `count` lowest addresses of this set that are not in `used`, ascending. */
  firstFreeAddresses(used: IntervalSet, count: number): bigint[] {
    const out: bigint[] = [];
    if (count <= 0) return out;
    for (const value of this.addressesNotIn(used)) {
      out.push(value);
      if (out.length >= count) break;
    }
    return out;
  }

  /**
   * Spiderpool's merged form: one string per maximal run of consecutive addresses, `a-b` for a
   * run and the bare address for a single one, ascending.
   */
  toRangeStrings(): string[] {
    return this.#intervals.map(interval => formatIpRange(interval, this.family));
  }

  /** The addresses as strings; only sensible for small sets. */
  toAddressStrings(): string[] {
    return [...this.addresses()].map(v => formatAddress(v, this.family));
  }

  /**
   * Intervals of this set minus `other`, lazily, so that "first free" stops early. The pieces
   * come out sorted and non-adjacent (a gap in `this` or an address of `other` separates them).
   */
  *#difference(other: IntervalSet): Generator<Interval, void, undefined> {
    const b = other.#intervals;
    let j = 0;
    for (const { start, end } of this.#intervals) {
      let from = start;
      while (j < b.length && (b[j] as Interval).end < from) j++;
      let k = j;
      while (k < b.length && (b[k] as Interval).start <= end) {
        const cut = b[k] as Interval;
        if (cut.start > from) yield { start: from, end: cut.start - 1n };
        from = cut.end + 1n;
        if (cut.end >= end) break;
        k++;
      }
      if (from <= end) yield { start: from, end };
      j = k;
    }
  }

  #checkFamily(other: IntervalSet): void {
    if (other.family !== this.family) {
      throw new TypeError(`cannot combine an IPv${this.family} set with an IPv${other.family} set`);
    }
  }
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
