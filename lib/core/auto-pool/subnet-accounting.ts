/**
 * The SpiderSubnet status as a function of what exists (docs/reference/auto-pools.md#subnet-status): which records of
 * `controlledIPPools` stay, the records of manual pools the subnet owns, and the two counts.
 */
import type { IpFamily } from "../net/address.js";
import { IntervalSet } from "../net/interval-set.js";
import { MAX_INT64_AS_NUMBER } from "../net/total-ip-count.js";

/** One pool owned by the subnet (controller reference), as the accounting sees it. */
export interface OwnedPoolFacts {
  readonly name: string;
  /** Carries `ipam.spidernet.io/owner-application-name`. */
  readonly autoCreated: boolean;
  /** `ips` minus `excludeIPs`. */
  readonly usable: IntervalSet;
}

export interface SubnetAccountingInput {
  readonly family: IpFamily;
  readonly subnetUsable: IntervalSet;
  readonly records: Readonly<
    Record<string, { readonly ips: readonly string[]; readonly application?: string }>
  >;
  /** Every pool that names this subnet as its controller. */
  readonly pools: readonly OwnedPoolFacts[];
  /**
   * Whether the application of a record still exists: `true`, `false`, or `undefined` when it
   * cannot be told (then the record is kept).
   */
  readonly applicationExists: (key: string) => boolean | undefined;
}

export interface SubnetAccounting {
  readonly records: Record<string, { ips: string[]; application?: string }>;
  readonly allocatedIPCount: number;
  readonly totalIPCount: number;
  /** Records removed, by pool name. */
  readonly dropped: string[];
}

/**
 * - A record with an application stays while the application or the pool exists (a pool being
 *   created right after its record, or a retained pool with `ippool-reclaim: false`).
 * - A record without an application belongs to a manual pool: it is rebuilt from the pool
 *   (usable ∩ subnet) and dropped when the pool is gone.
 * - `allocatedIPCount` counts the addresses across records, `totalIPCount` the usable set.
 */
export function accountSubnet(input: SubnetAccountingInput): SubnetAccounting {
  const { family } = input;
  const byName = new Map(input.pools.map(p => [p.name, p]));
  const records: Record<string, { ips: string[]; application?: string }> = {};
  const dropped: string[] = [];
  for (const [name, record] of Object.entries(input.records)) {
    const pool = byName.get(name);
    const keep =
      record.application !== undefined
        ? pool !== undefined || input.applicationExists(record.application) !== false
        : pool !== undefined && !pool.autoCreated;
    if (!keep) {
      dropped.push(name);
      continue;
    }
    if (record.application === undefined) continue; // rebuilt below from the manual pool
    records[name] = { ips: [...record.ips], application: record.application };
  }
  for (const pool of input.pools) {
    if (pool.autoCreated) continue;
    records[pool.name] = { ips: pool.usable.intersect(input.subnetUsable).toRangeStrings() };
  }
  let count = 0n;
  for (const record of Object.values(records)) {
    const set = IntervalSet.fromRanges(record.ips, family);
    if (set.ok) count += set.value.size();
  }
  const total = input.subnetUsable.size();
  return {
    records: sortedRecords(records),
    allocatedIPCount: toCount(count),
    totalIPCount: toCount(total),
    dropped,
  };
}

function sortedRecords<T>(records: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const name of Object.keys(records).sort()) out[name] = records[name] as T;
  return out;
}

function toCount(n: bigint): number {
  return n > BigInt(MAX_INT64_AS_NUMBER) ? MAX_INT64_AS_NUMBER : Number(n);
}
