/**
 * CIDR blocks: parsing with Spiderpool's two checks (`IsCIDR` then `IsFormatCIDR`), containment,
 * overlap and the label value Spiderpool derives from a subnet.
 */
import {
  addressBits,
  formatAddress,
  maxAddress,
  readAddress,
  type IpAddress,
  type IpFamily,
} from "./address.js";
import { invalidCidr, unformattedCidr, type AddressError } from "./address-errors.js";
import { err, ok, type Result } from "../base/result.js";

/** A network block. `network` has no host bits set; `size` counts every address, /0 included. */
export interface Cidr {
  readonly family: IpFamily;
  readonly network: bigint;
  readonly prefix: number;
  readonly size: bigint;
}

/** A CIDR as written, host bits and all: `address` is the part before the `/`. */
export interface LenientCidr {
  readonly cidr: Cidr;
  readonly address: IpAddress;
}

/**
 * Parses a canonical CIDR such as `10.6.1.0/24` or `fd00:1::/64`.
 *
 * Errors, in Spiderpool's order:
 * - `invalid_cidr` (`invalid CIDR format in IPv4 '<s>'`) when the text does not parse or is of
 *   the other family. Without `family`, the family named in the text is guessed from the
 *   presence of `:`.
 * - `unformatted_cidr` (`unformatted subnet <s>, please change it to <canonical>`) when host
 *   bits are set or the spelling differs from the network form (uppercase hex, `/08`, `0::/64`).
 *
 * IPv4-mapped text (`::ffff:10.0.0.0/104`) is an IPv6 CIDR, whose canonical form keeps the
 * mixed notation.
 */
export function parseCidr(text: string, family?: IpFamily): Result<Cidr, AddressError> {
  const parsed = parseCidrLenient(text, family);
  if (!parsed.ok) return parsed;
  const canonical = formatCidr(parsed.value.cidr);
  if (canonical !== text) return err(unformattedCidr(text, canonical));
  return ok(parsed.value.cidr);
}

/**
 * Like {@link parseCidr} without the canonical check, as Spiderpool applies to route
 * destinations: `10.6.1.7/16` is accepted and yields the block 10.6.0.0/16.
 */
export function parseCidrLenient(
  text: string,
  family?: IpFamily,
): Result<LenientCidr, AddressError> {
  const expected: IpFamily = family ?? (text.includes(":") ? 6 : 4);
  const slash = text.indexOf("/");
  if (slash < 0) return err(invalidCidr(text, expected));
  const address = readAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  // Go's dtoi accepts leading zeros ("/024"); the canonical check catches them afterwards.
  if (address === undefined || address.family !== expected || !/^[0-9]{1,5}$/.test(prefixText)) {
    return err(invalidCidr(text, expected));
  }
  const prefix = Number(prefixText);
  if (prefix > addressBits(expected)) return err(invalidCidr(text, expected));
  return ok({ cidr: cidrOf(expected, address.value, prefix), address });
}

/**
 * The block of `prefix` bits that contains `value`, host bits cleared.
 * Throws on a prefix or value that does not fit the family (a caller bug).
 */
export function cidrOf(family: IpFamily, value: bigint, prefix: number): Cidr {
  const bits = addressBits(family);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
    throw new RangeError(`prefix /${prefix} out of range for IPv${family}`);
  }
  if (value < 0n || value > maxAddress(family))
    throw new RangeError(`address ${value} out of range for IPv${family}`);
  const hostBits = BigInt(bits - prefix);
  const size = 1n << hostBits;
  return { family, network: (value >> hostBits) << hostBits, prefix, size };
}

/** Canonical text, e.g. `10.6.0.0/16`, `fd00:1::/64`, `::/0`. */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.network, cidr.family)}/${cidr.prefix}`;
}

/** The highest address of the block (the IPv4 broadcast address for prefixes below /31). */
export function cidrLast(cidr: Cidr): bigint {
  return cidr.network + cidr.size - 1n;
}

/** Whether `address` lies inside `cidr`; an address of the other family never does. */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  return (
    address.family === cidr.family &&
    address.value >= cidr.network &&
    address.value <= cidrLast(cidr)
  );
}

/**
 * Whether two blocks share at least one address. Identical blocks overlap here, unlike
 * Spiderpool's `IsCIDROverlap` (which answers false for equal prefixes); callers that need
 * "different but overlapping" compare the blocks for equality themselves.
 * Blocks of different families never overlap.
 */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.network <= cidrLast(b) && b.network <= cidrLast(a);
}

/** Whether two blocks are the same network (same family, network and prefix). */
export function cidrsEqual(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.network === b.network && a.prefix === b.prefix;
}

/**
 * The value Spiderpool stores in the `ipam.spidernet.io/ippool-cidr` and `…/subnet-cidr` labels:
 * the first 3 `.`, the first 7 `:` and the first `/` replaced by `-`
 * (`10.6.0.0/16` → `10-6-0-0-16`, `fd00:1::/64` → `fd00-1---64`).
 *
 * Textual on purpose, like Go's `strings.Replace`: pass the validated (canonical) subnet string
 * so that two spellings of one block cannot yield two labels.
 */
export function cidrLabelValue(subnet: string): string {
  return replaceFirst(replaceFirst(replaceFirst(subnet, ".", 3), ":", 7), "/", 1);
}

function replaceFirst(text: string, char: string, count: number): string {
  let out = "";
  let left = count;
  for (const c of text) {
    if (c === char && left > 0) {
      out += "-";
      left--;
    } else {
      out += c;
    }
  }
  return out;
}
