/**
 * Expected failures of the address arithmetic, as plain values keyed by a literal `code`.
 *
 * `message` is the exact text Spiderpool puts in its webhook denials (pkg/ip and
 * pkg/ippoolmanager), so a front end can copy it into a `field.Invalid` detail unchanged.
 * `value` is always the offending input exactly as the user wrote it.
 */
import type { IpFamily } from "./ip-family.js";

/** How two entries of one `ips` list collide, in the order Spiderpool tests for it. */
export type RangeRelation = "covered_by" | "covers" | "overlaps";

export type AddressError =
  | { readonly code: "invalid_address"; readonly message: string; readonly value: string }
  | { readonly code: "invalid_range"; readonly message: string; readonly value: string }
  | {
      readonly code: "invalid_cidr";
      readonly message: string;
      readonly value: string;
      readonly family: IpFamily;
    }
  | {
      readonly code: "unformatted_cidr";
      readonly message: string;
      readonly value: string;
      readonly canonical: string;
    }
  | {
      readonly code: "range_overlap";
      readonly message: string;
      /** The later entry of the list, the one being added. */
      readonly value: string;
      /** The earlier entry it collides with. */
      readonly other: string;
      readonly relation: RangeRelation;
    }
  | {
      readonly code: "outside_subnet";
      readonly message: string;
      readonly value: string;
      readonly subnet: string;
    };

/** Every `code` an {@link AddressError} can carry. */
export type AddressErrorCode = AddressError["code"];

/**
 * An address that does not parse. Without a family this is the `net.ParseIP` failure text of
 * Spiderpool's range parser; with one it is the `IsIP` text used for gateways and route gateways.
 */
export function invalidAddress(value: string, family?: IpFamily): AddressError {
  const message =
    family === undefined
      ? `invalid IP address: ${value}`
      : `invalid IP format in IPv${family} '${value}'`;
  return { code: "invalid_address", message, value };
}

/**
 * A range string rejected by the strict syntax check (`IsIPRange`): bad address, wrong family,
 * more than one `-`, whitespace or `start > end` all give the same text.
 */
export function invalidRangeFormat(value: string, family: IpFamily): AddressError {
  return {
    code: "invalid_range",
    message: `invalid IP range format in IPv${family} '${value}'`,
    value,
  };
}

/** A range string with more than one `-`, or CIDR notation, inside a pool's `ips`/`excludeIPs`. */
export function invalidRangeEntry(value: string): AddressError {
  return { code: "invalid_range", message: `invalid range: ${value}`, value };
}

/** A CIDR that does not parse or is of the other family. */
export function invalidCidr(value: string, family: IpFamily): AddressError {
  return {
    code: "invalid_cidr",
    message: `invalid CIDR format in IPv${family} '${value}'`,
    value,
    family,
  };
}

/** A CIDR with host bits set or written differently from its network form. */
export function unformattedCidr(value: string, canonical: string): AddressError {
  return {
    code: "unformatted_cidr",
    message: `unformatted subnet ${value}, please change it to ${canonical}`,
    value,
    canonical,
  };
}

/** Two entries of one `ips` list that share addresses. */
export function rangeOverlap(value: string, other: string, relation: RangeRelation): AddressError {
  const verb =
    relation === "covered_by"
      ? "is already covered by"
      : relation === "covers"
        ? "covers"
        : "overlaps with";
  return {
    code: "range_overlap",
    message: `range ${value} ${verb} ${other}`,
    value,
    other,
    relation,
  };
}

/**
 * An address outside the pool's subnet. `value` is the single address at fault (one end of a
 * range), as in Spiderpool's `not match base subnet: <ip>`.
 */
export function outsideSubnet(value: string, subnet: string): AddressError {
  return { code: "outside_subnet", message: `not match base subnet: ${value}`, value, subnet };
}
