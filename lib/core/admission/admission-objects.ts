/**
 * The plain-data inputs of the admission rules: the objects (typed from lib/schemas, loose
 * enough for objects that did not go through zod's defaults), the feature switches of the
 * Spiderpool ConfigMap, and the addresses in use that the caller gathers from allocation records.
 */
import type {
  IPPoolSpecInput,
  IPPoolStatus,
  ObjectMeta,
  PoolIPPreAllocations,
  ReservedIPSpec,
  SubnetSpec,
  SubnetStatus,
} from "../../schemas/index.js";

/** A SpiderIPPool as admission sees it (`SpiderIPPool` from lib/schemas fits). */
export interface IPPoolObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
  readonly spec: IPPoolSpecInput;
  readonly status?: IPPoolStatus;
}

/** A SpiderSubnet as admission sees it (`SpiderSubnet` from lib/schemas fits). */
export interface SubnetObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
  readonly spec: SubnetSpec;
  readonly status?: SubnetStatus;
}

/** A SpiderReservedIP as admission sees it (`SpiderReservedIP` from lib/schemas fits). */
export interface ReservedIPObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
  readonly spec: ReservedIPSpec;
}

/** Feature switches of the Spiderpool ConfigMap that admission depends on. */
export interface AdmissionConfig {
  readonly enableIPv4: boolean;
  readonly enableIPv6: boolean;
  /** Pools are adopted by, and checked against, the SpiderSubnet of the same CIDR. */
  readonly enableSpiderSubnet: boolean;
  /** DELETE of a pool or subnet with allocated addresses is refused (chart default false). */
  readonly enableValidatingResourcesDeletedWebhook: boolean;
}

/** The switches the defaulting (mutating) rules read. */
export type DefaultingConfig = Pick<
  AdmissionConfig,
  "enableIPv4" | "enableIPv6" | "enableSpiderSubnet"
>;

/** One address of a pool handed to a Pod: `pod` is `<namespace>/<name>`. */
export interface InUseAddress {
  readonly address: string;
  readonly pod: string;
}

/** The SpiderSubnet that controls a pool, with its decoded `status.controlledIPPools`. */
export interface OwnerSubnet {
  readonly subnet: SubnetObject;
  /** `status.controlledIPPools` decoded (lib/schemas `ControlledIPPoolsJsonSchema`); `{}` when absent. */
  readonly controlledIPPools: PoolIPPreAllocations;
}
