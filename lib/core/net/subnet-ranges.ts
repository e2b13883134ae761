/**
 * The check of a pool's `ips` and `excludeIPs` against its `subnet`, as Spiderpool's IPPool
 * webhook runs it (pkg/ip `NewCIDR`), and the overlap listing it prints when two pools of the
 * same subnet share addresses (`IsOverlapIPRanges`).
 *
 * This entry syntax is looser than {@link parseIpRange}: a reversed range (`.9-.1`) is read as
 * the same addresses in order, exactly as Spiderpool does here.
 */
import { readAddress } from "./address.js";
import {
  invalidAddress,
  invalidRangeEntry,
  outsideSubnet,
  rangeOverlap,
  type AddressError,
  type RangeRelation,
} from "./address-errors.js";
import { cidrContains, formatCidr, type Cidr } from "./cidr.js";
import { IntervalSet } from "./interval-set.js";
import type { Interval } from "./range-syntax.js";
import { err, ok, type Result } from "../base/result.js";

/** An interval that remembers the list entry it came from, as written. */
export interface RawInterval extends Interval {
  readonly raw: string;
}

export interface SubnetRanges {
  /** The usable set: `ips` minus `excludeIPs`. */
  readonly usable: IntervalSet;
  /**
   * What is left of each `ips` entry after exclusion, in entry order and ascending within an
   * entry, each piece labelled with its entry's original text. These labels are what Spiderpool
   * prints in "overlap with IPPool … in IP ranges [...]".
   */
  readonly pieces: readonly RawInterval[];
}

/**
 * Checks the entries of a pool and returns its usable set. The first failure wins, in
 * Spiderpool's order: each `ips` entry is parsed and then compared with the entries before it;
 * then each `excludeIPs` entry is parsed.
 *
 * - `invalid_range` `invalid range: <v>`: more than one `-`, or CIDR notation.
 * - `invalid_address` `invalid IP address: <end>`: an end that is not an address (whitespace too).
 * - `outside_subnet` `not match base subnet: <end>`: an end outside `subnet`, including an end of
 *   the other family (Go would accept `::ffff:10.0.0.1` in an IPv4 subnet; we do not).
 * - `range_overlap`: the first entry sharing addresses with an earlier one, against the earliest
 *   such entry: `range A is already covered by B` (A inside B, equal included), `range A covers
 *   B`, else `range A overlaps with B`.
 */
export function checkSubnetRanges(
  subnet: Cidr,
  ips: readonly string[],
  excludeIPs: readonly string[] = [],
): Result<SubnetRanges, AddressError> {
  const entries: RawInterval[] = [];
  let parseError: AddressError | undefined;
  for (const raw of ips) {
    const parsed = parseEntry(raw, subnet);
    if (!parsed.ok) {
      parseError = parsed.error;
      break;
    }
    entries.push({ raw, ...parsed.value });
  }
  // An overlap among the entries parsed so far is found before the parse failure that stopped us.
  const overlap = firstOverlap(entries);
  if (overlap !== undefined) return err(overlap);
  if (parseError !== undefined) return err(parseError);

  const excluded: Interval[] = [];
  for (const raw of excludeIPs) {
    const parsed = parseEntry(raw, subnet);
    if (!parsed.ok) return parsed;
    excluded.push(parsed.value);
  }
  const exclusions = IntervalSet.of(subnet.family, excluded);
  const pieces = cutPieces(entries, exclusions.intervals);
  return ok({ usable: IntervalSet.of(subnet.family, pieces), pieces });
}

/**
 * Spiderpool's listing of another pool's entries that share addresses with ours: for each of
 * `mine` in order, the `raw` of every piece of `theirs` it meets, in `theirs` order, repeats kept.
 * Both lists must be `pieces` of {@link checkSubnetRanges} (disjoint within each list).
 */
export function overlappingRawRanges(
  mine: readonly RawInterval[],
  theirs: readonly RawInterval[],
): string[] {
  const order = theirs
    .map((_, i) => i)
    .sort((i, j) => compare(at(theirs, i).start, at(theirs, j).start));
  const out: string[] = [];
  for (const x of mine) {
    // Disjoint pieces sorted by start are sorted by end too, so a binary search finds the first hit.
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(theirs, at(order, mid)).end < x.start) lo = mid + 1;
      else hi = mid;
    }
    const hits: number[] = [];
    for (let k = lo; k < order.length && at(theirs, at(order, k)).start <= x.end; k++)
      hits.push(at(order, k));
    hits.sort((i, j) => i - j);
    for (const i of hits) out.push(at(theirs, i).raw);
  }
  return out;
}

/**
 * One `ips`/`excludeIPs` entry as `NewCIDR` parses it: a reversed range is read in order; the
 * errors are those listed on {@link checkSubnetRanges} except `range_overlap`.
 */
export function parseEntry(raw: string, subnet: Cidr): Result<Interval, AddressError> {
  const parts = raw.split("-");
  if (parts.length > 2 || (parts.length === 1 && raw.includes("/")))
    return err(invalidRangeEntry(raw));
  const start = parseEnd(parts[0] ?? "", subnet);
  if (!start.ok) return start;
  if (parts.length === 1) return ok({ start: start.value, end: start.value });
  const end = parseEnd(parts[1] ?? "", subnet);
  if (!end.ok) return end;
  return ok(
    start.value <= end.value
      ? { start: start.value, end: end.value }
      : { start: end.value, end: start.value },
  );
}

function parseEnd(text: string, subnet: Cidr): Result<bigint, AddressError> {
  const address = readAddress(text);
  if (address === undefined) return err(invalidAddress(text));
  if (!cidrContains(subnet, address)) return err(outsideSubnet(text, formatCidr(subnet)));
  return ok(address.value);
}

/**
 * The error for the first entry that meets an earlier one, or undefined. Spiderpool compares
 * every pair (quadratic); here "does the first n entries contain a clash" is monotone in n, so
 * a binary search over n with an O(n log n) sweep finds the same entry.
 */
function firstOverlap(entries: readonly RawInterval[]): AddressError | undefined {
  if (!hasClash(entries, entries.length)) return undefined;
  let lo = 2;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (hasClash(entries, mid)) hi = mid;
    else lo = mid + 1;
  }
  const a = at(entries, lo - 1);
  for (let j = 0; j < lo - 1; j++) {
    const b = at(entries, j);
    if (a.start <= b.end && b.start <= a.end) return rangeOverlap(a.raw, b.raw, relationOf(a, b));
  }
  throw new Error("unreachable: a clash was found but no earlier entry meets the last one");
}

function hasClash(entries: readonly Interval[], count: number): boolean {
  const sorted = entries.slice(0, count).sort((x, y) => compare(x.start, y.start));
  let maxEnd = -1n;
  for (const { start, end } of sorted) {
    if (start <= maxEnd) return true;
    if (end > maxEnd) maxEnd = end;
  }
  return false;
}

/** The first of Spiderpool's tests that holds for the later entry `a` against the earlier `b`. */
export function relationOf(a: Interval, b: Interval): RangeRelation {
  if (a.start >= b.start && a.end <= b.end) return "covered_by";
  if (a.start <= b.start && a.end >= b.end) return "covers";
  return "overlaps";
}

/** Each (disjoint) entry minus the exclusions, pieces grouped back in entry order. */
function cutPieces(entries: readonly RawInterval[], cuts: readonly Interval[]): RawInterval[] {
  const order = entries
    .map((_, i) => i)
    .sort((i, j) => compare(at(entries, i).start, at(entries, j).start));
  const byEntry: RawInterval[][] = entries.map(() => []);
  let j = 0;
  for (const index of order) {
    const { raw, start, end } = at(entries, index);
    const out = at(byEntry, index);
    let from = start;
    while (j < cuts.length && at(cuts, j).end < from) j++;
    // A cut may reach into the next entry, so the cursor only moves past cuts that end here.
    for (let k = j; k < cuts.length && at(cuts, k).start <= end; k++) {
      const cut = at(cuts, k);
      if (cut.start > from) out.push({ raw, start: from, end: cut.start - 1n });
      from = cut.end + 1n;
    }
    if (from <= end) out.push({ raw, start: from, end });
  }
  return byEntry.flat();
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Indexing for arrays whose bounds the loop already guarantees (noUncheckedIndexedAccess). */
function at<T>(items: readonly T[], index: number): T {
  return items[index] as T;
}
