import { ApiClient } from "../lib/k8s/api-client.js";
import { AdmissionReads } from "../lib/k8s/admission-reads.js";
import { loadConfig } from "../lib/k8s/config-source.js";
import type { SpiderpoolConfig } from "../lib/schemas/config.js";
import { createLogger, type Logger } from "../lib/logger.js";

/**
 * What every admission handler needs, created once per process on first use: an API client
 * (in-cluster service account, or KUBECONFIG locally), the reads, the configuration and a logger.
 */
export interface AdmissionContext {
  reads: AdmissionReads;
  config: SpiderpoolConfig;
  log: Logger;
}

let ctx: Promise<AdmissionContext> | undefined;

export function admissionContext(): Promise<AdmissionContext> {
  ctx ??= (async () => {
    const api = ApiClient.fromKubeconfig(process.env.KUBECONFIG || undefined);
    const config = await loadConfig(api);
    return { reads: new AdmissionReads(api), config, log: createLogger("admission") };
  })().catch((e: unknown) => {
    ctx = undefined; // a transient failure must not poison every later request
    throw e;
  });
  return ctx;
}
