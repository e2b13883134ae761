/**
 * Well-known names of the Spiderpool API that the admission rules read or write: finalizer,
 * labels, owner-reference identity. Spelled exactly as Spiderpool spells them (pkg/constant).
 *
 * lib/core may import only types from lib/schemas, so the group string is repeated here; it is
 * the same value as `SPIDERPOOL_GROUP` / `SPIDERPOOL_API_VERSION` in lib/schemas/api-group.ts.
 */

/** API group of every Spiderpool kind. */
export const SPIDERPOOL_GROUP = "spiderpool.spidernet.io";

/** `apiVersion` of Spiderpool objects, used in the owner reference a pool gets from its subnet. */
export const SPIDERPOOL_API_VERSION = `${SPIDERPOOL_GROUP}/v2beta1`;

/** Finalizer the webhook adds to pools and subnets (the group name, reused). */
export const SPIDERPOOL_FINALIZER = SPIDERPOOL_GROUP;

/** Label on a pool: the label value of its CIDR (`10-6-0-0-16`); how same-subnet pools find each other. */
export const LABEL_IPPOOL_CIDR = "ipam.spidernet.io/ippool-cidr";

/** Label on a subnet: the label value of its CIDR; how a pool finds the subnet that adopts it. */
export const LABEL_SUBNET_CIDR = "ipam.spidernet.io/subnet-cidr";

/** Label on a pool: name of the SpiderSubnet that controls it. */
export const LABEL_OWNER_SPIDER_SUBNET = "ipam.spidernet.io/owner-spider-subnet";

/** Label on a pool: present only on pools the subnet controller created for an application. */
export const LABEL_OWNER_APPLICATION_NAME = "ipam.spidernet.io/owner-application-name";

/** The only `podAffinity.matchLabels` keys an auto-created pool may carry. */
export const AUTO_POOL_POD_AFFINITY_KEYS: readonly string[] = [
  "ipam.spidernet.io/app-api-group",
  "ipam.spidernet.io/app-api-version",
  "ipam.spidernet.io/app-kind",
  "ipam.spidernet.io/app-namespace",
  "ipam.spidernet.io/app-name",
];
