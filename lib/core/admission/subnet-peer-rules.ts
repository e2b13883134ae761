/**
 * Rules that compare a new SpiderSubnet with the subnets and pools already in the cluster
 * (docs/reference/admission.md#spidersubnet): subnets of a family may neither overlap nor repeat each other; pools of an
 * overlapping CIDR are refused unless the CIDR is identical, in which case the subnet must
 * offer every address those pools use (it will adopt them).
 */
import type { IpFamily } from "../net/address.js";
import type { IPPoolObject, SubnetObject } from "./admission-objects.js";
import { cidrsEqual, cidrsOverlap, type Cidr } from "../net/cidr.js";
import { invalidValue, type FieldError } from "./field-error.js";
import type { IntervalSet } from "../net/interval-set.js";
import { peerNetwork, peerRanges } from "./pool-peer-rules.js";

/** The subnet under admission, reduced to what the peer rules need. */
export interface SubnetIdentity {
  readonly name: string;
  readonly family: IpFamily;
  readonly cidr: Cidr;
  readonly subnetText: string;
  /** `spec.ips` as written, printed as the value of `subnet_cannot_control_pool`. */
  readonly ips: readonly string[];
}

/** Outcome of the comparison with other subnets. */
export interface SubnetCidrCheck {
  readonly nameTaken: boolean;
  readonly errors: readonly FieldError[];
}

/**
 * Each same-family subnet whose CIDR overlaps ours, identical included, gives
 * `spec.subnet: Invalid value: "<s>": overlap with Subnet <other> which 'spec.subnet' is <cidr>`
 * (`cidr_overlaps_subnet`); a same-family subnet with our name sets `nameTaken`.
 */
export function checkSubnetCidrAgainstSubnets(
  subnet: SubnetIdentity,
  peers: readonly SubnetObject[],
): SubnetCidrCheck {
  let nameTaken = false;
  const errors: FieldError[] = [];
  for (const peer of peers) {
    const other = peerNetwork(peer);
    if (other?.family !== subnet.family) continue;
    if (other.name === subnet.name) {
      nameTaken = true;
      continue;
    }
    if (other.cidr === undefined || !cidrsOverlap(other.cidr, subnet.cidr)) continue;
    errors.push(
      invalidValue(
        "cidr_overlaps_subnet",
        "spec.subnet",
        subnet.subnetText,
        `overlap with Subnet ${other.name} which 'spec.subnet' is ${other.subnetText}`,
      ),
    );
  }
  return { nameTaken, errors };
}

/**
 * Each same-family pool with a different but overlapping CIDR gives `spec.subnet: Invalid value:
 * "<s>": overlap with SpiderIPPool '<pool>' resource 'spec.subnet' <cidr>` (`cidr_overlaps_pool`).
 * Each pool of the identical CIDR whose usable set is not inside `usable` gives `spec.ips:
 * Invalid value: [...]: SpiderIPPool '<pool>' owns some IP addresses that SpiderSubnet '<subnet>'
 * can't control` (`subnet_cannot_control_pool`); skipped when `usable` is unknown (invalid entries).
 */
export function checkSubnetAgainstPools(
  subnet: SubnetIdentity,
  usable: IntervalSet | undefined,
  pools: readonly IPPoolObject[],
): FieldError[] {
  const errors: FieldError[] = [];
  for (const pool of pools) {
    const other = peerNetwork(pool);
    if (other?.family !== subnet.family || other.cidr === undefined) continue;
    if (!cidrsEqual(other.cidr, subnet.cidr)) {
      if (!cidrsOverlap(other.cidr, subnet.cidr)) continue;
      errors.push(
        invalidValue(
          "cidr_overlaps_pool",
          "spec.subnet",
          subnet.subnetText,
          `overlap with SpiderIPPool '${other.name}' resource 'spec.subnet' ${other.subnetText}`,
        ),
      );
      continue;
    }
    if (usable === undefined) continue;
    const used = peerRanges(pool, other.cidr).usable;
    if (used.isSubsetOf(usable)) continue;
    errors.push(
      invalidValue(
        "subnet_cannot_control_pool",
        "spec.ips",
        subnet.ips,
        `SpiderIPPool '${other.name}' owns some IP addresses that SpiderSubnet '${subnet.name}' can't control`,
      ),
    );
  }
  return errors;
}
