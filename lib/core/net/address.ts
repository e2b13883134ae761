/**
 * IP addresses as unsigned bigints plus a family, and their text forms.
 *
 * Parsing is strict in the way Go's `net.ParseIP` (Go >= 1.17) is strict, because Spiderpool
 * validates with it: dotted-quad IPv4 without leading zeros, IPv6 with 1-4 hex digits per group,
 * at most one `::` that stands for at least one zero group, and an optional dotted IPv4 tail.
 * Zones (`%eth0`), whitespace, brackets and prefixes are rejected.
 */
import { invalidAddress, type AddressError } from "./address-errors.js";
import { err, ok, type Result } from "../base/result.js";
import type { IpFamily } from "./ip-family.js";

export type { IpFamily } from "./ip-family.js";

/** One address: `value` is the address as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

const MAX_V4 = (1n << 32n) - 1n;
const MAX_V6 = (1n << 128n) - 1n;

/** Number of bits of an address of `family`: 32 or 128. */
export function addressBits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

/** The highest address of `family` (255.255.255.255 or ffff:…:ffff). */
export function maxAddress(family: IpFamily): bigint {
  return family === 4 ? MAX_V4 : MAX_V6;
}

/**
 * Parses one address. With `family`, an address of the other family is an error too.
 * IPv4-mapped text (`::ffff:1.2.3.4`) is an IPv6 address here: it never silently becomes IPv4.
 *
 * The error text depends on `family` so that it matches the Spiderpool helper being mirrored:
 * `invalid IP address: <s>` without a family, `invalid IP format in IPv4 '<s>'` with one.
 */
export function parseAddress(text: string, family?: IpFamily): Result<IpAddress, AddressError> {
  const address = readAddress(text);
  if (address === undefined || (family !== undefined && address.family !== family)) {
    return err(invalidAddress(text, family));
  }
  return ok(address);
}

/**
 * The non-allocating core of {@link parseAddress}, for hot loops: `undefined` when `text` is not
 * an address of either family.
 */
export function readAddress(text: string): IpAddress | undefined {
  if (text.includes(":")) {
    const value = readIpv6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = readIpv4(text);
  return value === undefined ? undefined : { family: 4, value };
}

/**
 * Canonical text of an address: dotted quad for IPv4, RFC 5952 for IPv6 (lowercase, no leading
 * zeros, the longest run of two or more zero groups shown as `::`, the first one on a tie), with
 * IPv4-mapped addresses in mixed notation (`::ffff:1.2.3.4`, RFC 5952 §5).
 *
 * Throws if `value` does not fit the family: that is a bug in the caller, not bad input.
 */
export function formatAddress(value: bigint, family: IpFamily): string {
  if (value < 0n || value > maxAddress(family)) {
    throw new RangeError(`address ${value} out of range for IPv${family}`);
  }
  if (family === 4) return formatIpv4(value);
  if (isIpv4Mapped(value)) return `::ffff:${formatIpv4(value & MAX_V4)}`;
  return formatIpv6(value);
}

function readIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    // Go 1.17 rejects "010" because older parsers read it as octal; so do we.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return BigInt(value);
}

function readIpv6(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const [before = "", after] = halves;
  const head = readGroups(before);
  if (head === undefined) return undefined;
  if (after === undefined) return head.length === 8 ? groupsToValue(head) : undefined;
  const tail = readGroups(after);
  // A dotted tail is only allowed at the very end, so never before the "::".
  if (tail === undefined || before.includes(".")) return undefined;
  // "::" must stand for at least one zero group.
  if (head.length + tail.length > 7) return undefined;
  const zeros: number[] = new Array<number>(8 - head.length - tail.length).fill(0);
  return groupsToValue([...head, ...zeros, ...tail]);
}

/** Reads colon-separated 16-bit groups; the last may be a dotted IPv4 tail worth two groups. */
function readGroups(text: string): number[] | undefined {
  const groups: number[] = [];
  if (text === "") return groups;
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? "";
    if (part.includes(".")) {
      if (i !== parts.length - 1) return undefined;
      const v4 = readIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      continue;
    }
    if (!/^[0-9A-Fa-f]{1,4}$/.test(part)) return undefined;
    groups.push(parseInt(part, 16));
  }
  return groups;
}

function groupsToValue(groups: readonly number[]): bigint | undefined {
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return value;
}

function formatIpv4(value: bigint): string {
  const n = Number(value);
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
}

function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));

  // Longest run of zero groups; RFC 5952 §4.2.2 forbids compressing a single group.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }

  const hex = groups.map(g => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLength).join(":");
  return `${left}::${right}`;
}

/** True when an IPv6 `value` lies in ::ffff:0:0/96, the IPv4-mapped block (RFC 4291 §2.5.5.2). */
export function isIpv4Mapped(value: bigint): boolean {
  return value >> 32n === 0xffffn;
}
