/**
 * SpiderEndpoint (namespaced, short name `se`): the addresses one Pod (or KubeVirt VM) holds, one
 * object per Pod with the Pod's name. Only `status` is used, and it is written together with the
 * object (the CRD has no status subresource). Field meanings: docs/reference/crds.md#spiderendpoint.
 */
import { z } from "zod";
import { SPIDERPOOL_CATEGORY } from "./api-group.js";
import type { CrdNames } from "./crd.js";
import { RouteListSchema, objectRootShape } from "./shared-fields.js";
import { SPIDERPOOL_GROUP, SPIDERPOOL_VERSION } from "../core/base/well-known-names.js";

/**
 * What one NIC of the Pod was given. Addresses carry their prefix length (`172.31.199.193/20`);
 * a dual-stack NIC has both the ipv4 and the ipv6 fields.
 */
export const IPAllocationDetailSchema = z.strictObject({
  // No minimum length: unnamed multi-NIC allocation stores "" until the NIC is known.
  interface: z.string().meta({ description: "NIC name in the Pod, e.g. eth0 or net1." }),
  ipv4: z.string().meta({ description: "IPv4 address with prefix length." }).optional(),
  ipv6: z.string().meta({ description: "IPv6 address with prefix length." }).optional(),
  ipv4Pool: z.string().meta({ description: "SpiderIPPool the IPv4 address came from." }).optional(),
  ipv6Pool: z.string().meta({ description: "SpiderIPPool the IPv6 address came from." }).optional(),
  vlan: z
    .int()
    .min(0)
    .max(4094)
    .default(0)
    .meta({ description: "VLAN ID; non-zero only when an IaaS provider returns one." }),
  ipv4Gateway: z.string().optional(),
  ipv6Gateway: z.string().optional(),
  cleanGateway: z
    .boolean()
    .meta({
      description:
        "When true the gateway is not used as the default route of this NIC; set only when a gateway exists.",
    })
    .optional(),
  routes: RouteListSchema.meta({
    description: "Pool routes plus matching routes from Pod annotations.",
  }).optional(),
  mac: z
    .string()
    .meta({
      description:
        "MAC address provided by an external system (IaaS) during allocation, aa:bb:cc:dd:ee:ff.",
    })
    .optional(),
});
/** One NIC's allocation, defaults applied (`vlan` is always present). */
export type IPAllocationDetail = z.infer<typeof IPAllocationDetailSchema>;

/** `status.current`: the allocation held by the Pod that currently owns the endpoint. */
export const PodIPAllocationSchema = z.strictObject({
  uid: z.string().meta({ description: "UID of the Pod that owns the allocation." }),
  node: z.string().meta({ description: "spec.nodeName of the Pod at allocation or refresh time." }),
  ips: z.array(IPAllocationDetailSchema).meta({ description: "One entry per NIC." }),
});
/** `{uid, node, ips}`. */
export type PodIPAllocation = z.infer<typeof PodIPAllocationSchema>;

/** `status` of a SpiderEndpoint (Spiderpool's Go type is WorkloadEndpointStatus). */
export const EndpointStatusSchema = z
  .strictObject({
    current: PodIPAllocationSchema,
    ownerControllerType: z.string().meta({
      description:
        "Kind of the top controller: Pod (orphan), Deployment, StatefulSet, VirtualMachineInstance, ...",
    }),
    ownerControllerName: z.string().meta({ description: "Name of the top controller." }),
  })
  .meta({ description: "Observed state of a SpiderEndpoint." });
/** Parsed `status` of a SpiderEndpoint. */
export type EndpointStatus = z.infer<typeof EndpointStatusSchema>;

/** A whole SpiderEndpoint object; it has no spec. */
export const SpiderEndpointSchema = z
  .strictObject({
    ...objectRootShape,
    status: EndpointStatusSchema.optional(),
  })
  .meta({
    description: "SpiderEndpoint records the addresses one Pod holds; it is named after the Pod.",
  });
/** A parsed SpiderEndpoint. */
export type SpiderEndpoint = z.infer<typeof SpiderEndpointSchema>;

/** CRD identity and `kubectl get` columns of SpiderEndpoint, as in Spiderpool (first NIC only). */
export const SpiderEndpointCrdNames: CrdNames = {
  group: SPIDERPOOL_GROUP,
  version: SPIDERPOOL_VERSION,
  kind: "SpiderEndpoint",
  plural: "spiderendpoints",
  shortNames: ["se"],
  categories: [SPIDERPOOL_CATEGORY],
  scope: "Namespaced",
  statusSubresource: false,
  printerColumns: [
    {
      name: "INTERFACE",
      type: "string",
      jsonPath: ".status.current.ips[0].interface",
      description: "interface",
    },
    {
      name: "IPV4POOL",
      type: "string",
      jsonPath: ".status.current.ips[0].ipv4Pool",
      description: "ipv4Pool",
    },
    { name: "IPV4", type: "string", jsonPath: ".status.current.ips[0].ipv4", description: "ipv4" },
    {
      name: "IPV6POOL",
      type: "string",
      jsonPath: ".status.current.ips[0].ipv6Pool",
      description: "ipv6Pool",
    },
    { name: "IPV6", type: "string", jsonPath: ".status.current.ips[0].ipv6", description: "ipv6" },
    { name: "NODE", type: "string", jsonPath: ".status.current.node", description: "node" },
  ],
};
