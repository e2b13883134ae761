/**
 * SpiderCoordinator (cluster-scoped, short name `scc`): the cluster-wide defaults of the
 * `coordinator` plugin. Only the object named `default` is read, as Spiderpool reads only its
 * own, so any other name is refused rather than left to do nothing. Of its fields we act on
 * `detectIPConflict` and `detectGateway`; the rest are Spiderpool's route and veth tuning, which
 * this project does not do: accepted, typed, and warned about by name at admission
 * (docs/usage/conflict-detection.md).
 */
import { z } from "zod";
import { SPIDERPOOL_CATEGORY } from "./api-group.js";
import type { CrdNames } from "./crd.js";
import { objectRootShape } from "./shared-fields.js";
import { SPIDERPOOL_GROUP, SPIDERPOOL_VERSION } from "../core/base/well-known-names.js";

/** The one name served. */
export const COORDINATOR_NAME = "default";

const RouteSchema = z.strictObject({ dst: z.string(), gw: z.string() });

/** Spec fields we accept and do not act on, in Spiderpool's order. */
export const COORDINATOR_NOT_IMPLEMENTED = [
  "mode",
  "podCIDRType",
  "hijackCIDR",
  "policyRoutes",
  "podMACPrefix",
  "tunePodRoutes",
  "podDefaultRouteNIC",
  "hostRuleTable",
  "hostRPFilter",
  "podRPFilter",
  "txQueueLen",
  "vethLinkAddress",
  "vethMTU",
] as const;

export const CoordinatorSpecSchema = z
  .strictObject({
    detectIPConflict: z
      .boolean()
      .meta({
        description:
          "Probe each Pod address for another host answering for it (ARP / IPv6 DAD); a NetworkAttachmentDefinition's own value wins.",
      })
      .optional(),
    detectGateway: z
      .boolean()
      .meta({
        description:
          "Probe each Pod gateway for an answer; a NetworkAttachmentDefinition's own value wins.",
      })
      .optional(),
    mode: z
      .enum(["auto", "underlay", "overlay", "disabled"])
      .meta({ description: "Not implemented: Spiderpool's routing mode." })
      .optional(),
    podCIDRType: z
      .enum(["auto", "cluster", "calico", "cilium", "none"])
      .meta({ description: "Not implemented: how Spiderpool discovers Pod CIDRs." })
      .optional(),
    hijackCIDR: z.array(z.string()).meta({ description: "Not implemented." }).optional(),
    policyRoutes: z.array(RouteSchema).meta({ description: "Not implemented." }).optional(),
    podMACPrefix: z.string().meta({ description: "Not implemented." }).optional(),
    tunePodRoutes: z.boolean().meta({ description: "Not implemented." }).optional(),
    podDefaultRouteNIC: z.string().meta({ description: "Not implemented." }).optional(),
    hostRuleTable: z.number().int().meta({ description: "Not implemented." }).optional(),
    hostRPFilter: z.number().int().meta({ description: "Not implemented." }).optional(),
    podRPFilter: z.number().int().meta({ description: "Not implemented." }).optional(),
    txQueueLen: z.number().int().meta({ description: "Not implemented." }).optional(),
    vethLinkAddress: z.string().meta({ description: "Not implemented." }).optional(),
    vethMTU: z.number().int().meta({ description: "Not implemented." }).optional(),
  })
  .meta({ description: "Cluster-wide defaults of the coordinator plugin." });
export type CoordinatorSpec = z.infer<typeof CoordinatorSpecSchema>;

export const CoordinatorStatusSchema = z
  .strictObject({
    phase: z.string().optional(),
    reason: z.string().optional(),
    overlayPodCIDR: z.array(z.string()).optional(),
    serviceCIDR: z.array(z.string()).optional(),
  })
  .meta({ description: "Spiderpool's status; not written by this project." });

const NAME_RULE = {
  rule: `self.metadata.name == '${COORDINATOR_NAME}'`,
  message: `only the SpiderCoordinator named "${COORDINATOR_NAME}" is read; use that name`,
};

export const SpiderCoordinatorSchema = z
  .strictObject({
    ...objectRootShape,
    spec: CoordinatorSpecSchema.optional(),
    status: CoordinatorStatusSchema.optional(),
  })
  .meta({
    description: "SpiderCoordinator holds the cluster-wide defaults of the coordinator plugin.",
    "x-kubernetes-validations": [NAME_RULE],
  });
export type SpiderCoordinator = z.infer<typeof SpiderCoordinatorSchema>;

export const SpiderCoordinatorCrdNames: CrdNames = {
  group: SPIDERPOOL_GROUP,
  version: SPIDERPOOL_VERSION,
  kind: "SpiderCoordinator",
  plural: "spidercoordinators",
  shortNames: ["scc"],
  categories: [SPIDERPOOL_CATEGORY],
  scope: "Cluster",
  statusSubresource: true,
  printerColumns: [
    {
      name: "DETECTIPCONFLICT",
      type: "boolean",
      jsonPath: ".spec.detectIPConflict",
      description: "detectIPConflict",
    },
    {
      name: "DETECTGATEWAY",
      type: "boolean",
      jsonPath: ".spec.detectGateway",
      description: "detectGateway",
    },
  ],
};

/** The spec fields of `spec` we accept and ignore, for the admission warning. */
export function coordinatorFieldsNotImplemented(spec: CoordinatorSpec | undefined): string[] {
  return COORDINATOR_NOT_IMPLEMENTED.filter(f => spec?.[f] !== undefined).map(f => `spec.${f}`);
}

/** Why a SpiderCoordinator name is refused, or undefined for the one name served. */
export function coordinatorNameProblem(name: string | undefined): string | undefined {
  if (name === COORDINATOR_NAME) return undefined;
  return `metadata.name: Invalid value: ${JSON.stringify(name ?? "")}: only the SpiderCoordinator named "${COORDINATOR_NAME}" is read, an object of another name would do nothing; name it "${COORDINATOR_NAME}"`;
}
