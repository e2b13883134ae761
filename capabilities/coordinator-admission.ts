import { SPIDERPOOL_GROUP } from "../lib/core/base/well-known-names.js";
import type { PeprValidateRequest } from "pepr";
import type { GenericKind } from "kubernetes-fluent-client";
import {
  coordinatorFieldsNotImplemented,
  coordinatorNameProblem,
  SpiderCoordinatorSchema,
  type CoordinatorSpec,
} from "../lib/schemas/coordinator.js";
import { admissionContext } from "./admission-context.js";

/**
 * SpiderCoordinator CREATE and UPDATE: only `default` is read, so another name is refused naming
 * it; the schema's problems are refused by field; fields we accept and do not act on come back
 * as admission warnings (kubectl prints them), by name (docs/usage/conflict-detection.md).
 */
export async function validateCoordinator(req: PeprValidateRequest<GenericKind>) {
  const name = req.Raw.metadata?.name;
  const named = coordinatorNameProblem(name);
  if (named)
    return req.Deny(
      `SpiderCoordinator.${SPIDERPOOL_GROUP} ${JSON.stringify(name ?? "")} is invalid: ${named}`,
      422,
    );
  const r = SpiderCoordinatorSchema.safeParse(req.Raw);
  if (!r.success) {
    const problems = r.error.issues.map(i => {
      const path = i.path.map(String).join(".");
      const got = i.path.reduce<unknown>(
        (v, k) =>
          typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined,
        req.Raw,
      );
      return `${path || "(root)"}: ${i.code === "unrecognized_keys" ? `unknown field(s) ${i.keys.join(", ")}` : i.message} (got ${JSON.stringify(got) ?? "nothing"})`;
    });
    return req.Deny(
      `SpiderCoordinator.${SPIDERPOOL_GROUP} ${JSON.stringify(name)} is invalid: ${problems.join("; ")}`,
      422,
    );
  }
  const ignored = coordinatorFieldsNotImplemented(r.data.spec as CoordinatorSpec | undefined);
  if (!ignored.length) return req.Approve();
  const warning = `SpiderCoordinator ${JSON.stringify(name)}: ${ignored.join(", ")} accepted but not implemented by this project (only spec.detectIPConflict and spec.detectGateway are); see docs/usage/conflict-detection.md`;
  await admissionContext()
    .then(({ log }) =>
      log.warn("SpiderCoordinator fields not implemented", { name, fields: ignored }),
    )
    .catch(() => undefined);
  return req.Approve([warning]);
}
