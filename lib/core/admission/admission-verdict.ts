/**
 * The answer of a validating rule set: allowed, or denied with the HTTP status and message that
 * Spiderpool's webhook would produce through apimachinery's typed errors. A Pepr binding passes
 * `message` and `status` straight to `req.Deny(message, status)`.
 */
import { formatInvalidMessage, type FieldError } from "./field-error.js";
import { goQuote } from "../compat/go-quote.js";
import { SPIDERPOOL_GROUP } from "../base/well-known-names.js";

/** The kinds whose admission rules live in lib/core. */
export type SpiderKind =
  | "SpiderIPPool"
  | "SpiderSubnet"
  | "SpiderReservedIP"
  | "SpiderMultusConfig";

/** Admission passes. */
export interface AdmissionAllowed {
  readonly allowed: true;
}

/** `errors.NewInvalid`: one or more field errors (HTTP 422). */
export interface InvalidDenial {
  readonly allowed: false;
  readonly reason: "Invalid";
  readonly status: 422;
  readonly errors: readonly FieldError[];
  readonly message: string;
}

/**
 * `errors.NewForbidden` (HTTP 403), for the two denials that are not about a field:
 * `terminating` (an update of an object being deleted) and `allocated_ips` (a delete while
 * addresses are handed out).
 */
export interface ForbiddenDenial {
  readonly allowed: false;
  readonly reason: "Forbidden";
  readonly status: 403;
  readonly code: "terminating" | "allocated_ips";
  readonly message: string;
}

/** `errors.NewAlreadyExists` (HTTP 409): the name is taken by an object of the same family. */
export interface AlreadyExistsDenial {
  readonly allowed: false;
  readonly reason: "AlreadyExists";
  readonly status: 409;
  readonly code: "already_exists";
  readonly message: string;
}

/** Any refusal; `status` is the HTTP code for `req.Deny(message, status)`. */
export type AdmissionDenial = InvalidDenial | ForbiddenDenial | AlreadyExistsDenial;

/** What a validating rule set answers. */
export type AdmissionVerdict = AdmissionAllowed | AdmissionDenial;

/** The one "allowed" value. */
export const ALLOWED: AdmissionAllowed = Object.freeze({ allowed: true });

/** Allowed when `errors` is empty, otherwise the 422 denial listing all of them. */
export function verdictOf(
  kind: SpiderKind,
  name: string,
  errors: readonly FieldError[],
): AdmissionVerdict {
  if (errors.length === 0) return ALLOWED;
  return {
    allowed: false,
    reason: "Invalid",
    status: 422,
    errors,
    message: formatInvalidMessage(kind, name, errors),
  };
}

/**
 * 403 for updating an object that is being deleted. Spiderpool builds it with an empty
 * GroupResource, so the message is just `forbidden: <detail>`.
 */
export function denyTerminating(detail: string): ForbiddenDenial {
  return {
    allowed: false,
    reason: "Forbidden",
    status: 403,
    code: "terminating",
    message: `forbidden: ${detail}`,
  };
}

/**
 * 403 for deleting an object with allocations:
 * `spiderippools.spiderpool.spidernet.io "pool-a" is forbidden: <detail>`.
 * @param plural the resource name, `spiderippools` or `spidersubnets`
 */
export function denyDeletion(plural: string, name: string, detail: string): ForbiddenDenial {
  const message = `${plural}.${SPIDERPOOL_GROUP} ${goQuote(name)} is forbidden: ${detail}`;
  return { allowed: false, reason: "Forbidden", status: 403, code: "allocated_ips", message };
}

/**
 * 409 for a name already taken. Spiderpool passes the Kind where the resource belongs
 * (`Resource(KindSpiderIPPool)`), so the message reads
 * `SpiderIPPool.spiderpool.spidernet.io "pool-a" already exists`; kept as is.
 */
export function denyAlreadyExists(kind: SpiderKind, name: string): AlreadyExistsDenial {
  const message = `${kind}.${SPIDERPOOL_GROUP} ${goQuote(name)} already exists`;
  return { allowed: false, reason: "AlreadyExists", status: 409, code: "already_exists", message };
}
