/**
 * `spiderpool subnets`: how much of each SpiderSubnet its pools hold, how much of that is
 * allocated, and which ranges no pool holds yet (what new pools, auto-created or by hand, can
 * still get). A pool belongs to the subnet whose CIDR it names, as Spiderpool relates them
 * (docs/usage/subnet.md). Pure.
 */
import type { IpFamily } from "../lib/core/net/address.js";
import { formatCidr, parseCidrLenient } from "../lib/core/net/cidr.js";
import { IntervalSet } from "../lib/core/net/interval-set.js";
import type { Subnet } from "./cluster-reads.js";
import { takenOf, usableOf, type Claim, type Pool } from "./selection-request.js";
import { usableAddresses } from "../lib/core/net/usable-addresses.js";

export interface SubnetUsage {
  readonly name: string;
  readonly ipVersion: IpFamily;
  readonly subnet: string;
  /** ips − excludeIPs. */
  readonly total: bigint;
  /** Of total: addresses some pool of the subnet holds. */
  readonly inPools: bigint;
  /** Of inPools: addresses with a claim. */
  readonly allocated: bigint;
  /** total − inPools. */
  readonly free: bigint;
  readonly freeRanges: readonly string[];
  readonly pools: readonly string[];
  readonly terminating: boolean;
}

export function subnetUsage(
  subnets: readonly Subnet[],
  pools: readonly Pool[],
  claims: readonly Claim[],
): SubnetUsage[] {
  return [...subnets]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map(s => {
      const family = (s.spec.ipVersion ?? (s.spec.subnet.includes(":") ? 6 : 4)) as IpFamily;
      const usable = usableAddresses(s.spec, family);
      const cidr = canonical(s.spec.subnet, family);
      const mine = pools.filter(
        p => (p.spec.ipVersion ?? 4) === family && canonical(p.spec.subnet ?? "", family) === cidr,
      );
      let held = IntervalSet.empty(family);
      let taken = IntervalSet.empty(family);
      for (const p of mine) {
        held = held.union(usableOf(p));
        taken = taken.union(takenOf(p, claims));
      }
      held = held.intersect(usable);
      const free = usable.subtract(held);
      return {
        name: s.metadata.name,
        ipVersion: family,
        subnet: s.spec.subnet,
        total: usable.size(),
        inPools: held.size(),
        allocated: taken.intersect(held).size(),
        free: free.size(),
        freeRanges: free.toRangeStrings(),
        pools: mine.map(p => p.metadata.name).sort(),
        terminating: !!s.metadata.deletionTimestamp,
      };
    });
}

function canonical(text: string, family: IpFamily): string | undefined {
  const c = parseCidrLenient(text, family);
  return c.ok ? formatCidr(c.value.cidr) : undefined;
}
