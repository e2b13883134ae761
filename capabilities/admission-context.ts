import { ApiClient } from "../lib/k8s/api-client.js";
import { AdmissionReads } from "../lib/k8s/admission-reads.js";
import { loadConfig } from "../lib/k8s/config-source.js";
import { configWarningLine, type SpiderpoolConfig } from "../lib/schemas/config.js";
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
    const { config, warnings } = await loadConfig(api);
    const log = createLogger("admission");
    // Once per process: the context is made once (again only after a failure, which logged nothing).
    if (warnings.length) log.warn(configWarningLine(warnings), { keys: warnings.map(w => w.key) });
    return { reads: new AdmissionReads(api), config, log };
  })().catch((e: unknown) => {
    ctx = undefined; // a transient failure must not poison every later request
    throw e;
  });
  return ctx;
}
