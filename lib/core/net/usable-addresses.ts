import type { IpFamily } from "./ip-family.js";
import { IntervalSet } from "./interval-set.js";

/**
 * `ips` − `excludeIPs` of a stored pool or subnet: the addresses it offers. Stored objects passed
 * admission, so a list that does not parse is an object written around the webhook: ranges that
 * do not parse offer nothing, exclusions that do not parse exclude nothing — how the agent, the
 * watcher and the CLI all read them (docs/reference/crds.md).
 */
export function usableAddresses(
  spec: { readonly ips?: readonly string[]; readonly excludeIPs?: readonly string[] },
  family: IpFamily,
): IntervalSet {
  const ips = IntervalSet.fromRanges(spec.ips ?? [], family);
  if (!ips.ok) return IntervalSet.empty(family);
  const excluded = IntervalSet.fromRanges(spec.excludeIPs ?? [], family);
  return excluded.ok ? ips.value.subtract(excluded.value) : ips.value;
}
