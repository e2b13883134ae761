/**
 * The defaulting (mutating) webhook of SpiderReservedIP (docs/reference/admission.md#spiderreservedip), as a pure function. Reserved
 * IPs get no finalizer and no labels.
 */
import type { ReservedIPSpec } from "../../schemas/index.js";
import type { ReservedIPObject } from "./admission-objects.js";
import { mergeWhenMany, type Defaulted } from "./defaulting-steps.js";
import { familyOfRange } from "../net/family-inference.js";

/**
 * Nothing for a terminating object or an empty `spec.ips`; otherwise infer a missing
 * `spec.ipVersion` from `spec.ips[0]` (stop when that is not a valid range) and merge `spec.ips`
 * when it has more than one element. Returns a new object; `reservedIP` is not modified.
 */
export function defaultReservedIP<T extends ReservedIPObject>(reservedIP: T): Defaulted<T> {
  if (reservedIP.metadata?.deletionTimestamp != null) return { object: reservedIP };
  const first = reservedIP.spec.ips?.[0];
  if (first === undefined)
    return { object: reservedIP, stopped: "empty 'spec.ips', noting to mutate" };
  let spec: ReservedIPSpec = reservedIP.spec;
  const result = (stopped?: string): Defaulted<T> => {
    const object = { ...reservedIP, spec };
    return stopped === undefined ? { object } : { object, stopped };
  };

  const version: unknown = spec.ipVersion ?? familyOfRange(first);
  if (version === undefined)
    return result(
      `failed to generate 'spec.ipVersion' from 'spec.ips[0]' ${first}, nothing to mutate`,
    );
  if (version !== 4 && version !== 6) return result(`invalid IP version '${String(version)}'`);
  if (spec.ipVersion == null) spec = { ...spec, ipVersion: version };

  const ips = mergeWhenMany(spec.ips, version, "spec.ips");
  if (!ips.ok) return result(ips.stopped);
  if (ips.list !== spec.ips) spec = { ...spec, ips: ips.list };
  return result();
}
