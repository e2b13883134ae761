/**
 * The defaulting (mutating) webhook of SpiderIPPool (docs/reference/admission.md#spiderippool), as a pure function: the caller
 * supplies the SpiderSubnets that might adopt the pool.
 */
import type { ObjectMeta, IPPoolSpecInput } from "../../schemas/index.js";
import type { IpFamily } from "../net/address.js";
import type { DefaultingConfig, IPPoolObject, SubnetObject } from "./admission-objects.js";
import { cidrLabelValue, cidrsEqual, parseCidrLenient, type Cidr } from "../net/cidr.js";
import {
  controllerOf,
  isControlledBy,
  withControllerReference,
} from "../compat/controller-reference.js";
import { mergeWhenMany, withFinalizer, withLabel, type Defaulted } from "./defaulting-steps.js";
import { familyOfCidr } from "../net/family-inference.js";
import {
  LABEL_IPPOOL_CIDR,
  LABEL_OWNER_SPIDER_SUBNET,
  LABEL_SUBNET_CIDR,
  SPIDERPOOL_API_VERSION,
} from "../base/well-known-names.js";
import { describeStored } from "../net/stored-objects.js";
import { inheritSubnetProperties } from "../auto-pool/subnet-adoption.js";

/** Inputs of the pool defaulting. */
export interface IPPoolDefaultingInput<T extends IPPoolObject> {
  readonly pool: T;
  /** Candidate adopters: the subnets labelled with the pool's CIDR, or simply all subnets. */
  readonly subnets: readonly SubnetObject[];
  readonly config: DefaultingConfig;
}

/**
 * Spiderpool's steps, in order; nothing at all for a terminating pool:
 * 1. add the `spiderpool.spidernet.io` finalizer;
 * 2. infer a missing `spec.ipVersion` from `spec.subnet` (stop when it does not parse);
 * 3. set label `ipam.spidernet.io/ippool-cidr` to the CIDR's label value;
 * 4. with the subnet feature, unless the pool is already controlled by the subnet its
 *    `ipam.spidernet.io/owner-spider-subnet` label names: adopt it by the first subnet of the
 *    same CIDR (controller owner reference, that label), and copy the subnet's `gateway` when
 *    the pool has none and its `routes` when the pool's are absent (an explicit `[]` is kept);
 * 5. merge `spec.ips` and `spec.excludeIPs` when they have more than one element.
 * Returns a new object; `pool` is not modified.
 */
export function defaultIPPool<T extends IPPoolObject>(
  input: IPPoolDefaultingInput<T>,
): Defaulted<T> {
  const { pool, subnets, config } = input;
  if (pool.metadata?.deletionTimestamp != null) return { object: pool };
  let metadata = withFinalizer(pool.metadata);
  let spec: IPPoolSpecInput = pool.spec;
  const result = (stopped?: string): Defaulted<T> => {
    const object = { ...pool, metadata, spec };
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
  const label = cidrLabelValue(spec.subnet);
  metadata = withLabel(metadata, LABEL_IPPOOL_CIDR, label);

  if (config.enableSpiderSubnet && !isAdopted(metadata)) {
    const subnet = subnets.find(candidate =>
      sameNetwork(candidate, label, version, parsed.value.cidr),
    );
    if (subnet !== undefined) {
      const name = subnet.metadata?.name ?? "";
      const uid = subnet.metadata?.uid ?? "";
      if (!isControlledBy(metadata, uid)) {
        const owned = withControllerReference(metadata, {
          apiVersion: SPIDERPOOL_API_VERSION,
          kind: "SpiderSubnet",
          name,
          uid,
        });
        if (owned === undefined) {
          const other = controllerOf(metadata);
          return result(
            `failed to set owner reference: already owned by ${other?.kind} ${other?.name}`,
          );
        }
        metadata = owned;
      }
      metadata = withLabel(metadata, LABEL_OWNER_SPIDER_SUBNET, name);
      spec = inheritFrom(subnet, spec);
    }
  }

  const ips = mergeWhenMany(spec.ips, version, "spec.ips");
  if (!ips.ok) return result(ips.stopped);
  spec = withList(spec, "ips", ips.list);
  const excludeIPs = mergeWhenMany(spec.excludeIPs, version, "spec.excludeIPs");
  if (!excludeIPs.ok) return result(excludeIPs.stopped);
  spec = withList(spec, "excludeIPs", excludeIPs.list);
  return result();
}

/** Already controlled by the subnet named in its owner label: adoption and inheritance are skipped. */
function isAdopted(metadata: ObjectMeta): boolean {
  const owner = controllerOf(metadata);
  const named = metadata.labels?.[LABEL_OWNER_SPIDER_SUBNET];
  return owner !== undefined && named !== undefined && named === owner.name;
}

/** The subnet carries the pool's CIDR label (Spiderpool's lookup) or has the same CIDR. */
function sameNetwork(subnet: SubnetObject, label: string, family: IpFamily, cidr: Cidr): boolean {
  if (subnet.metadata?.labels?.[LABEL_SUBNET_CIDR] === label) return true;
  const stored = describeStored(subnet);
  return stored?.family === family && stored.cidr !== undefined && cidrsEqual(stored.cidr, cidr);
}

/** Spiderpool's `InheritSubnetProperties`, shared with the subnet's adoption of older pools. */
function inheritFrom(subnet: SubnetObject, spec: IPPoolSpecInput): IPPoolSpecInput {
  const inherited = inheritSubnetProperties(subnet.spec, spec);
  return Object.keys(inherited).length === 0 ? spec : { ...spec, ...inherited };
}

function withList(
  spec: IPPoolSpecInput,
  key: "ips" | "excludeIPs",
  list: string[] | undefined,
): IPPoolSpecInput {
  return list === spec[key] ? spec : { ...spec, [key]: list };
}
