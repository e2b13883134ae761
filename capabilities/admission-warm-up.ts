import { defaultIPPool } from "../lib/core/admission/ippool-defaulting.js";
import { validateIPPoolCreate } from "../lib/core/admission/ippool-validation.js";
import type { IPPoolObject } from "../lib/core/admission/admission-objects.js";
import { SpiderIPPoolSchema } from "../lib/schemas/index.js";
import { SPIDERPOOL_API_VERSION } from "../lib/core/base/well-known-names.js";
import type { AdmissionReads } from "../lib/k8s/admission-reads.js";
import type { SpiderpoolConfig } from "../lib/schemas/config.js";
import { schemaDenial } from "./schema-denial.js";

/**
 * Runs the pool defaulting, the schema layer and the pool rules once against the loaded caches,
 * before the process serves: V8 compiles them, and zod its schema, on first use, which the first
 * request after a start would otherwise pay on top of its round trip (docs/benchmarks.md). The
 * pool is of a documentation network (RFC 5737) and is never stored; the verdict is not used.
 */
export async function warmUpPoolAdmission(
  reads: AdmissionReads,
  config: SpiderpoolConfig,
): Promise<void> {
  const pool: IPPoolObject = {
    apiVersion: SPIDERPOOL_API_VERSION,
    kind: "SpiderIPPool",
    metadata: { name: "admission-warm-up" },
    spec: { subnet: "192.0.2.0/24", ips: ["192.0.2.1-192.0.2.9", "192.0.2.20"] },
  };
  const subnets = config.enableSpiderSubnet ? await reads.subnets() : [];
  const defaulted = defaultIPPool({ pool, subnets, config }).object;
  schemaDenial("SpiderIPPool", SpiderIPPoolSchema, defaulted);
  validateIPPoolCreate({ pool: defaulted, peers: await reads.pools(), config });
}
