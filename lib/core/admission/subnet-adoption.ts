/**
 * What Spiderpool's subnet reconciler does to a pool of its CIDR that no subnet controls: adopt it
 * (controller reference, owner label) and let it inherit the subnet's gateway and routes where it
 * has none (docs/reference/auto-pools.md#subnet-status). It is the same step as the pool
 * defaulting's, made later: for a pool created before its subnet, and for one whose subnet the
 * defaulting's cache had not seen yet (docs/adr/0010-admission-cache.md).
 */
import type { OwnerReference, IPPoolSpecInput } from "../../schemas/index.js";
import type { IPPoolObject, SubnetObject } from "./admission-objects.js";
import { controllerOf, isControlledBy } from "../compat/controller-reference.js";
import { defaultIPPool } from "./ippool-defaulting.js";
import { LABEL_OWNER_SPIDER_SUBNET } from "../base/well-known-names.js";
import { describeStored } from "../net/stored-objects.js";
import { cidrsEqual } from "../net/cidr.js";

/** The fields a merge patch writes to adopt the pool; only those that change. */
export interface AdoptionPatch {
  metadata: {
    ownerReferences: OwnerReference[];
    labels: Record<string, string>;
  };
  spec?: Pick<IPPoolSpecInput, "gateway" | "routes">;
}

const SUBNETS_ON = { enableIPv4: true, enableIPv6: true, enableSpiderSubnet: true };

/**
 * The patch by which `subnet` adopts `pool`, or undefined when it does not: the pool is
 * terminating, already has a controller (this subnet's or anyone's: controller-runtime refuses to
 * take a controlled object), or is not of the subnet's CIDR.
 */
export function adoptionPatch(pool: IPPoolObject, subnet: SubnetObject): AdoptionPatch | undefined {
  if (pool.metadata?.deletionTimestamp != null) return undefined;
  if (controllerOf(pool.metadata) !== undefined) return undefined;
  const name = subnet.metadata?.name;
  const uid = subnet.metadata?.uid;
  if (!name || !uid) return undefined;
  // Most pools are of another CIDR: answered before the defaulting's work on the ranges.
  const own = describeStored(pool)?.cidr;
  const its = describeStored(subnet)?.cidr;
  if (own && its && !cidrsEqual(own, its)) return undefined;
  const { object } = defaultIPPool({ pool, subnets: [subnet], config: SUBNETS_ON });
  const metadata = object.metadata;
  if (metadata?.labels?.[LABEL_OWNER_SPIDER_SUBNET] !== name || !isControlledBy(metadata, uid))
    return undefined;
  const patch: AdoptionPatch = {
    metadata: {
      ownerReferences: metadata.ownerReferences ?? [],
      labels: { [LABEL_OWNER_SPIDER_SUBNET]: name },
    },
  };
  const spec: AdoptionPatch["spec"] = {};
  if (object.spec.gateway !== pool.spec.gateway) spec.gateway = object.spec.gateway;
  if (object.spec.routes !== pool.spec.routes) spec.routes = object.spec.routes;
  if (Object.keys(spec).length > 0) patch.spec = spec;
  return patch;
}
