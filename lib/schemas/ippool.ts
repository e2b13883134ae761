/**
 * SpiderIPPool (cluster-scoped, short name `sp`): a set of addresses inside one subnet that Pods
 * may be given, with rules saying which Pods, namespaces, nodes and Multus networks may use it.
 * Field meanings: docs/reference/crds.md#spiderippool.
 */
import { z } from "zod";
import { SPIDERPOOL_CATEGORY } from "./api-group.js";
import type { CrdNames } from "./crd.js";
import { jsonString } from "./json-string.js";
import {
  Int64CountSchema,
  IpRangeListSchema,
  IpVersionSchema,
  LabelSelectorSchema,
  NameListSchema,
  RouteListSchema,
  objectRootShape,
} from "./shared-fields.js";
import { SPIDERPOOL_GROUP, SPIDERPOOL_VERSION } from "../core/base/well-known-names.js";

/**
 * `spec` of a SpiderIPPool. `default` and `disable` carry the CRD default `false`, so they are
 * optional on input (`IPPoolSpecInput`) and always present after parsing (`IPPoolSpec`), as they
 * are on objects read from the API server.
 */
export const IPPoolSpecSchema = z
  .strictObject({
    ipVersion: IpVersionSchema.optional(),
    subnet: z.string().meta({
      description: "Network of the pool in canonical CIDR form, e.g. 10.6.0.0/16. Immutable.",
    }),
    ips: IpRangeListSchema.meta({
      description: "Allocatable addresses: single IPs or inclusive ranges A-B inside subnet.",
    }).optional(),
    excludeIPs: IpRangeListSchema.meta({
      description: "Addresses (same syntax as ips) that are never handed out.",
    }).optional(),
    gateway: z
      .string()
      .meta({
        description: "Default-route next hop; inherited from the owning SpiderSubnet when unset.",
      })
      .optional(),
    routes: RouteListSchema.meta({
      description: "Extra routes for the NIC; inherited from the owning SpiderSubnet when unset.",
    }).optional(),
    podAffinity: LabelSelectorSchema.optional(),
    namespaceAffinity: LabelSelectorSchema.optional(),
    namespaceName: NameListSchema.meta({
      description: "Namespaces allowed by name; when non-empty, namespaceAffinity is ignored.",
    }).optional(),
    nodeAffinity: LabelSelectorSchema.optional(),
    nodeName: NameListSchema.meta({
      description: "Nodes allowed by name; when non-empty, nodeAffinity is ignored.",
    }).optional(),
    multusName: NameListSchema.meta({
      description: "NetworkAttachmentDefinitions (ns/name or name) whose NICs may use the pool.",
    }).optional(),
    default: z
      .boolean()
      .default(false)
      .meta({ description: "Member of the cluster-wide default pool set." }),
    disable: z.boolean().default(false).meta({
      description: "When true, no new addresses are allocated from the pool; release still works.",
    }),
  })
  .meta({ description: "Desired state of a SpiderIPPool." });
/** Parsed `spec` of a SpiderIPPool (defaults applied). */
export type IPPoolSpec = z.infer<typeof IPPoolSpecSchema>;
/** `spec` as written by a user, before defaults. */
export type IPPoolSpecInput = z.input<typeof IPPoolSpecSchema>;

/** One record of `status.allocatedIPs`: which Pod holds the address. */
export const PoolIPAllocationSchema = z.object({
  pod: z.string().meta({ description: "<namespace>/<name> of the Pod (of the VMI for KubeVirt)." }),
  podUid: z.string(),
});
// z.object (not strict): records written by older Spiderpool versions carry extra keys
// (`interface`, ...) that are ignored, as Spiderpool itself ignores them.
/** `{pod: "ns/name", podUid}`. */
export type PoolIPAllocation = z.infer<typeof PoolIPAllocationSchema>;

/** The decoded `status.allocatedIPs`: records keyed by address without prefix length. */
export const PoolIPAllocationsSchema = z.record(z.string(), PoolIPAllocationSchema);
/** `{"<ip>": {pod, podUid}}`. */
export type PoolIPAllocations = z.infer<typeof PoolIPAllocationsSchema>;

/**
 * Codec for the `status.allocatedIPs` string: `AllocatedIPsJsonSchema.parse(text)` gives
 * `PoolIPAllocations`, `z.encode(AllocatedIPsJsonSchema, records)` gives the text to store.
 */
export const AllocatedIPsJsonSchema = jsonString(PoolIPAllocationsSchema);

/** `status` of a SpiderIPPool, written only through the status subresource. */
export const IPPoolStatusSchema = z
  .strictObject({
    // A JSON string rather than an object, to stay byte-compatible with Spiderpool v2beta1 data.
    allocatedIPs: z
      .string()
      .meta({
        description:
          'JSON object of allocation records keyed by IP: {"<ip>": {"pod": "<ns>/<name>", "podUid": "<uid>"}}. Absent when empty.',
      })
      .optional(),
    allocatedIPCount: Int64CountSchema.meta({
      description: "Number of records in allocatedIPs.",
    }).optional(),
    totalIPCount: Int64CountSchema.meta({
      description: "Size of ips minus excludeIPs.",
    }).optional(),
  })
  .meta({ description: "Observed state of a SpiderIPPool." });
/** Parsed `status` of a SpiderIPPool. */
export type IPPoolStatus = z.infer<typeof IPPoolStatusSchema>;

/** A whole SpiderIPPool object, as stored and as seen by admission webhooks. */
export const SpiderIPPoolSchema = z
  .strictObject({
    ...objectRootShape,
    spec: IPPoolSpecSchema,
    status: IPPoolStatusSchema.optional(),
  })
  .meta({
    description: "SpiderIPPool is a set of addresses inside one subnet that Pods may be given.",
  });
/** A parsed SpiderIPPool. */
export type SpiderIPPool = z.infer<typeof SpiderIPPoolSchema>;

/** CRD identity and `kubectl get` columns of SpiderIPPool, as in Spiderpool. */
export const SpiderIPPoolCrdNames: CrdNames = {
  group: SPIDERPOOL_GROUP,
  version: SPIDERPOOL_VERSION,
  kind: "SpiderIPPool",
  plural: "spiderippools",
  shortNames: ["sp"],
  categories: [SPIDERPOOL_CATEGORY],
  scope: "Cluster",
  statusSubresource: true,
  printerColumns: [
    // Spiderpool declares the column as string although the field is an integer; kept identical.
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
    { name: "DEFAULT", type: "boolean", jsonPath: ".spec.default", description: "default" },
    {
      name: "DISABLE",
      type: "boolean",
      jsonPath: ".spec.disable",
      description: "disable",
      priority: 10,
    },
    {
      name: "NodeName",
      type: "string",
      jsonPath: ".spec.nodeName",
      description: "nodeName",
      priority: 10,
    },
    {
      name: "MultusName",
      type: "string",
      jsonPath: ".spec.multusName",
      description: "multusName",
      priority: 10,
    },
    {
      name: "APP-NAMESPACE",
      type: "string",
      // kubectl JSONPath needs `.` and `-` escaped inside a bracketed key (same text as Spiderpool).
      jsonPath: ".spec.podAffinity.matchLabels['ipam\\.spidernet\\.io/app\\-namespace']",
      description: "AppNamespace",
      priority: 10,
    },
  ],
};
