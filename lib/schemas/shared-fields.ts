/**
 * Field schemas that more than one Spiderpool kind uses: address family, IP lists, routes, label
 * selectors, object metadata and int64 counters.
 *
 * These schemas check only structure and types. Address syntax (CIDR form, `A-B` ranges, family
 * match) and rules that span fields live in `lib/core`, which reports them with field paths of its
 * own.
 */
import { z } from "zod";
import { SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

/**
 * Address family of a pool, subnet or reserved-IP object: the integer 4 or 6.
 * The webhook infers it from `subnet` (or `ips[0]`) when the user leaves it out.
 * Go types it as int64; `format` keeps the CRD identical to Spiderpool's.
 */
export const IpVersionSchema = z.literal([4, 6]).meta({
  type: "integer",
  format: "int64",
  description: "Address family: 4 or 6. Inferred by the webhook when omitted; immutable once set.",
});
/** 4 or 6. */
export type IpVersion = z.infer<typeof IpVersionSchema>;

/**
 * A list of single addresses or inclusive `start-end` ranges, e.g. `["10.6.0.10", "10.6.0.20-10.6.0.29"]`.
 * Only "array of strings" is checked here; range syntax is checked in `lib/core`.
 */
export const IpRangeListSchema = z.array(z.string());

/** A list of plain names (nodes, namespaces, NetworkAttachmentDefinitions). */
export const NameListSchema = z.array(z.string());

/**
 * A non-negative counter stored as int64, such as `totalIPCount`.
 *
 * `z.int()` would reject values above 2^53 - 1, but Spiderpool saturates `totalIPCount` of huge
 * IPv6 pools at 9223372036854775807; `JSON.parse` reads that as an integral float, which must
 * still validate. Such values are approximate in JavaScript.
 */
export const Int64CountSchema = z
  .number()
  .refine(Number.isInteger, { message: "Invalid input: expected an integer" })
  .nonnegative()
  .meta({ type: "integer", format: "int64" });

/** One extra route handed to the Pod's NIC. Both ends are required, as in Spiderpool's CRD. */
export const RouteSchema = z.strictObject({
  dst: z.string().meta({ description: "Destination network in CIDR form." }),
  gw: z.string().meta({ description: "Next-hop address." }),
});
/** `{dst, gw}`: destination CIDR and next hop. */
export type Route = z.infer<typeof RouteSchema>;

/** Extra routes for a NIC. */
export const RouteListSchema = z.array(RouteSchema);

/**
 * Operators Kubernetes accepts in a label selector requirement. Anything else would only fail
 * later, when the selector is matched against Pods, so it is rejected at admission.
 */
export const LabelSelectorOperatorSchema = z.enum(["In", "NotIn", "Exists", "DoesNotExist"]);

/** One `matchExpressions` entry of a Kubernetes label selector. */
export const LabelSelectorRequirementSchema = z.strictObject({
  key: z.string().meta({ description: "The label key that the selector applies to." }),
  operator: LabelSelectorOperatorSchema.meta({
    description: "Relationship of the key to the values: In, NotIn, Exists or DoesNotExist.",
  }),
  // atomic, as in metav1.LabelSelector: server-side apply replaces the list instead of merging it.
  values: z
    .array(z.string())
    .meta({
      description: "Values for In and NotIn; must be empty for Exists and DoesNotExist.",
      "x-kubernetes-list-type": "atomic",
    })
    .optional(),
});
/** `{key, operator, values?}`. */
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirementSchema>;

/**
 * A Kubernetes label selector (metav1.LabelSelector). matchLabels and matchExpressions are ANDed;
 * an empty selector matches everything. Marked atomic like the upstream type so that server-side
 * apply treats the selector as one value.
 */
export const LabelSelectorSchema = z
  .strictObject({
    matchLabels: z
      .record(z.string(), z.string())
      .meta({ description: "Label key/value pairs that must all be present." })
      .optional(),
    matchExpressions: z
      .array(LabelSelectorRequirementSchema)
      .meta({
        description: "Label selector requirements; all must hold.",
        "x-kubernetes-list-type": "atomic",
      })
      .optional(),
  })
  .meta({
    description:
      "A label query; matchLabels and matchExpressions are ANDed, and an empty selector matches everything.",
    "x-kubernetes-map-type": "atomic",
  });
/** `{matchLabels?, matchExpressions?}`. */
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;

/** An ownerReferences entry; only the fields this project reads are typed. */
export const OwnerReferenceSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
/** A Kubernetes owner reference. */
export type OwnerReference = z.infer<typeof OwnerReferenceSchema>;

/**
 * Object metadata, typed for the fields this project reads. It is loose on purpose: metadata is
 * validated by the API server, and the CRD generator replaces it with `{type: object}` because a
 * CRD may not constrain metadata beyond name/generateName.
 */
export const ObjectMetaSchema = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(OwnerReferenceSchema).optional(),
});
/** Kubernetes ObjectMeta (partial, open to other keys). */
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

/**
 * `apiVersion`, `kind` and `metadata`, to spread into the root object schema of each kind.
 * They stay optional so that objects built in code and patches need not repeat them.
 */
export const objectRootShape = {
  apiVersion: z
    .string()
    .meta({
      description: `Versioned schema of this representation of an object: ${SPIDERPOOL_API_VERSION}.`,
    })
    .optional(),
  kind: z
    .string()
    .meta({ description: "REST resource this object represents, in CamelCase." })
    .optional(),
  metadata: ObjectMetaSchema.optional(),
};
