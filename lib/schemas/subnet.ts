/**
 * SpiderSubnet (cluster-scoped, short name `ss`): a network from which SpiderIPPools take their
 * addresses, either adopted manual pools or pools created automatically for an application.
 * Field meanings: docs/reference/crds.md#spidersubnet and docs/reference/auto-pools.md.
 */
import { z } from "zod";
import { SPIDERPOOL_CATEGORY } from "./api-group.js";
import type { CrdNames } from "./crd.js";
import { jsonString } from "./json-string.js";
import {
  Int64CountSchema,
  IpRangeListSchema,
  IpVersionSchema,
  RouteListSchema,
  objectRootShape,
} from "./shared-fields.js";
import { SPIDERPOOL_GROUP, SPIDERPOOL_VERSION } from "../core/base/well-known-names.js";

/** `spec` of a SpiderSubnet: the pool fields without affinities, `default` or `disable`. */
export const SubnetSpecSchema = z
  .strictObject({
    ipVersion: IpVersionSchema.optional(),
    subnet: z
      .string()
      .meta({ description: "The network in canonical CIDR form, e.g. 10.6.0.0/16. Immutable." }),
    ips: IpRangeListSchema.meta({
      description: "Addresses the subnet may hand to pools: single IPs or inclusive ranges A-B.",
    }).optional(),
    excludeIPs: IpRangeListSchema.meta({
      description: "Addresses (same syntax as ips) never handed to pools.",
    }).optional(),
    gateway: z
      .string()
      .meta({ description: "Gateway inherited by pools that do not set one." })
      .optional(),
    routes: RouteListSchema.meta({
      description: "Routes inherited by pools that do not set them.",
    }).optional(),
  })
  .meta({ description: "Desired state of a SpiderSubnet." });
/** Parsed `spec` of a SpiderSubnet. */
export type SubnetSpec = z.infer<typeof SubnetSpecSchema>;

/** One entry of `status.controlledIPPools`: the addresses a pool holds from this subnet. */
export const PoolIPPreAllocationSchema = z.object({
  ips: IpRangeListSchema,
  /**
   * Only for auto-created pools: `<group>_<version>_<Kind>_<ns>_<name>`
   * (core group: `<version>_<Kind>_<ns>_<name>`), e.g. `apps_v1_Deployment_default_web`.
   */
  application: z.string().optional(),
});
// z.object (not strict): unknown keys in stored JSON are ignored, as Spiderpool ignores them.
/** `{ips, application?}`. */
export type PoolIPPreAllocation = z.infer<typeof PoolIPPreAllocationSchema>;

/** The decoded `status.controlledIPPools`, keyed by pool name. */
export const PoolIPPreAllocationsSchema = z.record(z.string(), PoolIPPreAllocationSchema);
/** `{"<pool>": {ips, application?}}`. */
export type PoolIPPreAllocations = z.infer<typeof PoolIPPreAllocationsSchema>;

/**
 * Codec for the `status.controlledIPPools` string: `.parse(text)` gives `PoolIPPreAllocations`,
 * `z.encode(ControlledIPPoolsJsonSchema, value)` gives the text to store.
 */
export const ControlledIPPoolsJsonSchema = jsonString(PoolIPPreAllocationsSchema);

/** `status` of a SpiderSubnet, written only through the status subresource. */
export const SubnetStatusSchema = z
  .strictObject({
    // A JSON string rather than an object, to stay compatible with Spiderpool v2beta1 data.
    controlledIPPools: z
      .string()
      .meta({
        description:
          'JSON object keyed by pool name: {"<pool>": {"ips": [...], "application": "<appKey>"}}. Absent when empty.',
      })
      .optional(),
    totalIPCount: Int64CountSchema.meta({
      description: "Size of ips minus excludeIPs.",
    }).optional(),
    allocatedIPCount: Int64CountSchema.meta({
      description: "Addresses handed to pools: the sum of ips over controlledIPPools.",
    }).optional(),
  })
  .meta({ description: "Observed state of a SpiderSubnet." });
/** Parsed `status` of a SpiderSubnet. */
export type SubnetStatus = z.infer<typeof SubnetStatusSchema>;

/** A whole SpiderSubnet object. */
export const SpiderSubnetSchema = z
  .strictObject({
    ...objectRootShape,
    spec: SubnetSpecSchema,
    status: SubnetStatusSchema.optional(),
  })
  .meta({
    description: "SpiderSubnet is a network from which SpiderIPPools take their addresses.",
  });
/** A parsed SpiderSubnet. */
export type SpiderSubnet = z.infer<typeof SpiderSubnetSchema>;

/** CRD identity and `kubectl get` columns of SpiderSubnet, as in Spiderpool. */
export const SpiderSubnetCrdNames: CrdNames = {
  group: SPIDERPOOL_GROUP,
  version: SPIDERPOOL_VERSION,
  kind: "SpiderSubnet",
  plural: "spidersubnets",
  shortNames: ["ss"],
  categories: [SPIDERPOOL_CATEGORY],
  scope: "Cluster",
  statusSubresource: true,
  printerColumns: [
    { name: "VERSION", type: "string", jsonPath: ".spec.ipVersion", description: "ipVersion" },
    { name: "SUBNET", type: "string", jsonPath: ".spec.subnet", description: "subnet" },
    {
      name: "ALLOCATED-IP-COUNT",
      type: "integer",
      jsonPath: ".status.allocatedIPCount",
      description: "allocatedIPCount",
    },
    {
      name: "TOTAL-IP-COUNT",
      type: "integer",
      jsonPath: ".status.totalIPCount",
      description: "totalIPCount",
    },
  ],
};
