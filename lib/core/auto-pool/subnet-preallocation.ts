/**
 * How many and which subnet addresses an auto pool holds (Spiderpool's `preAllocateIPsFromSubnet`, docs/reference/auto-pools.md#addresses-from-the-subnet):
 * the pool's record in the subnet's `status.controlledIPPools` grows by the lowest free addresses
 * and shrinks by its lowest unallocated ones; an address a Pod holds is never dropped. Records
 * of different pools never share an address, so no subnet address goes to two pools.
 */
import type { IpFamily } from "../net/address.js";
import { IntervalSet } from "../net/interval-set.js";
import { err, ok, type Result } from "../base/result.js";

export interface PreAllocationInput {
  readonly family: IpFamily;
  /** Name of the pool, the key of its record. */
  readonly pool: string;
  /** The subnet's usable set: `ips` minus `excludeIPs`. */
  readonly subnetUsable: IntervalSet;
  /** Decoded `controlledIPPools`: every pool's record, this pool's included (if any). */
  readonly records: Readonly<Record<string, { readonly ips: readonly string[] }>>;
  /** SpiderReservedIP addresses of the family: never handed to a pool. */
  readonly reserved: IntervalSet;
  /**
   * Addresses other pools of the subnet hold that their records may not show yet (a manual pool
   * the subnet has not recorded, a pool written before its record after a crash).
   */
  readonly occupied: IntervalSet;
  /** Addresses of this pool held by Pods. */
  readonly allocated: IntervalSet;
  readonly desired: number;
  /**
   * Shrink as far as possible now (true), or only when the whole shrink can be done (false,
   * Spiderpool's rule): during a scale-down the Pods still hold their addresses, and a partial
   * write then only adds a pool write to the storm of Pod deletions.
   */
  readonly partialShrink?: boolean;
}

export interface PreAllocation {
  /** The pool's new record, and so its `spec.ips`. */
  readonly ips: IntervalSet;
  readonly added: IntervalSet;
  readonly dropped: IntervalSet;
  /** Addresses above `desired` that Pods still hold: the shrink completes when they are released. */
  readonly pendingShrink: number;
  /** Addresses Pods of this pool hold that another pool's record owns (left there; reported). */
  readonly conflicts: IntervalSet;
}

export type PreAllocationError =
  | {
      readonly code: "insufficient_subnet_ips";
      readonly message: string;
      readonly required: number;
      readonly left: number;
    }
  | { readonly code: "unreadable_record"; readonly message: string; readonly pool: string };

/**
 * The new record of `pool`:
 * 1. repair: addresses of the subnet this pool's Pods hold outside its record (an interrupted
 *    resize) join the record unless another record owns them, and addresses of the record that
 *    another pool has too leave it unless this pool's Pods hold them;
 * 2. grow: the lowest addresses of the subnet in no record, not reserved and not occupied, until
 *    `desired` (`insufficient subnet FreeIPs, required '<n>' but only left '<m>'` otherwise, and
 *    nothing changes);
 * 3. shrink: the lowest addresses no Pod holds, as many as allowed (or, with `partialShrink:
 *    false`, none until all can go); the rest is `pendingShrink`.
 */
export function preAllocate(input: PreAllocationInput): Result<PreAllocation, PreAllocationError> {
  const { family, pool } = input;
  let others = IntervalSet.empty(family);
  let own = IntervalSet.empty(family);
  for (const [name, record] of Object.entries(input.records)) {
    const parsed = IntervalSet.fromRanges(record.ips, family);
    if (!parsed.ok)
      return err({
        code: "unreadable_record",
        pool: name,
        message: `failed to parse controlledIPPools record of IPPool ${name}: ${parsed.error.message}`,
      });
    if (name === pool) own = parsed.value;
    else others = others.union(parsed.value);
  }
  const before = own;

  const heldOutside = input.allocated.subtract(own).intersect(input.subnetUsable);
  const conflicts = heldOutside.intersect(others);
  own = own.union(heldOutside.subtract(others));
  // An address of this record that another pool also has (a manual pool created while this
  // record grew) goes back to that pool unless a Pod of this pool holds it.
  own = own.subtract(others.union(input.occupied).subtract(input.allocated));

  const size = Number(own.size());
  if (size < input.desired) {
    const need = input.desired - size;
    const used = others.union(own).union(input.reserved).union(input.occupied);
    const free = input.subnetUsable.firstFreeAddresses(used, need);
    if (free.length < need) {
      const left = Number(input.subnetUsable.subtract(used).size());
      return err({
        code: "insufficient_subnet_ips",
        message: `insufficient subnet FreeIPs, required '${need}' but only left '${left}'`,
        required: need,
        left,
      });
    }
    own = own.union(IntervalSet.fromAddresses(family, free));
  }

  let pendingShrink = 0;
  const excess = Number(own.size()) - input.desired;
  if (excess > 0) {
    const droppable = own.subtract(input.allocated);
    const drop = droppable.firstFreeAddresses(IntervalSet.empty(family), excess);
    if (drop.length === excess || input.partialShrink !== false) {
      own = own.subtract(IntervalSet.fromAddresses(family, drop));
      pendingShrink = excess - drop.length;
    } else pendingShrink = excess;
  }
  return ok({
    ips: own,
    added: own.subtract(before),
    dropped: before.subtract(own),
    pendingShrink,
    conflicts,
  });
}
