/**
 * Rules on `spec.ipVersion`, shared by the three kinds: present, 4 or 6, family enabled,
 * unchanged by an update.
 */
import type { IpFamily } from "../net/address.js";
import type { AdmissionConfig } from "./admission-objects.js";
import {
  forbidden,
  invalidValue,
  unsupportedValue,
  type FieldError,
  type FieldValue,
} from "./field-error.js";

const PATH = "spec.ipVersion";

/** The family when it is usable for the remaining rules, and what is wrong with the field. */
export interface IpVersionCheck {
  /** Set for 4 and 6, even when that family is disabled (the other rules can still run). */
  readonly family?: IpFamily;
  readonly errors: readonly FieldError[];
}

/**
 * Checks `spec.ipVersion` after defaulting:
 * - missing: `Invalid value: "null": <missingDetail>` (`ip_version_missing`); the detail names
 *   what the family should have been inferred from (subnet or `ips[0]`);
 * - not 4 or 6: `Unsupported value: 5: supported values: "4", "6"` (`ip_version_unsupported`);
 * - family switched off: `Forbidden: IPv4 is disabled` (`ip_version_disabled`).
 * `value` is `unknown` because objects that skipped zod may carry anything.
 */
export function checkIpVersion(
  value: unknown,
  config: Pick<AdmissionConfig, "enableIPv4" | "enableIPv6">,
  missingDetail: string,
): IpVersionCheck {
  if (value == null)
    return { errors: [invalidValue("ip_version_missing", PATH, null, missingDetail)] };
  if (value !== 4 && value !== 6) {
    return {
      errors: [unsupportedValue("ip_version_unsupported", PATH, asFieldValue(value), ["4", "6"])],
    };
  }
  const enabled = value === 4 ? config.enableIPv4 : config.enableIPv6;
  return {
    family: value,
    errors: enabled ? [] : [forbidden("ip_version_disabled", PATH, `IPv${value} is disabled`)],
  };
}

/** `spec.ipVersion: Forbidden: is not changeable` when both versions are set and differ. */
export function checkIpVersionUnchanged(oldValue: unknown, newValue: unknown): FieldError[] {
  if (oldValue == null || newValue == null || oldValue === newValue) return [];
  return [forbidden("ip_version_changed", PATH, "is not changeable", asFieldValue(newValue))];
}

function asFieldValue(value: unknown): FieldValue {
  return typeof value === "number" || typeof value === "string" || typeof value === "boolean"
    ? value
    : JSON.stringify(value);
}
