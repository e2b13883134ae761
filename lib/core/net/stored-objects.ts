/**
 * Reading pools and subnets that are already stored, as peers of the object under admission.
 * Stored data was written by whatever webhook existed at the time (or none), so it is read
 * leniently: what cannot be understood is skipped or over-approximated, never a reason to refuse
 * the user's own object.
 */
import type { IpFamily } from "./address.js";
import { parseCidrLenient, type Cidr } from "./cidr.js";
import { familyOfCidr } from "./family-inference.js";
import { IntervalSet } from "./interval-set.js";
import { formatIpRange, type Interval } from "./range-syntax.js";
import { checkSubnetRanges, type RawInterval } from "./subnet-ranges.js";

/** The parts of a stored pool or subnet that peer rules compare. */
export interface StoredNetwork {
  readonly name: string;
  readonly family: IpFamily;
  /** As written; printed in messages. */
  readonly subnetText: string;
  /** Undefined when the subnet does not parse as a CIDR of `family`. */
  readonly cidr?: Cidr;
}

/** An address set with the `ips` entry each piece came from (see {@link checkSubnetRanges}). */
export interface StoredRanges {
  readonly usable: IntervalSet;
  readonly pieces: readonly RawInterval[];
}

interface NetworkLike {
  readonly metadata?: { readonly name?: string };
  readonly spec: { readonly ipVersion?: unknown; readonly subnet: string };
}

/**
 * Name, family and CIDR of a stored object; undefined when neither `spec.ipVersion` nor the
 * subnet tells the family (such an object cannot collide with anything).
 */
export function describeStored(object: NetworkLike): StoredNetwork | undefined {
  const version = object.spec.ipVersion;
  const family = version === 4 || version === 6 ? version : familyOfCidr(object.spec.subnet);
  if (family === undefined) return undefined;
  const parsed = parseCidrLenient(object.spec.subnet, family);
  const base = { name: object.metadata?.name ?? "", family, subnetText: object.spec.subnet };
  return parsed.ok ? { ...base, cidr: parsed.value.cidr } : base;
}

/**
 * The usable set (`ips` minus `excludeIPs`) and pieces of a list pair, as Spiderpool's `NewCIDR`
 * reads them. When the lists do not pass that check (entries that overlap each other, entries
 * that do not parse), the set is rebuilt from the entries that parse one by one, and the pieces
 * are its maximal runs labelled with their own text.
 */
export function readStoredRanges(
  cidr: Cidr,
  ips: readonly string[] | null | undefined,
  excludeIPs: readonly string[] | null | undefined,
): StoredRanges {
  const checked = checkSubnetRanges(cidr, ips ?? [], excludeIPs ?? []);
  if (checked.ok) return checked.value;
  const usable = unionOfParsable(cidr, ips ?? []).subtract(unionOfParsable(cidr, excludeIPs ?? []));
  const pieces = usable.intervals.map(interval => ({
    ...interval,
    raw: formatIpRange(interval, cidr.family),
  }));
  return { usable, pieces };
}

/**
 * {@link StoredRanges} for lists already known to be valid, with `usable` computed by the caller
 * and `pieces` read only if someone asks (only an overlap message needs them).
 */
export function lazyStoredRanges(
  cidr: Cidr,
  ips: readonly string[] | undefined,
  excludeIPs: readonly string[] | undefined,
  usable: IntervalSet,
): StoredRanges {
  let pieces: readonly RawInterval[] | undefined;
  return {
    usable,
    get pieces() {
      pieces ??= readStoredRanges(cidr, ips, excludeIPs).pieces;
      return pieces;
    },
  };
}

function unionOfParsable(cidr: Cidr, texts: readonly string[]): IntervalSet {
  const intervals: Interval[] = [];
  for (const text of texts) {
    const single = checkSubnetRanges(cidr, [text]);
    if (single.ok) intervals.push(...single.value.usable.intervals);
  }
  return IntervalSet.of(cidr.family, intervals);
}
