/**
 * The defaulting (mutating) webhook of SpiderSubnet (docs/reference/admission.md#spidersubnet), as a pure function.
 */
import type { SubnetSpec } from "../../schemas/index.js";
import type { SubnetObject } from "./admission-objects.js";
import { cidrLabelValue, parseCidrLenient } from "../net/cidr.js";
import { mergeWhenMany, withFinalizer, withLabel, type Defaulted } from "./defaulting-steps.js";
import { familyOfCidr } from "../net/family-inference.js";
import { LABEL_SUBNET_CIDR } from "../base/well-known-names.js";

/**
 * Spiderpool's steps, in order; nothing at all for a terminating subnet: finalizer; infer a
 * missing `spec.ipVersion` from `spec.subnet` (stop when it does not parse); label
 * `ipam.spidernet.io/subnet-cidr`; merge `spec.ips` / `spec.excludeIPs` of more than one
 * element. Returns a new object; `subnet` is not modified.
 */
export function defaultSubnet<T extends SubnetObject>(subnet: T): Defaulted<T> {
  if (subnet.metadata?.deletionTimestamp != null) return { object: subnet };
  let metadata = withFinalizer(subnet.metadata);
  let spec: SubnetSpec = subnet.spec;
  const result = (stopped?: string): Defaulted<T> => {
    const object = { ...subnet, metadata, spec };
    return stopped === undefined ? { object } : { object, stopped };
  };

  const version: unknown = spec.ipVersion ?? familyOfCidr(spec.subnet);
  if (version === undefined) {
    return result(
      `failed to generate 'spec.ipVersion' from 'spec.subnet' ${spec.subnet}, nothing to mutate`,
    );
  }
  if (version !== 4 && version !== 6) return result(`invalid IP version '${String(version)}'`);
  if (spec.ipVersion == null) spec = { ...spec, ipVersion: version };
  const parsed = parseCidrLenient(spec.subnet, version);
  if (!parsed.ok) {
    return result(
      `failed to parse 'spec.subnet' ${spec.subnet} as a valid label value: ${parsed.error.message}`,
    );
  }
  metadata = withLabel(metadata, LABEL_SUBNET_CIDR, cidrLabelValue(spec.subnet));

  const ips = mergeWhenMany(spec.ips, version, "spec.ips");
  if (!ips.ok) return result(ips.stopped);
  if (ips.list !== spec.ips) spec = { ...spec, ips: ips.list };
  const excludeIPs = mergeWhenMany(spec.excludeIPs, version, "spec.excludeIPs");
  if (!excludeIPs.ok) return result(excludeIPs.stopped);
  if (excludeIPs.list !== spec.excludeIPs) spec = { ...spec, excludeIPs: excludeIPs.list };
  return result();
}
