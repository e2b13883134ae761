import type { PeprMutateRequest, PeprValidateRequest } from "pepr";
import type { GenericKind } from "kubernetes-fluent-client";
import { defaultSubnet } from "../lib/core/admission/subnet-defaulting.js";
import {
  validateSubnetCreate,
  validateSubnetDelete,
  validateSubnetUpdate,
} from "../lib/core/admission/subnet-validation.js";
import type { SubnetObject } from "../lib/core/admission/admission-objects.js";
import { ControlledIPPoolsJsonSchema, SpiderSubnetSchema } from "../lib/schemas/index.js";
import type { AdmissionReads } from "../lib/k8s/admission-reads.js";
import { judgeConfirmingRefusals } from "../lib/k8s/admission-cache.js";
import { admissionContext } from "./admission-context.js";
import { answer, denyOnError, replaceRaw } from "./admission-answer.js";
import { schemaDenial } from "./schema-denial.js";

/** Defaulting of SpiderSubnet (docs/reference/admission.md#spidersubnet); never rejects. */
export async function mutateSubnet(req: PeprMutateRequest<GenericKind>): Promise<void> {
  const { log } = await admissionContext();
  try {
    replaceRaw(req, defaultSubnet(req.Raw as unknown as SubnetObject).object);
  } catch (e) {
    log.error("subnet defaulting failed; leaving the object to validation", {
      subnet: req.Raw.metadata?.name,
      err: e,
    });
  }
}

export async function validateSubnet(req: PeprValidateRequest<GenericKind>) {
  return denyOnError(req, "SpiderSubnet", async () => {
    const { reads, config } = await admissionContext();
    const schema = schemaDenial("SpiderSubnet", SpiderSubnetSchema, req.Raw);
    if (schema)
      return answer(req, {
        allowed: false,
        reason: "Invalid",
        status: 422,
        errors: [],
        message: schema,
      });
    const subnet = req.Raw as unknown as SubnetObject;
    if (req.Request.operation === "CREATE") {
      // A stored subnet of the same name is kept among the peers: the rules answer it with a 409.
      const judge = async (from: AdmissionReads) =>
        validateSubnetCreate({
          subnet,
          peerSubnets: await from.subnets(),
          pools: await from.pools(),
          config,
        });
      // Cached reads may lag: a refusal is confirmed against what is stored
      // (docs/adr/0010-admission-cache.md).
      return answer(req, await judgeConfirmingRefusals(reads, judge));
    }
    const stored = subnet.status?.controlledIPPools;
    const decoded = stored ? ControlledIPPoolsJsonSchema.safeParse(stored) : undefined;
    return answer(
      req,
      validateSubnetUpdate({
        oldSubnet: req.OldResource as unknown as SubnetObject,
        subnet,
        controlledIPPools: decoded?.success ? decoded.data : {},
        config,
      }),
    );
  });
}

export async function validateSubnetDeletion(req: PeprValidateRequest<GenericKind>) {
  return denyOnError(req, "SpiderSubnet", async () => {
    const { config } = await admissionContext();
    return answer(
      req,
      validateSubnetDelete({
        subnet: (req.OldResource ?? req.Raw) as unknown as SubnetObject,
        config,
      }),
    );
  });
}
