/**
 * Rules between a pool and the SpiderSubnet that controls it (docs/reference/admission.md#spiderippool), applied when the
 * subnet feature is on: the pool may only use addresses the subnet offers, and a pool the subnet
 * created for an application must hold exactly what the subnet recorded for it.
 */
import type { IpFamily } from "../net/address.js";
import type { IPPoolObject, OwnerSubnet } from "./admission-objects.js";
import { forbidden, formatGoList, internalError, type FieldError } from "./field-error.js";
import { IntervalSet } from "../net/interval-set.js";
import { isAutoCreatedPool } from "../selection/pool-view.js";
import { describeStored, readStoredRanges } from "../net/stored-objects.js";

/** Name of the SpiderSubnet named by the pool's controller owner reference, if any. */
export function controllerSubnetName(pool: IPPoolObject): string | undefined {
  const owner = pool.metadata?.ownerReferences?.find(ref => ref.controller === true);
  return owner?.kind === "SpiderSubnet" ? owner.name : undefined;
}

/**
 * Nothing to check without a controlling subnet or with an empty usable set. Otherwise:
 * - `owner_subnet_missing` (internal) when the caller could not supply that subnet;
 * - `outside_owner_subnet`: `spec.ips: Forbidden: add some IP ranges [<r>] that are not
 *   contained in controller Subnet <s>, total IP addresses of an IPPool are jointly determined by
 *   'spec.ips' and 'spec.excludeIPs'`;
 * - then, for an auto-created pool only, `auto_pool_ips_mismatch` when its usable set differs
 *   from `controlledIPPools[<pool>].ips` (a missing record counts as empty), or
 *   `unreadable_ranges` (internal) when that record does not parse.
 */
export function checkOwnerSubnet(
  pool: IPPoolObject,
  family: IpFamily,
  usable: IntervalSet,
  owner: OwnerSubnet | undefined,
): FieldError[] {
  const ownerName = controllerSubnetName(pool);
  if (ownerName === undefined || usable.isEmpty) return [];
  if (owner === undefined || owner.subnet.metadata?.name !== ownerName) {
    return [
      internalError(
        "owner_subnet_missing",
        "spec.subnet",
        `failed to get controller Subnet ${ownerName}`,
      ),
    ];
  }
  const subnet = describeStored(owner.subnet);
  const offered =
    subnet?.family === family && subnet.cidr !== undefined
      ? readStoredRanges(subnet.cidr, owner.subnet.spec.ips, owner.subnet.spec.excludeIPs).usable
      : IntervalSet.empty(family);
  const outside = usable.subtract(offered).toRangeStrings();
  if (outside.length > 0) {
    return [
      forbidden(
        "outside_owner_subnet",
        "spec.ips",
        `add some IP ranges ${formatGoList(outside)} that are not contained in controller Subnet ${ownerName}, total IP addresses of an IPPool are jointly determined by 'spec.ips' and 'spec.excludeIPs'`,
        outside,
      ),
    ];
  }
  if (!isAutoCreatedPool({ labels: pool.metadata?.labels ?? {} })) return [];
  const poolName = pool.metadata?.name ?? "";
  const recorded = IntervalSet.fromRanges(owner.controlledIPPools[poolName]?.ips ?? [], family);
  if (!recorded.ok) {
    return [
      internalError(
        "unreadable_ranges",
        "spec.subnet",
        `failed to parse SpiderSubnet ${ownerName} controlledIPPool ${poolName} IPs: ${recorded.error.message}`,
      ),
    ];
  }
  if (recorded.value.equals(usable)) return [];
  return [
    forbidden(
      "auto_pool_ips_mismatch",
      "spec.ips",
      "it's illegal to update AutoPool.Spec.IPs that are different from corresponding SpiderSubnet.Status.ControlledIPPools",
    ),
  ];
}
