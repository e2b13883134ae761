/**
 * Rules that compare a SpiderIPPool with the other pools of the cluster (docs/reference/admission.md#spiderippool, CREATE):
 * no other pool of the family has a different but overlapping subnet, the name is free, and no
 * pool of the same CIDR shares usable addresses with it.
 *
 * Built for a thousand peers with many ranges each: only peers of the same CIDR have their
 * ranges read, sets are compared by binary search, and what is read of a peer is remembered for
 * as long as its spec object lives (see {@link peerNetwork}).
 */
import type { IpFamily } from "../net/address.js";
import type { IPPoolObject } from "./admission-objects.js";
import { cidrLabelValue, cidrsEqual, cidrsOverlap, type Cidr } from "../net/cidr.js";
import { forbidden, formatGoList, invalidValue, type FieldError } from "./field-error.js";
import type { IntervalSet } from "../net/interval-set.js";
import { setsIntersect } from "../net/sparse-intersection.js";
import { LABEL_IPPOOL_CIDR } from "../base/well-known-names.js";
import {
  describeStored,
  readStoredRanges,
  type StoredNetwork,
  type StoredRanges,
} from "../net/stored-objects.js";
import { overlappingRawRanges } from "../net/subnet-ranges.js";

/** The pool under admission, reduced to what the peer rules need. */
export interface PoolIdentity {
  readonly name: string;
  readonly family: IpFamily;
  readonly cidr: Cidr;
  readonly subnetText: string;
}

/** Outcome of the CIDR comparison: errors, and whether a same-family peer has the same name. */
export interface PoolCidrCheck {
  readonly nameTaken: boolean;
  readonly errors: readonly FieldError[];
}

/**
 * CREATE only. Every same-family peer whose subnet overlaps ours without being identical gives
 * `spec.subnet: Invalid value: "<s>": overlap with IPPool <other> which 'spec.subnet' is <cidr>`
 * (`cidr_overlaps_pool`). A same-family peer with our name sets `nameTaken` (Spiderpool only
 * looks within the family).
 */
export function checkPoolCidrAgainstPeers(
  pool: PoolIdentity,
  peers: readonly IPPoolObject[],
): PoolCidrCheck {
  let nameTaken = false;
  const errors: FieldError[] = [];
  for (const peer of peers) {
    const other = peerNetwork(peer);
    if (other?.family !== pool.family) continue;
    if (other.name === pool.name) {
      nameTaken = true;
      continue;
    }
    if (
      other.cidr === undefined ||
      cidrsEqual(other.cidr, pool.cidr) ||
      !cidrsOverlap(other.cidr, pool.cidr)
    )
      continue;
    errors.push(
      invalidValue(
        "cidr_overlaps_pool",
        "spec.subnet",
        pool.subnetText,
        `overlap with IPPool ${other.name} which 'spec.subnet' is ${other.subnetText}`,
      ),
    );
  }
  return { nameTaken, errors };
}

/**
 * CREATE and UPDATE. Peers of the same CIDR (found by the `ipam.spidernet.io/ippool-cidr` label,
 * as Spiderpool does, and also by the subnet itself, in case a label is missing) must not share
 * usable addresses with `mine`. Each such peer gives
 * `spec.ips: Forbidden: overlap with IPPool <other> in IP ranges [<their entries>], total IP
 * addresses of an IPPool are jointly determined by 'spec.ips' and 'spec.excludeIPs'`
 * (`pool_ranges_overlap`), the entries listed as Spiderpool lists them.
 */
export function checkPoolRangesAgainstPeers(
  pool: PoolIdentity,
  mine: StoredRanges,
  peers: readonly IPPoolObject[],
): FieldError[] {
  if (mine.usable.isEmpty) return [];
  const label = cidrLabelValue(pool.subnetText);
  const errors: FieldError[] = [];
  for (const peer of peers) {
    const other = peerNetwork(peer);
    if (other?.family !== pool.family || other.name === pool.name || other.cidr === undefined)
      continue;
    const sameCidr =
      peer.metadata?.labels?.[LABEL_IPPOOL_CIDR] === label || cidrsEqual(other.cidr, pool.cidr);
    if (!sameCidr) continue;
    const theirs = peerRanges(peer, other.cidr);
    if (
      theirs.usable.isEmpty ||
      !spansMeet(mine.usable, theirs.usable) ||
      !setsIntersect(mine.usable, theirs.usable)
    )
      continue;
    const ranges = overlappingRawRanges(mine.pieces, theirs.pieces);
    errors.push(
      forbidden(
        "pool_ranges_overlap",
        "spec.ips",
        `overlap with IPPool ${other.name} in IP ranges ${formatGoList(ranges)}, total IP addresses of an IPPool are jointly determined by 'spec.ips' and 'spec.excludeIPs'`,
        ranges,
      ),
    );
  }
  return errors;
}

/**
 * Whether the lowest-to-highest spans of two sets meet. Pools of one subnet usually hold
 * separate stretches of it, and two comparisons settle those without a search.
 */
function spansMeet(a: IntervalSet, b: IntervalSet): boolean {
  const [aFirst, aLast] = [a.intervals[0], a.intervals[a.intervals.length - 1]];
  const [bFirst, bLast] = [b.intervals[0], b.intervals[b.intervals.length - 1]];
  if (!aFirst || !aLast || !bFirst || !bLast) return false;
  return aFirst.start <= bLast.end && bFirst.start <= aLast.end;
}

/**
 * What was read of one stored spec object, and the fields it was read from: a spec is never
 * changed in place by this code, but the check keeps a memo honest if a caller does.
 */
interface PeerMemo {
  readonly subnet: string;
  readonly ipVersion: unknown;
  readonly ips: readonly string[] | undefined;
  readonly ipsLength: number;
  readonly excludeIPs: readonly string[] | undefined;
  readonly excludeLength: number;
  readonly name: string;
  readonly network: StoredNetwork | undefined;
  ranges?: StoredRanges;
}

const memos = new WeakMap<object, PeerMemo>();

interface PeerLike {
  readonly metadata?: { readonly name?: string };
  readonly spec: {
    readonly ipVersion?: unknown;
    readonly subnet: string;
    readonly ips?: readonly string[] | null;
    readonly excludeIPs?: readonly string[] | null;
  };
}

function memoOf(peer: PeerLike): PeerMemo {
  const { spec } = peer;
  const name = peer.metadata?.name ?? "";
  const ips = spec.ips ?? undefined;
  const excludeIPs = spec.excludeIPs ?? undefined;
  const hit = memos.get(spec);
  if (
    hit !== undefined &&
    hit.name === name &&
    hit.subnet === spec.subnet &&
    hit.ipVersion === spec.ipVersion &&
    hit.ips === ips &&
    hit.ipsLength === (ips?.length ?? 0) &&
    hit.excludeIPs === excludeIPs &&
    hit.excludeLength === (excludeIPs?.length ?? 0)
  ) {
    return hit;
  }
  const memo: PeerMemo = {
    subnet: spec.subnet,
    ipVersion: spec.ipVersion,
    ips,
    ipsLength: ips?.length ?? 0,
    excludeIPs,
    excludeLength: excludeIPs?.length ?? 0,
    name,
    network: describeStored(peer),
  };
  memos.set(spec, memo);
  return memo;
}

/**
 * {@link describeStored} of a stored pool or subnet, remembered per spec object. Parsing a
 * thousand peers' ranges on every admission request was the cost of the webhook (IPv6 parsing
 * above all); the memo is keyed by the spec object itself, so it lives exactly as long as the
 * caller keeps that object (a watch cache does; lib/k8s/admission-reads.ts hands unchanged
 * specs of consecutive LISTs out as the same object) and never outlives a change.
 */
export function peerNetwork(peer: PeerLike): StoredNetwork | undefined {
  return memoOf(peer).network;
}

/** {@link readStoredRanges} of a stored pool or subnet, remembered like {@link peerNetwork}. */
export function peerRanges(peer: PeerLike, cidr: Cidr): StoredRanges {
  const memo = memoOf(peer);
  const own = memo.network?.cidr;
  // Read against another CIDR than the peer's own: an unusual question, answered but not kept.
  if (own === undefined || !cidrsEqual(own, cidr))
    return readStoredRanges(cidr, peer.spec.ips, peer.spec.excludeIPs);
  memo.ranges ??= readStoredRanges(cidr, peer.spec.ips, peer.spec.excludeIPs);
  return memo.ranges;
}
