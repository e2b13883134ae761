/**
 * Rules on each entry of `spec.ips` / `spec.excludeIPs`, in the two flavours Spiderpool has:
 * pools parse entries with `NewCIDR` (errors on `spec.subnet`, e.g.
 * `spec.subnet: Invalid value: "10.6.0.0/16": not match base subnet: 10.7.0.1`), subnets with
 * `IsIPRange` + `ContainsIPRange` (errors on the entry, e.g. `spec.ips[0]: … not pertains to …`).
 *
 * Unlike Spiderpool, every bad entry is reported, not only the first, and two product rules are
 * added for both kinds, each naming the entry: no whitespace and no reversed range. Spiderpool's
 * pool webhook silently accepts `10.0.0.20-10.0.0.10` (it is read in order internally, counted
 * in totalIPCount, never allocated, and breaks later updates: docs/reference/admission.md#texts-shared-by-the-three-kinds), so we refuse it.
 */
import { readAddress, type IpFamily } from "../net/address.js";
import { rangeOverlap } from "../net/address-errors.js";
import { cidrContains, type Cidr } from "../net/cidr.js";
import { earliestEarlierOverlaps } from "../net/earliest-overlap.js";
import { invalidValue, type FieldError } from "./field-error.js";
import { parseIpRange } from "../net/range-syntax.js";
import { parseEntry, relationOf, type RawInterval } from "../net/subnet-ranges.js";

/** The list an entry comes from. */
export type RangeField = "spec.ips" | "spec.excludeIPs";

/** A valid entry: its addresses, its text as written and its position in the list. */
export interface CheckedEntry extends RawInterval {
  readonly index: number;
}

/** The valid entries of a list, and one error per invalid entry. */
export interface EntryCheck {
  readonly entries: readonly CheckedEntry[];
  readonly errors: readonly FieldError[];
}

/**
 * Pool flavour. Per entry, the first that applies: whitespace (`range_whitespace`, on the
 * entry); Spiderpool's `NewCIDR` failure (`invalid_range`, `invalid_address`, `outside_subnet`,
 * on `spec.subnet` with the subnet as value, exactly as Spiderpool prints it); reversed
 * (`range_reversed`, on the entry).
 */
export function checkPoolEntries(
  field: RangeField,
  texts: readonly string[],
  cidr: Cidr,
  subnetText: string,
): EntryCheck {
  const entries: CheckedEntry[] = [];
  const errors: FieldError[] = [];
  texts.forEach((raw, index) => {
    const path = `${field}[${index}]`;
    if (/\s/u.test(raw)) return errors.push(whitespaceError(path, raw));
    const parsed = parseEntry(raw, cidr);
    if (!parsed.ok)
      return errors.push(
        invalidValue(parsed.error.code, "spec.subnet", subnetText, parsed.error.message),
      );
    // parseEntry reads a reversed range in order; it was reversed if the text starts at the top.
    const { start, end } = parsed.value;
    if (start !== end && readAddress(raw.slice(0, raw.indexOf("-")))?.value === end) {
      return errors.push(reversedError(path, raw));
    }
    entries.push({ raw, index, start, end });
  });
  return { entries, errors };
}

/**
 * Subnet flavour. Per entry, the first that applies: whitespace, reversed, strict syntax
 * (`invalid_range_format`: `invalid IP range format in IPv4 '<r>'`), an end outside the CIDR
 * (`outside_subnet`: `not pertains to the 'spec.subnet' <cidr> of IPPool`, Spiderpool's wording
 * even for subnets). All on the entry's own path.
 */
export function checkSubnetEntries(
  field: RangeField,
  texts: readonly string[],
  cidr: Cidr,
  subnetText: string,
): EntryCheck {
  const entries: CheckedEntry[] = [];
  const errors: FieldError[] = [];
  texts.forEach((raw, index) => {
    const path = `${field}[${index}]`;
    if (/\s/u.test(raw)) return errors.push(whitespaceError(path, raw));
    if (isReversed(raw, cidr.family)) return errors.push(reversedError(path, raw));
    const parsed = parseIpRange(raw, cidr.family);
    if (!parsed.ok)
      return errors.push(invalidValue("invalid_range_format", path, raw, parsed.error.message));
    const inside = (value: bigint) => cidrContains(cidr, { family: cidr.family, value });
    if (!inside(parsed.value.start) || !inside(parsed.value.end)) {
      return errors.push(
        invalidValue(
          "outside_subnet",
          path,
          raw,
          `not pertains to the 'spec.subnet' ${subnetText} of IPPool`,
        ),
      );
    }
    entries.push({ raw, index, ...parsed.value });
  });
  return { entries, errors };
}

/**
 * Pool `ips` entries must not share addresses. Each entry that meets an earlier one is reported
 * against the earliest such entry, in Spiderpool's words and on `spec.subnet`:
 * `range A is already covered by B`, `range A covers B` or `range A overlaps with B`.
 */
export function checkEntriesDisjoint(
  entries: readonly CheckedEntry[],
  subnetText: string,
): FieldError[] {
  if (!anyClash(entries)) return [];
  const earliest = earliestEarlierOverlaps(entries);
  const errors: FieldError[] = [];
  earliest.forEach((j, i) => {
    const later = entries[i];
    const earlier = entries[j];
    if (later === undefined || earlier === undefined) return;
    const { message } = rangeOverlap(later.raw, earlier.raw, relationOf(later, earlier));
    errors.push(invalidValue("range_overlap", "spec.subnet", subnetText, message));
  });
  return errors;
}

/** The common case, a clean list, in one sort instead of a segment tree. */
function anyClash(entries: readonly CheckedEntry[]): boolean {
  const sorted = [...entries].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return sorted.some((entry, i) => i > 0 && entry.start <= (sorted[i - 1] as CheckedEntry).end);
}

function whitespaceError(path: string, raw: string): FieldError {
  return invalidValue("range_whitespace", path, raw, "invalid IP range: whitespace is not allowed");
}

/** Both ends are addresses of `family` and the start is above the end. */
function isReversed(raw: string, family: IpFamily): boolean {
  const parts = raw.split("-");
  if (parts.length !== 2) return false;
  const start = readAddress(parts[0] ?? "");
  const end = readAddress(parts[1] ?? "");
  return start?.family === family && end?.family === family && start.value > end.value;
}

function reversedError(path: string, raw: string): FieldError {
  const [start, end] = raw.split("-");
  return invalidValue(
    "range_reversed",
    path,
    raw,
    `invalid IP range: the start ${start} is greater than the end ${end}, write it as ${end}-${start}`,
  );
}
