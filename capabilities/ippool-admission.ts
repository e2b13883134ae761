import type { PeprMutateRequest, PeprValidateRequest } from "pepr";
import type { GenericKind } from "kubernetes-fluent-client";
import { defaultIPPool } from "../lib/core/admission/ippool-defaulting.js";
import {
  validateIPPoolCreate,
  validateIPPoolDelete,
  validateIPPoolUpdate,
} from "../lib/core/admission/ippool-validation.js";
import type { IPPoolObject, OwnerSubnet } from "../lib/core/admission/admission-objects.js";
import type { AdmissionVerdict } from "../lib/core/admission/admission-verdict.js";
import { ControlledIPPoolsJsonSchema, SpiderIPPoolSchema } from "../lib/schemas/index.js";
import type { AdmissionReads } from "../lib/k8s/admission-reads.js";
import { judgeConfirmingRefusals } from "../lib/k8s/admission-cache.js";
import { admissionContext } from "./admission-context.js";
import { answer, denyOnError, replaceRaw } from "./admission-answer.js";
import { schemaDenial } from "./schema-denial.js";

/** Defaulting of SpiderIPPool (docs/reference/admission.md#spiderippool). Never rejects: a failure leaves the object to validation. */
export async function mutateIPPool(req: PeprMutateRequest<GenericKind>): Promise<void> {
  const { reads, config, log } = await admissionContext();
  try {
    // From the cache: a subnet it has not seen yet (created by the same `kubectl apply` a moment
    // before) adopts the pool in the watcher's subnet reconciler instead, as Spiderpool's does
    // for a pool created before its subnet (docs/adr/0010-admission-cache.md).
    const subnets = config.enableSpiderSubnet ? await reads.subnets() : [];
    const r = defaultIPPool({ pool: req.Raw as unknown as IPPoolObject, subnets, config });
    if (r.stopped)
      log.debug("pool defaulting stopped", { pool: req.Raw.metadata?.name, reason: r.stopped });
    replaceRaw(req, r.object);
  } catch (e) {
    log.error("pool defaulting failed; leaving the object to validation", {
      pool: req.Raw.metadata?.name,
      err: e,
    });
  }
}

/** Validation of SpiderIPPool CREATE and UPDATE: schema first, then every rule of lib/core. */
export async function validateIPPool(req: PeprValidateRequest<GenericKind>) {
  return denyOnError(req, "SpiderIPPool", async () => {
    const { reads, config } = await admissionContext();
    const pool = req.Raw as unknown as IPPoolObject;
    const schema = schemaDenial("SpiderIPPool", SpiderIPPoolSchema, req.Raw);
    if (schema)
      return answer(req, {
        allowed: false,
        reason: "Invalid",
        status: 422,
        errors: [],
        message: schema,
      });
    const name = req.Raw.metadata?.name ?? "";
    const judge = async (from: AdmissionReads): Promise<AdmissionVerdict> => {
      const stored = await from.pools();
      const ownerSubnet = await ownerSubnetOf(from, pool, config.enableSpiderSubnet);
      // On CREATE a stored pool of the same name is the 409 the rules report; on UPDATE it is this pool.
      if (req.Request.operation === "CREATE")
        return validateIPPoolCreate({ pool, peers: stored, ownerSubnet, config });
      return validateIPPoolUpdate({
        pool,
        oldPool: req.OldResource as unknown as IPPoolObject,
        peers: stored.filter(p => p.metadata.name !== name),
        inUse: await from.inUse(name),
        ownerSubnet,
        config,
      });
    };
    // The pools come from a cache that may lag by a few milliseconds: a refusal is confirmed
    // against what is stored, an admission is not (docs/adr/0010-admission-cache.md).
    return answer(req, await judgeConfirmingRefusals(reads, judge));
  });
}

/** DELETE: refused while addresses are in use, when the deletion webhook is enabled (docs/reference/admission.md#spiderippool). */
export async function validateIPPoolDeletion(req: PeprValidateRequest<GenericKind>) {
  return denyOnError(req, "SpiderIPPool", async () => {
    const { reads, config } = await admissionContext();
    const pool = (req.OldResource ?? req.Raw) as unknown as IPPoolObject;
    const inUse = config.enableValidatingResourcesDeletedWebhook
      ? await reads.inUse(pool.metadata?.name ?? "")
      : [];
    return answer(req, validateIPPoolDelete({ pool, inUse, config }));
  });
}

async function ownerSubnetOf(
  reads: AdmissionReads,
  pool: IPPoolObject,
  enabled: boolean,
): Promise<OwnerSubnet | undefined> {
  if (!enabled) return undefined;
  const ref = pool.metadata?.ownerReferences?.find(o => o.controller && o.kind === "SpiderSubnet");
  if (!ref) return undefined;
  const subnet = await reads.subnet(ref.name);
  if (!subnet) return undefined;
  const decoded = subnet.status?.controlledIPPools
    ? ControlledIPPoolsJsonSchema.safeParse(subnet.status.controlledIPPools)
    : undefined;
  return { subnet, controlledIPPools: decoded?.success ? decoded.data : {} };
}
