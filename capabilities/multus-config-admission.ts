import type { PeprMutateRequest, PeprValidateRequest } from "pepr";
import type { GenericKind } from "kubernetes-fluent-client";
import {
  defaultMultusConfig,
  type MultusConfigObject,
} from "../lib/core/admission/multus-config-defaulting.js";
import { validateMultusConfig } from "../lib/core/admission/multus-config-validation.js";
import { nadNameOf } from "../lib/core/multus/nad-config.js";
import { dns1123SubdomainErrors } from "../lib/core/compat/label-syntax.js";
import { NAD_API_VERSION } from "../lib/core/base/well-known-names.js";
import { K8sError } from "../lib/k8s/k8s-error.js";
import type { KubeObject } from "../lib/k8s/api-client.js";
import { SpiderMultusConfigSchema, type SpiderMultusConfig } from "../lib/schemas/multus-config.js";
import { admissionContext } from "./admission-context.js";
import { answer, denyOnError, replaceRaw } from "./admission-answer.js";
import { schemaDenial } from "./schema-denial.js";

/** Defaulting of SpiderMultusConfig (docs/usage/multus-config.md#defaults); never rejects. */
export async function mutateMultusConfig(req: PeprMutateRequest<GenericKind>): Promise<void> {
  try {
    replaceRaw(req, defaultMultusConfig(req.Raw as unknown as MultusConfigObject));
  } catch (e) {
    const { log } = await admissionContext();
    log.error("SpiderMultusConfig defaulting failed; leaving the object to validation", {
      name: req.Raw.metadata?.name,
      err: e,
    });
  }
}

/**
 * CREATE and UPDATE (docs/usage/multus-config.md#refused-at-admission): the schema, then
 * Spiderpool's rules. The NAD the object would write is read directly (no cache: SMCs are rare
 * and the answer decides whether another SMC already owns that NAD).
 */
export async function validateMultusConfigRequest(req: PeprValidateRequest<GenericKind>) {
  return denyOnError(req, "SpiderMultusConfig", async () => {
    const { api } = await admissionContext();
    const schema = schemaDenial("SpiderMultusConfig", SpiderMultusConfigSchema, req.Raw);
    if (schema)
      return answer(req, {
        allowed: false,
        reason: "Invalid",
        status: 422,
        errors: [],
        message: schema,
      });
    const smc = SpiderMultusConfigSchema.parse(req.Raw);
    const old = req.OldResource
      ? (SpiderMultusConfigSchema.safeParse(req.OldResource).data as SpiderMultusConfig | undefined)
      : undefined;
    const ns = smc.metadata?.namespace ?? req.Request.namespace ?? "";
    const withNs: SpiderMultusConfig = { ...smc, metadata: { ...smc.metadata, namespace: ns } };
    const nadName = nadNameOf(withNs);
    // A name that is not one is refused by the rules; there is nothing to read under it.
    const nad = dns1123SubdomainErrors(nadName).length
      ? undefined
      : await api
          .get<KubeObject>(
            `/apis/${NAD_API_VERSION}/namespaces/${ns}/network-attachment-definitions/${nadName}`,
          )
          .catch((e: unknown) => {
            if (e instanceof K8sError && e.code === "not_found") return undefined;
            throw e;
          });
    return answer(
      req,
      validateMultusConfig(withNs, old, {
        existingNadOwners: nad ? (nad.metadata.ownerReferences ?? []) : undefined,
      }),
    );
  });
}
