/**
 * The steps the three defaulting webhooks share, each returning new values (inputs are never
 * touched), and the shape of their answer.
 *
 * Spiderpool's mutation never rejects (docs/reference/admission.md#conventions): when a step fails it logs and stops, and the
 * half-defaulted object goes on to validation, which reports the problem to the user. Our
 * functions do the same and return why they stopped, for the caller to log.
 */
import type { ObjectMeta } from "../../schemas/index.js";
import type { IpFamily } from "../net/address.js";
import { mergeIpRanges } from "../net/merge-ranges.js";
import { SPIDERPOOL_FINALIZER } from "../base/well-known-names.js";

/** The defaulted object, and the reason defaulting stopped early, if it did. */
export interface Defaulted<T> {
  readonly object: T;
  /** Spiderpool's log text for the failed step, e.g. `failed to merge 'spec.ips': …`. */
  readonly stopped?: string;
}

/** `metadata` with the `spiderpool.spidernet.io` finalizer, added once. */
export function withFinalizer(metadata: ObjectMeta | undefined): ObjectMeta {
  const finalizers = metadata?.finalizers ?? [];
  if (finalizers.includes(SPIDERPOOL_FINALIZER)) return { ...metadata };
  return { ...metadata, finalizers: [...finalizers, SPIDERPOOL_FINALIZER] };
}

/** `metadata` with label `key` set to `value`. */
export function withLabel(metadata: ObjectMeta, key: string, value: string): ObjectMeta {
  return { ...metadata, labels: { ...metadata.labels, [key]: value } };
}

/** Outcome of {@link mergeWhenMany}: the list to keep, or why it could not be merged. */
export type MergeStep =
  | { readonly ok: true; readonly list: string[] | undefined }
  | { readonly ok: false; readonly stopped: string };

/**
 * Spiderpool merges a list only when it has more than one element; a single entry, even a
 * reversed or unparsable one, is left exactly as written. A list that does not parse stops the
 * defaulting (`failed to merge 'spec.ips': <reason>`), leaving validation to name the entry.
 */
export function mergeWhenMany(
  list: string[] | undefined,
  family: IpFamily,
  field: "spec.ips" | "spec.excludeIPs",
): MergeStep {
  if (list === undefined || list.length <= 1) return { ok: true, list };
  const merged = mergeIpRanges(list, family);
  if (!merged.ok)
    return { ok: false, stopped: `failed to merge '${field}': ${merged.error.message}` };
  return { ok: true, list: merged.value };
}
