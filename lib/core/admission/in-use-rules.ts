/**
 * In-use protection (the UPDATE rules of docs/reference/admission.md, pools and subnets): an update may not take out of the
 * usable set an address a Pod holds (pool) or a range a pool holds (subnet). This is also how
 * "an allocated address cannot be put into excludeIPs" is enforced.
 */
import type { IpFamily } from "../net/address.js";
import { readAddress } from "../net/address.js";
import type { InUseAddress } from "./admission-objects.js";
import type { PoolIPPreAllocations } from "../../schemas/index.js";
import { forbidden, formatGoList, internalError, type FieldError } from "./field-error.js";
import { IntervalSet } from "../net/interval-set.js";

/**
 * Each address in use that is not in `usable` (or is not an address of its family at all) gives
 * `spec.ips: Forbidden: remove an IP address <ip> that is being used by Pod <ns>/<name>, total IP
 * addresses of an IPPool are jointly determined by 'spec.ips' and 'spec.excludeIPs'` (`ip_in_use`).
 */
export function checkPoolInUse(usable: IntervalSet, inUse: readonly InUseAddress[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const { address, pod } of inUse) {
    const parsed = readAddress(address);
    if (parsed?.family === usable.family && usable.contains(parsed.value)) continue;
    errors.push(
      forbidden(
        "ip_in_use",
        "spec.ips",
        `remove an IP address ${address} that is being used by Pod ${pod}, total IP addresses of an IPPool are jointly determined by 'spec.ips' and 'spec.excludeIPs'`,
        address,
      ),
    );
  }
  return errors;
}

/**
 * Each controlled pool whose recorded ranges are not all in `usable` gives `spec.ips: Forbidden:
 * remove some IP ranges [<r>] that is being used by IPPool <pool>, total IP addresses of an
 * Subnet are jointly determined by 'spec.ips' and 'spec.excludeIPs'` (`ranges_in_use`, the
 * Spiderpool grammar kept). A record that does not parse is an internal error
 * (`unreadable_ranges` on `status.controlledIPPools`).
 */
export function checkSubnetInUse(
  usable: IntervalSet,
  family: IpFamily,
  controlled: PoolIPPreAllocations,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const [poolName, record] of Object.entries(controlled)) {
    const held = IntervalSet.fromRanges(record.ips, family);
    if (!held.ok) {
      errors.push(
        internalError(
          "unreadable_ranges",
          "status.controlledIPPools",
          `failed to parse the pre-allocation of the IPPool ${poolName}: ${held.error.message}`,
        ),
      );
      continue;
    }
    const removed = held.value.subtract(usable).toRangeStrings();
    if (removed.length === 0) continue;
    errors.push(
      forbidden(
        "ranges_in_use",
        "spec.ips",
        `remove some IP ranges ${formatGoList(removed)} that is being used by IPPool ${poolName}, total IP addresses of an Subnet are jointly determined by 'spec.ips' and 'spec.excludeIPs'`,
        removed,
      ),
    );
  }
  return errors;
}
