/**
 * Turns zod issues into the "field: expected X, got Y" texts every plugin error uses.
 */
import { quote } from "./cni-error.js";

/** The fields of a zod issue we read (zod/mini types them per code; this is their union). */
export interface Issue {
  readonly code: string;
  readonly path: PropertyKey[];
  readonly input?: unknown;
  readonly expected?: string;
  readonly values?: unknown[];
  readonly maximum?: unknown;
  readonly minimum?: unknown;
  readonly inclusive?: boolean;
}

/**
 * `field.path: expected X, got <value>`. zod/mini ships no message locale (part of why it is
 * small), so texts are built here; the value is present when parsed with `reportInput: true`.
 */
export function describeIssue(issue: Issue): string {
  const field = formatPath(issue.path);
  // JSON has no undefined: an undefined input is an absent field.
  const got = issue.input === undefined ? "missing" : quote(issue.input);
  switch (issue.code) {
    case "invalid_type":
      return `${field}: expected ${issue.expected}, got ${got}`;
    case "invalid_value":
      return `${field}: expected ${(issue.values ?? []).map(v => quote(v)).join(" or ")}, got ${got}`;
    case "too_big":
      return `${field}: must be ${issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}, got ${got}`;
    case "too_small":
      return `${field}: must be ${issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}, got ${got}`;
    default:
      return `${field}: invalid value ${got}`;
  }
}

/** `ipam.default_ipv4_ippool[0]`-style path; `(root)` for the document itself. */
export function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}
