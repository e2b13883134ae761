/**
 * SpiderReservedIP (cluster-scoped, short name `sr`): addresses no pool may hand out. The union of
 * all reserved IPs of a family is skipped by every pool; addresses already allocated are not
 * revoked. Field meanings: docs/reference/crds.md#spiderreservedip and docs/usage/tenants.md.
 */
import { z } from "zod";
import { SPIDERPOOL_CATEGORY } from "./api-group.js";
import type { CrdNames } from "./crd.js";
import { IpRangeListSchema, IpVersionSchema, objectRootShape } from "./shared-fields.js";
import { SPIDERPOOL_GROUP, SPIDERPOOL_VERSION } from "../core/base/well-known-names.js";

/** `spec` of a SpiderReservedIP. `ipVersion` is inferred from `ips[0]` by the webhook. */
export const ReservedIPSpecSchema = z
  .strictObject({
    ipVersion: IpVersionSchema.optional(),
    ips: IpRangeListSchema.meta({
      description: "Reserved addresses: single IPs or inclusive ranges A-B.",
    }).optional(),
  })
  .meta({ description: "Desired state of a SpiderReservedIP." });
/** Parsed `spec` of a SpiderReservedIP. */
export type ReservedIPSpec = z.infer<typeof ReservedIPSpecSchema>;

/** A whole SpiderReservedIP object; the kind has no status. */
export const SpiderReservedIPSchema = z
  .strictObject({
    ...objectRootShape,
    spec: ReservedIPSpecSchema,
  })
  .meta({ description: "SpiderReservedIP lists addresses that no SpiderIPPool may hand out." });
/** A parsed SpiderReservedIP. */
export type SpiderReservedIP = z.infer<typeof SpiderReservedIPSchema>;

/** CRD identity and `kubectl get` columns of SpiderReservedIP, as in Spiderpool. */
export const SpiderReservedIPCrdNames: CrdNames = {
  group: SPIDERPOOL_GROUP,
  version: SPIDERPOOL_VERSION,
  kind: "SpiderReservedIP",
  plural: "spiderreservedips",
  shortNames: ["sr"],
  categories: [SPIDERPOOL_CATEGORY],
  scope: "Cluster",
  statusSubresource: false,
  printerColumns: [
    { name: "VERSION", type: "string", jsonPath: ".spec.ipVersion", description: "ipVersion" },
  ],
};
