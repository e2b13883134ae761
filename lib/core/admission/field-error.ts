/**
 * Field errors of the admission rules, as plain values keyed by a literal `code`, and their
 * rendering in the words of apimachinery's `field.Error` / `field.ErrorList.ToAggregate()` /
 * `errors.NewInvalid`, which is what Spiderpool users see and what scripts match on.
 *
 * Detection (the rule files) and rendering (this file) are kept apart: a rule builds a
 * {@link FieldError}; only the front end turns a list of them into text.
 */
import { goQuote } from "../compat/go-quote.js";
import { SPIDERPOOL_GROUP } from "../base/well-known-names.js";

/** The reason words apimachinery prints after the path; one per `field.ErrorType` we use. */
export type FieldErrorReason =
  | "Invalid value"
  | "Forbidden"
  | "Unsupported value"
  | "Required value"
  | "Internal error";

/** A value that can be printed in a message: what JSON can hold. */
export type FieldValue =
  | string
  | number
  | boolean
  | null
  | readonly FieldValue[]
  | { readonly [key: string]: FieldValue | undefined };

/**
 * Every rule of the SpiderIPPool / SpiderSubnet / SpiderReservedIP webhooks, one code each
 * (docs/reference/admission.md; the product rules marked "ours" are ours alone).
 */
export type FieldErrorCode =
  // the structural (zod schema) layer, before any rule
  | "schema_violation"
  // spec.ipVersion
  | "ip_version_missing"
  | "ip_version_unsupported"
  | "ip_version_disabled"
  | "ip_version_changed"
  // spec.subnet
  | "invalid_cidr"
  | "unformatted_cidr"
  | "subnet_changed"
  | "cidr_overlaps_pool"
  | "cidr_overlaps_subnet"
  | "subnet_cannot_control_pool"
  // spec.ips / spec.excludeIPs entries
  | "invalid_range"
  | "invalid_address"
  | "invalid_range_format"
  | "outside_subnet"
  | "range_overlap"
  | "range_reversed" // ours: Spiderpool silently accepts reversed ranges in pools
  | "range_whitespace" // ours: a dedicated text instead of a generic parse failure
  | "pool_ranges_overlap"
  // spec.gateway and spec.routes
  | "invalid_gateway"
  | "gateway_outside_subnet"
  | "gateway_in_ips"
  | "default_route"
  | "duplicate_route"
  | "invalid_route_dst"
  | "invalid_route_gateway"
  | "route_gateway_outside_subnet"
  // spec.podAffinity
  | "empty_pod_affinity"
  | "auto_pool_extra_match_labels"
  | "auto_pool_match_expressions"
  | "invalid_label_key"
  | "invalid_label_value"
  | "selector_values_required"
  | "selector_values_forbidden"
  | "invalid_selector_operator"
  // addresses in use and the controlling SpiderSubnet
  | "ip_in_use"
  | "ranges_in_use"
  | "outside_owner_subnet"
  | "auto_pool_ips_mismatch"
  | "owner_subnet_missing"
  | "unreadable_ranges"
  // SpiderMultusConfig (docs/usage/multus-config.md#refused-at-admission)
  | "cni_block_missing"
  | "cni_block_foreign"
  | "invalid_vlan_id"
  | "invalid_mtu"
  | "match_master_subnet_unsupported"
  | "master_empty"
  | "bond_missing"
  | "bond_name_empty"
  | "invalid_vlan_mode"
  | "tx_rate_reversed"
  | "resource_name_missing"
  | "resource_inject_unsupported"
  | "rdma_resource_missing"
  | "inject_pools_missing"
  | "invalid_trunk"
  | "invalid_custom_cni"
  | "invalid_chain_cni"
  | "invalid_nad_name"
  | "nad_managed_elsewhere"
  | "unsupported_cni_version"
  | "nad_name_changed";

/**
 * One problem with one field. `value` is the offending input when there is one; apimachinery
 * prints it only for "Invalid value" and "Unsupported value", but it is kept for the others too
 * so that structured consumers can name it.
 */
export interface FieldError {
  readonly code: FieldErrorCode;
  /** Kubernetes field path: `spec.ips[2]`, `spec.routes[0].gw`. */
  readonly path: string;
  readonly reason: FieldErrorReason;
  readonly value?: FieldValue;
  readonly detail: string;
}

/** `field.Invalid(path, value, detail)`. */
export function invalidValue(
  code: FieldErrorCode,
  path: string,
  value: FieldValue,
  detail: string,
): FieldError {
  return { code, path, reason: "Invalid value", value, detail };
}

/** `field.Forbidden(path, detail)`; `value` is carried for consumers but never printed. */
export function forbidden(
  code: FieldErrorCode,
  path: string,
  detail: string,
  value?: FieldValue,
): FieldError {
  return value === undefined
    ? { code, path, reason: "Forbidden", detail }
    : { code, path, reason: "Forbidden", value, detail };
}

/** `field.NotSupported(path, value, supported)`: detail `supported values: "4", "6"`. */
export function unsupportedValue(
  code: FieldErrorCode,
  path: string,
  value: FieldValue,
  supported: readonly string[],
): FieldError {
  const detail =
    supported.length === 0 ? "" : `supported values: ${supported.map(goQuote).join(", ")}`;
  return { code, path, reason: "Unsupported value", value, detail };
}

/** `field.Required(path, detail)`. */
export function requiredValue(code: FieldErrorCode, path: string, detail: string): FieldError {
  return { code, path, reason: "Required value", detail };
}

/** `field.InternalError(path, err)`: stored data we cannot read, not the user's input. */
export function internalError(code: FieldErrorCode, path: string, detail: string): FieldError {
  return { code, path, reason: "Internal error", detail };
}

/**
 * `field.Error.Error()`: `<path>: <reason>[: <value>][: <detail>]`.
 *
 * Values print as the apimachinery Spiderpool is built with (v0.30) prints them: strings quoted
 * with Go's `%q`, numbers and booleans bare, a missing value (nil pointer) as `"null"`. Lists and
 * objects print as JSON, as newer apimachinery does; v0.30 would print Go syntax
 * (`[]string{"a"}`), which cannot be reproduced faithfully and helps no one.
 */
export function formatFieldError(error: FieldError): string {
  let body: string = error.reason;
  if (error.reason === "Invalid value" || error.reason === "Unsupported value") {
    body += `: ${formatValue(error.value)}`;
  }
  if (error.detail !== "") body += `: ${error.detail}`;
  return `${error.path}: ${body}`;
}

/**
 * `field.ErrorList.ToAggregate().Error()`: identical lines dropped, a single line bare, several
 * as `[a, b]`. Empty for an empty list.
 */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  const lines = [...new Set(errors.map(formatFieldError))];
  if (lines.length <= 1) return lines[0] ?? "";
  return `[${lines.join(", ")}]`;
}

/**
 * The message of `errors.NewInvalid(GroupKind{spiderpool.spidernet.io, kind}, name, errors)`:
 * `SpiderIPPool.spiderpool.spidernet.io "pool-a" is invalid: spec.subnet: …`.
 */
export function formatInvalidMessage(
  kind: string,
  name: string,
  errors: readonly FieldError[],
): string {
  const head = `${kind}.${SPIDERPOOL_GROUP} ${goQuote(name)} is invalid`;
  return errors.length === 0 ? head : `${head}: ${formatFieldErrors(errors)}`;
}

function formatValue(value: FieldValue | undefined): string {
  if (value === undefined || value === null) return goQuote("null");
  if (typeof value === "string") return goQuote(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Go's `%v` of a `[]string`, as Spiderpool prints range lists: `[a b c]`. */
export function formatGoList(items: readonly string[]): string {
  return `[${items.join(" ")}]`;
}
