/**
 * The IP range string of `spec.ips`, `spec.excludeIPs` and SpiderReservedIP `spec.ips`:
 * a single address (`172.18.40.10`) or `start-end` (`172.18.40.10-172.18.40.20`).
 */
import { formatAddress, readAddress, type IpFamily } from "./address.js";
import { invalidRangeFormat, type AddressError } from "./address-errors.js";
import { err, ok, type Result } from "../base/result.js";

/** An inclusive run of addresses, `start <= end`. */
export interface Interval {
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * Parses a range string with Spiderpool's strict syntax check (`IsIPRange`): zero or one `-`,
 * no whitespace, both ends addresses of `family`, `start <= end`, no CIDR notation.
 * Every failure is `invalid_range` with the text `invalid IP range format in IPv4 '<r>'`.
 */
export function parseIpRange(text: string, family: IpFamily): Result<Interval, AddressError> {
  const parts = text.split("-");
  if (parts.length > 2) return err(invalidRangeFormat(text, family));
  const start = readAddress(parts[0] ?? "");
  const end = parts.length === 2 ? readAddress(parts[1] ?? "") : start;
  if (
    start === undefined ||
    end === undefined ||
    start.family !== family ||
    end.family !== family
  ) {
    return err(invalidRangeFormat(text, family));
  }
  if (start.value > end.value) return err(invalidRangeFormat(text, family));
  return ok({ start: start.value, end: end.value });
}

/** Text of one interval: the bare address when it holds one address, `a-b` otherwise. */
export function formatIpRange(interval: Interval, family: IpFamily): string {
  const start = formatAddress(interval.start, family);
  return interval.start === interval.end
    ? start
    : `${start}-${formatAddress(interval.end, family)}`;
}
