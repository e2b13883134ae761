import type { PeprMutateRequest, PeprValidateRequest } from "pepr";
import type { GenericKind } from "kubernetes-fluent-client";
import { defaultReservedIP } from "../lib/core/admission/reserved-ip-defaulting.js";
import {
  validateReservedIPCreate,
  validateReservedIPUpdate,
} from "../lib/core/admission/reserved-ip-validation.js";
import type { ReservedIPObject } from "../lib/core/admission/admission-objects.js";
import { SpiderReservedIPSchema } from "../lib/schemas/index.js";
import { admissionContext } from "./admission-context.js";
import { answer, denyOnError, replaceRaw } from "./admission-answer.js";
import { schemaDenial } from "./schema-denial.js";

/** Defaulting of SpiderReservedIP (docs/reference/admission.md#spiderreservedip); never rejects. */
export async function mutateReservedIP(req: PeprMutateRequest<GenericKind>): Promise<void> {
  const { log } = await admissionContext();
  try {
    replaceRaw(req, defaultReservedIP(req.Raw as unknown as ReservedIPObject).object);
  } catch (e) {
    log.error("reserved IP defaulting failed; leaving the object to validation", {
      name: req.Raw.metadata?.name,
      err: e,
    });
  }
}

/** CREATE and UPDATE; DELETE of a reserved IP is always allowed, so it has no binding. */
export async function validateReservedIP(req: PeprValidateRequest<GenericKind>) {
  return denyOnError(req, "SpiderReservedIP", async () => {
    const { config } = await admissionContext();
    const schema = schemaDenial("SpiderReservedIP", SpiderReservedIPSchema, req.Raw);
    if (schema)
      return answer(req, {
        allowed: false,
        reason: "Invalid",
        status: 422,
        errors: [],
        message: schema,
      });
    const reservedIP = req.Raw as unknown as ReservedIPObject;
    if (req.Request.operation === "CREATE")
      return answer(req, validateReservedIPCreate({ reservedIP, config }));
    return answer(
      req,
      validateReservedIPUpdate({
        oldReservedIP: req.OldResource as unknown as ReservedIPObject,
        reservedIP,
        config,
      }),
    );
  });
}
