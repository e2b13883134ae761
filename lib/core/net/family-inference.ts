/**
 * How the defaulting webhooks fill a missing `spec.ipVersion`: from the subnet of a pool or
 * subnet, from the first entry of a reserved IP.
 */
import type { IpFamily } from "./address.js";
import { parseCidrLenient } from "./cidr.js";
import { parseIpRange } from "./range-syntax.js";

/**
 * 4 or 6 when `subnet` parses as a CIDR of that family, host bits allowed (Spiderpool's
 * `IsIPv4CIDR` / `IsIPv6CIDR`); undefined otherwise. IPv4-mapped text (`::ffff:10.0.0.0/104`) is
 * IPv6 here, where Go would call it IPv4.
 */
export function familyOfCidr(subnet: string): IpFamily | undefined {
  if (parseCidrLenient(subnet, 4).ok) return 4;
  if (parseCidrLenient(subnet, 6).ok) return 6;
  return undefined;
}

/**
 * 4 or 6 when `range` is a valid IP range string of that family (`IsIPv4IPRange`: reversed
 * ranges and whitespace do not count); undefined otherwise.
 */
export function familyOfRange(range: string): IpFamily | undefined {
  if (parseIpRange(range, 4).ok) return 4;
  if (parseIpRange(range, 6).ok) return 6;
  return undefined;
}
