/**
 * The validating webhook of SpiderReservedIP (docs/reference/admission.md#spiderreservedip). Reserved IPs are never compared with
 * pools or subnets; only their own syntax is checked. Every bad entry is reported.
 */
import type { AdmissionConfig, ReservedIPObject } from "./admission-objects.js";
import { ALLOWED, denyTerminating, verdictOf, type AdmissionVerdict } from "./admission-verdict.js";
import { invalidValue, type FieldError } from "./field-error.js";
import { checkIpVersion, checkIpVersionUnchanged } from "./ip-version-rules.js";
import { parseIpRange } from "../net/range-syntax.js";

/** Inputs of a CREATE. */
export interface ReservedIPCreateInput {
  readonly reservedIP: ReservedIPObject;
  readonly config: Pick<AdmissionConfig, "enableIPv4" | "enableIPv6">;
}

/** Inputs of an UPDATE. */
export interface ReservedIPUpdateInput extends ReservedIPCreateInput {
  readonly oldReservedIP: ReservedIPObject;
}

const MISSING_VERSION =
  "is not generated correctly, 'spec.ips' is empty or 'spec.ips[0]' may be invalid";

/** CREATE: ipVersion, then each `spec.ips[i]` as a strict range of the family. */
export function validateReservedIPCreate(input: ReservedIPCreateInput): AdmissionVerdict {
  const { reservedIP } = input;
  return verdictOf("SpiderReservedIP", reservedIP.metadata?.name ?? "", checkSpec(input));
}

/**
 * UPDATE: the update that starts deletion passes; an update of an object that was already
 * terminating is refused (403 `cannot update a terminating ReservedIP`) unless all it does is
 * drop finalizers. Spiderpool refuses every such update, so a reserved IP carrying another
 * controller's finalizer could never go away; ours has none of its own. ipVersion is immutable;
 * then the CREATE rules.
 */
export function validateReservedIPUpdate(input: ReservedIPUpdateInput): AdmissionVerdict {
  const { reservedIP, oldReservedIP } = input;
  if (reservedIP.metadata?.deletionTimestamp != null) {
    if (
      oldReservedIP.metadata?.deletionTimestamp == null ||
      onlyDropsFinalizers(oldReservedIP, reservedIP)
    )
      return ALLOWED;
    return denyTerminating("cannot update a terminating ReservedIP");
  }
  const errors = [
    ...checkIpVersionUnchanged(oldReservedIP.spec.ipVersion, reservedIP.spec.ipVersion),
    ...checkSpec(input),
  ];
  return verdictOf("SpiderReservedIP", reservedIP.metadata?.name ?? "", errors);
}

/** Same spec, and the finalizers are a strict subset of the old ones. */
function onlyDropsFinalizers(before: ReservedIPObject, after: ReservedIPObject): boolean {
  const was = before.metadata?.finalizers ?? [];
  const now = after.metadata?.finalizers ?? [];
  const sameSpec =
    before.spec.ipVersion === after.spec.ipVersion &&
    (before.spec.ips ?? []).length === (after.spec.ips ?? []).length &&
    (before.spec.ips ?? []).every((ip, i) => after.spec.ips?.[i] === ip);
  return sameSpec && now.length < was.length && now.every(f => was.includes(f));
}

/** DELETE is always allowed: nothing depends on a reserved IP. */
export function validateReservedIPDelete(): AdmissionVerdict {
  return ALLOWED;
}

/**
 * `spec.ips[i]: Invalid value: "<r>": invalid IP range format in IPv4 '<r>'`
 * (`invalid_range_format`) for each entry that is not a range of the family: bad address, other
 * family, whitespace, reversed, more than one `-` or CIDR notation.
 */
function checkSpec({ reservedIP, config }: ReservedIPCreateInput): FieldError[] {
  const version = checkIpVersion(reservedIP.spec.ipVersion, config, MISSING_VERSION);
  const family = version.family;
  if (family === undefined) return [...version.errors];
  const entries: FieldError[] = [];
  (reservedIP.spec.ips ?? []).forEach((raw, i) => {
    const parsed = parseIpRange(raw, family);
    if (!parsed.ok)
      entries.push(
        invalidValue("invalid_range_format", `spec.ips[${i}]`, raw, parsed.error.message),
      );
  });
  return [...version.errors, ...entries];
}
