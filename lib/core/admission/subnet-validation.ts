/**
 * The validating webhook of SpiderSubnet (docs/reference/admission.md#spidersubnet) as pure functions over plain data: the
 * caller supplies the other subnets, the pools and the decoded `status.controlledIPPools`.
 * Every problem is reported; rules that need the usable set run only when all entries are valid.
 */
import type { IpFamily } from "../net/address.js";
import type { AdmissionConfig, IPPoolObject, SubnetObject } from "./admission-objects.js";
import type { PoolIPPreAllocations } from "../../schemas/index.js";
import {
  ALLOWED,
  denyAlreadyExists,
  denyDeletion,
  denyTerminating,
  verdictOf,
  type AdmissionVerdict,
} from "./admission-verdict.js";
import { parseCidr, parseCidrLenient, type Cidr } from "../net/cidr.js";
import { forbidden, invalidValue, type FieldError } from "./field-error.js";
import { checkGateway, checkRoutes } from "./gateway-route-rules.js";
import { checkSubnetInUse } from "./in-use-rules.js";
import { IntervalSet } from "../net/interval-set.js";
import { checkIpVersion, checkIpVersionUnchanged } from "./ip-version-rules.js";
import { checkSubnetEntries } from "./range-entry-rules.js";
import { SPIDERPOOL_FINALIZER } from "../base/well-known-names.js";
import {
  checkSubnetAgainstPools,
  checkSubnetCidrAgainstSubnets,
  type SubnetIdentity,
} from "./subnet-peer-rules.js";

/** Inputs of a CREATE: the other subnets and all pools (all families). */
export interface SubnetCreateInput {
  readonly subnet: SubnetObject;
  readonly peerSubnets: readonly SubnetObject[];
  readonly pools: readonly IPPoolObject[];
  readonly config: AdmissionConfig;
}

/** Inputs of an UPDATE: the stored object and its decoded `status.controlledIPPools`. */
export interface SubnetUpdateInput {
  readonly oldSubnet: SubnetObject;
  readonly subnet: SubnetObject;
  readonly controlledIPPools: PoolIPPreAllocations;
  readonly config: AdmissionConfig;
}

/** Inputs of a DELETE. */
export interface SubnetDeleteInput {
  readonly subnet: SubnetObject;
  readonly config: AdmissionConfig;
}

const MISSING_VERSION = "is not generated correctly, 'spec.subnet' may be invalid";

/**
 * CREATE: ipVersion, canonical CIDR, overlap with subnets and pools, then the spec rules. A name
 * already used by a same-family subnet is a 409 once ipVersion and CIDR are valid.
 */
export function validateSubnetCreate(input: SubnetCreateInput): AdmissionVerdict {
  const { subnet, config } = input;
  const name = subnet.metadata?.name ?? "";
  const errors: FieldError[] = [];
  const version = checkIpVersion(subnet.spec.ipVersion, config, MISSING_VERSION);
  errors.push(...version.errors);
  const family = version.family;
  let cidr: Cidr | undefined;
  if (family !== undefined) {
    const parsed = parseCidr(subnet.spec.subnet, family);
    if (parsed.ok) cidr = parsed.value;
    else
      errors.push(
        invalidValue(parsed.error.code, "spec.subnet", subnet.spec.subnet, parsed.error.message),
      );
  }
  if (family === undefined || cidr === undefined) {
    if (family !== undefined)
      errors.push(...checkRoutes(subnet.spec.routes, family, undefined, subnet.spec.subnet));
    return verdictOf("SpiderSubnet", name, errors);
  }
  const identity: SubnetIdentity = {
    name,
    family,
    cidr,
    subnetText: subnet.spec.subnet,
    ips: subnet.spec.ips ?? [],
  };
  const subnets = checkSubnetCidrAgainstSubnets(identity, input.peerSubnets);
  if (subnets.nameTaken && errors.length === 0) return denyAlreadyExists("SpiderSubnet", name);
  const spec = checkSpec(subnet, family, cidr);
  errors.push(
    ...subnets.errors,
    ...checkSubnetAgainstPools(identity, spec.usable, input.pools),
    ...spec.errors,
  );
  return verdictOf("SpiderSubnet", name, errors);
}

/**
 * UPDATE: a terminating subnet may only lose its finalizer (403 `cannot update a terminaing
 * Subnet`, Spiderpool's typo kept); ipVersion and subnet are immutable; the spec rules; every
 * range recorded in `controlledIPPools` must stay usable. Gateway and routes may change and do
 * not propagate to existing pools.
 */
export function validateSubnetUpdate(input: SubnetUpdateInput): AdmissionVerdict {
  const { subnet, oldSubnet, config } = input;
  const name = subnet.metadata?.name ?? "";
  if (subnet.metadata?.deletionTimestamp != null) {
    return subnet.metadata.finalizers?.includes(SPIDERPOOL_FINALIZER) === true
      ? denyTerminating("cannot update a terminaing Subnet")
      : ALLOWED;
  }
  const errors: FieldError[] = [
    ...checkIpVersionUnchanged(oldSubnet.spec.ipVersion, subnet.spec.ipVersion),
  ];
  if (subnet.spec.subnet !== oldSubnet.spec.subnet) {
    errors.push(
      forbidden("subnet_changed", "spec.subnet", "is not changeable", subnet.spec.subnet),
    );
  }
  const version = checkIpVersion(subnet.spec.ipVersion, config, MISSING_VERSION);
  errors.push(...version.errors);
  const family = version.family;
  if (family === undefined) return verdictOf("SpiderSubnet", name, errors);
  const parsed = parseCidrLenient(subnet.spec.subnet, family);
  if (!parsed.ok) {
    errors.push(
      invalidValue(parsed.error.code, "spec.subnet", subnet.spec.subnet, parsed.error.message),
    );
    errors.push(...checkRoutes(subnet.spec.routes, family, undefined, subnet.spec.subnet));
    return verdictOf("SpiderSubnet", name, errors);
  }
  const spec = checkSpec(subnet, family, parsed.value.cidr);
  errors.push(...spec.errors);
  if (spec.usable !== undefined)
    errors.push(...checkSubnetInUse(spec.usable, family, input.controlledIPPools));
  return verdictOf("SpiderSubnet", name, errors);
}

/**
 * DELETE: only with `enableValidatingResourcesDeletedWebhook`, a subnet that handed addresses to
 * pools is refused: 403 `spidersubnets.spiderpool.spidernet.io "<name>" is forbidden: cannot
 * delete an Subnet with allocated IPs(<n>)`.
 */
export function validateSubnetDelete(input: SubnetDeleteInput): AdmissionVerdict {
  if (!input.config.enableValidatingResourcesDeletedWebhook) return ALLOWED;
  const count = input.subnet.status?.allocatedIPCount ?? 0;
  if (count <= 0) return ALLOWED;
  const name = input.subnet.metadata?.name ?? "";
  return denyDeletion(
    "spidersubnets",
    name,
    `cannot delete an Subnet with allocated IPs(${count})`,
  );
}

/** Entries, gateway and routes; `usable` is set only when every entry is valid. */
function checkSpec(
  subnet: SubnetObject,
  family: IpFamily,
  cidr: Cidr,
): { errors: FieldError[]; usable?: IntervalSet } {
  const { spec } = subnet;
  const ips = checkSubnetEntries("spec.ips", spec.ips ?? [], cidr, spec.subnet);
  const excludeIPs = checkSubnetEntries(
    "spec.excludeIPs",
    spec.excludeIPs ?? [],
    cidr,
    spec.subnet,
  );
  const errors = [
    ...ips.errors,
    ...excludeIPs.errors,
    ...checkGateway(spec.gateway, cidr, spec.subnet, ips.entries, excludeIPs.entries),
    ...checkRoutes(spec.routes, family, cidr, spec.subnet),
  ];
  if (ips.errors.length > 0 || excludeIPs.errors.length > 0) return { errors };
  const usable = IntervalSet.of(family, ips.entries).subtract(
    IntervalSet.of(family, excludeIPs.entries),
  );
  return { errors, usable };
}
