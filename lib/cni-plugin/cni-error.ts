/**
 * CNI error objects: the only thing besides a result that the plugin ever prints on stdout.
 * Codes 1-99 are the CNI spec's well-known codes; 100+ are ours (the spec reserves them for
 * plugins). Every `CniError` produced in `cni/` uses one of the names below, so the table in
 * `cni/README.md` is the complete list.
 */

/** Well-known CNI codes (CNI spec, "Error" section) and the plugin-specific ones we use. */
export const CNI_ERROR_CODES = {
  /** `cniVersion` not supported, or the command is not allowed at that version. */
  incompatible_version: 1,
  /** A required `CNI_*` variable or a `CNI_ARGS` pair is missing or malformed. */
  invalid_environment: 4,
  /** stdin is empty, oversized or not JSON. */
  decoding_failure: 6,
  /** The netconf decodes but a field is wrong (named in `msg`). */
  invalid_network_config: 7,
  /** The agent is unreachable, timed out or said "not now": the runtime should retry. */
  try_again_later: 11,
  /** STATUS: the agent cannot allocate right now. */
  plugin_not_available: 50,
  /** ADD: the agent refused the allocation for a reason retrying will not fix. */
  allocation_failed: 100,
  /** The agent answered with something that is not the agreed schema. */
  invalid_agent_response: 101,
  /** ADD: the agent allocated, but nothing for `CNI_IFNAME`. */
  no_allocation_for_interface: 102,
  /** CHECK: the agent does not hold the addresses from prevResult (or refused the check). */
  check_failed: 103,
  /** GC: the agent refused the garbage collection request. */
  gc_failed: 104,
  /** A bug in the plugin (unexpected exception); the stack is in the log. */
  internal: 110,
} as const;

/** Our names for the codes, used in code and tests instead of bare numbers. */
export type CniErrorName = keyof typeof CNI_ERROR_CODES;

/** A CNI error before it is printed; `cniVersion` is added by the printer. */
export interface CniError {
  readonly name: CniErrorName;
  readonly code: number;
  readonly msg: string;
  readonly details?: string;
}

/** Either a value or a CniError: parsing and agent calls return this instead of throwing. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: CniError };

/** Builds a CniError from its name; `details` is dropped when empty. */
export function cniError(name: CniErrorName, msg: string, details?: string): CniError {
  return details
    ? { name, code: CNI_ERROR_CODES[name], msg, details }
    : { name, code: CNI_ERROR_CODES[name], msg };
}

/** Shorthand for a failed Outcome. */
export function fail(
  name: CniErrorName,
  msg: string,
  details?: string,
): { ok: false; error: CniError } {
  return { ok: false, error: cniError(name, msg, details) };
}

/** The JSON text of a CNI error object, as the spec shapes it (`details` only when known). */
export function formatCniError(error: CniError, cniVersion: string): string {
  const body: Record<string, unknown> = { cniVersion, code: error.code, msg: error.msg };
  if (error.details) body.details = error.details;
  return JSON.stringify(body);
}

/**
 * Quotes a value for an error message the way Go's `%q` would, so texts read like Spiderpool's;
 * long values are cut so a garbage env var cannot flood the kubelet's event.
 */
export function quote(value: unknown, max = 120): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
