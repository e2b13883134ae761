/**
 * The CRDs this project installs, in one list: `scripts/gen-crds.ts` writes them to
 * `manifests/crds/<plural>.yaml` and the golden test compares them with the committed files.
 */
import type { z } from "zod";
import { toCustomResourceDefinition, type CrdNames, type CustomResourceDefinition } from "./crd.js";
import { SpiderEndpointCrdNames, SpiderEndpointSchema } from "./endpoint.js";
import { SpiderIPPoolCrdNames, SpiderIPPoolSchema } from "./ippool.js";
import { SpiderReservedIPCrdNames, SpiderReservedIPSchema } from "./reserved-ip.js";
import { SpiderSubnetCrdNames, SpiderSubnetSchema } from "./subnet.js";
import { IPClaimCrdNames, IPClaimSchema } from "./ip-claim.js";
import { SpiderCoordinatorCrdNames, SpiderCoordinatorSchema } from "./coordinator.js";
import { SpiderMultusConfigCrdNames, SpiderMultusConfigSchema } from "./multus-config.js";

/** A root object schema and the names its CRD is published under. */
export interface CrdSource {
  schema: z.ZodType;
  names: CrdNames;
}

/** Every Spiderpool kind with a generated CRD. */
export const spiderpoolCrdSources: readonly CrdSource[] = [
  { schema: SpiderIPPoolSchema, names: SpiderIPPoolCrdNames },
  { schema: SpiderSubnetSchema, names: SpiderSubnetCrdNames },
  { schema: SpiderReservedIPSchema, names: SpiderReservedIPCrdNames },
  { schema: SpiderEndpointSchema, names: SpiderEndpointCrdNames },
  { schema: IPClaimSchema, names: IPClaimCrdNames },
  { schema: SpiderCoordinatorSchema, names: SpiderCoordinatorCrdNames },
  { schema: SpiderMultusConfigSchema, names: SpiderMultusConfigCrdNames },
];

/**
 * Builds the CRD of every kind in `spiderpoolCrdSources`.
 *
 * @throws Error when a schema is not structural (see `findStructuralViolations`)
 */
export function buildSpiderpoolCrds(): CustomResourceDefinition[] {
  return spiderpoolCrdSources.map(({ schema, names }) => toCustomResourceDefinition(schema, names));
}
