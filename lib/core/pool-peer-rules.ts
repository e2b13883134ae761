/**
 * Rules that compare a SpiderIPPool with the other pools of the cluster (spec §2.2 rows 2 and 3a):
 * no other pool of the family has a different but overlapping subnet, the name is free, and no
 * pool of the same CIDR shares usable addresses with it.
 *
 * Built for a thousand peers with many ranges each: every peer costs one CIDR parse; only peers
 * of the same CIDR have their ranges read, and sets are compared by binary search.
 */
import type { IpFamily } from "./address.js";
import type { IPPoolObject } from "./admission-objects.js";
import { cidrLabelValue, cidrsEqual, cidrsOverlap, type Cidr } from "./cidr.js";
import { forbidden, formatGoList, invalidValue, type FieldError } from "./field-error.js";
import { setsIntersect } from "./sparse-intersection.js";
import { LABEL_IPPOOL_CIDR } from "./spiderpool-names.js";
import { describeStored, readStoredRanges, type StoredRanges } from "./stored-objects.js";
import { overlappingRawRanges } from "./subnet-ranges.js";

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
export function checkPoolCidrAgainstPeers(pool: PoolIdentity, peers: readonly IPPoolObject[]): PoolCidrCheck {
  let nameTaken = false;
  const errors: FieldError[] = [];
  for (const peer of peers) {
    const other = describeStored(peer);
    if (other?.family !== pool.family) continue;
    if (other.name === pool.name) {
      nameTaken = true;
      continue;
    }
    if (other.cidr === undefined || cidrsEqual(other.cidr, pool.cidr) || !cidrsOverlap(other.cidr, pool.cidr)) continue;
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
    const other = describeStored(peer);
    if (other?.family !== pool.family || other.name === pool.name || other.cidr === undefined) continue;
    const sameCidr = peer.metadata?.labels?.[LABEL_IPPOOL_CIDR] === label || cidrsEqual(other.cidr, pool.cidr);
    if (!sameCidr) continue;
    const theirs = readStoredRanges(other.cidr, peer.spec.ips, peer.spec.excludeIPs);
    if (theirs.usable.isEmpty || !setsIntersect(mine.usable, theirs.usable)) continue;
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
