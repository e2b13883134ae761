import { SPIDERPOOL_GROUP } from "../lib/core/base/well-known-names.js";
import type { PeprMutateRequest, PeprValidateRequest } from "pepr";
import type { GenericKind } from "kubernetes-fluent-client";
import type { AdmissionVerdict, SpiderKind } from "../lib/core/admission/admission-verdict.js";
import { admissionContext } from "./admission-context.js";

/** Turns a lib/core verdict into Pepr's answer, carrying the HTTP status of the denial. */
export function answer(req: PeprValidateRequest<GenericKind>, v: AdmissionVerdict) {
  return v.allowed ? req.Approve() : req.Deny(v.message, v.status);
}

/**
 * A handler that throws (an unreachable API server, a bug) becomes a denial that says so, with
 * the stack in the log, instead of Pepr's generic failure; the module keeps serving.
 */
export async function denyOnError(
  req: PeprValidateRequest<GenericKind>,
  kind: SpiderKind,
  run: () => Promise<ReturnType<PeprValidateRequest<GenericKind>["Approve"]>>,
) {
  try {
    return await run();
  } catch (e) {
    const name = req.Raw.metadata?.name ?? "";
    await admissionContext()
      .then(({ log }) => log.error("admission handler failed", { kind, name, err: e }))
      .catch(() => undefined);
    return req.Deny(
      `${kind}.${SPIDERPOOL_GROUP} "${name}" could not be validated: ${(e as Error).message ?? String(e)}`,
      500,
    );
  }
}

/** Replaces the object under review with the defaulted one; Pepr sends the difference as a JSON patch. */
export function replaceRaw(
  req: PeprMutateRequest<GenericKind>,
  object: { metadata?: unknown; spec?: unknown },
): void {
  const raw = req.Raw as unknown as Record<string, unknown>;
  if (object.metadata !== undefined) raw.metadata = object.metadata;
  if (object.spec !== undefined) raw.spec = object.spec;
}
