/**
 * Pepr 1.1.4 gives every rule of a module one failurePolicy (`onError: reject` → `Fail`); it has no
 * per-binding policy, and `additionalWebhooks` splits by namespace only. The workload check
 * (capabilities/workload-admission.ts) must fail open instead: a module that is down may delay a
 * SpiderIPPool, never a Deployment. This moves the rules of the workload groups (apps, batch) out
 * of Pepr's validating entry into a second entry with `failurePolicy: Ignore`, same URL and
 * selector. Used on the output of `pepr build` (npm run build), on the live configuration after
 * `pepr deploy` (npm run deploy), and by the local cluster (e2e/cluster/pepr-module.ts).
 * See docs/usage/subnet-auto-pool.md and docs/security.md.
 *
 *   tsx scripts/workload-webhook.ts <pepr-module.yaml>   rewrite a built manifest in place
 *   tsx scripts/workload-webhook.ts --live               rewrite the cluster's configuration
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseAllDocuments, stringify } from "yaml";

/** API groups of the six workload kinds the check covers. */
export const WORKLOAD_API_GROUPS = ["apps", "batch"];

interface Rule {
  apiGroups?: string[];
  [key: string]: unknown;
}

interface Webhook {
  name: string;
  failurePolicy?: string;
  rules?: Rule[];
  [key: string]: unknown;
}

export interface WebhookConfiguration {
  kind: string;
  metadata: { name: string; [key: string]: unknown };
  webhooks?: Webhook[];
  [key: string]: unknown;
}

const isWorkloadRule = (r: Rule) =>
  (r.apiGroups ?? []).length > 0 && (r.apiGroups ?? []).every(g => WORKLOAD_API_GROUPS.includes(g));

/** The entry's name: `<configuration>-workloads.pepr.dev`. */
export const workloadWebhookName = (configuration: string) => `${configuration}-workloads.pepr.dev`;

/**
 * The configuration with its workload rules in their own fail-open entry. Idempotent; a
 * configuration without workload rules, or not a ValidatingWebhookConfiguration, comes back as is.
 */
export function splitWorkloadWebhook<T extends WebhookConfiguration>(cfg: T): T {
  if (cfg.kind !== "ValidatingWebhookConfiguration" || !cfg.webhooks?.length) return cfg;
  const name = workloadWebhookName(cfg.metadata.name);
  const others = cfg.webhooks.filter(w => w.name !== name);
  const moved = others.flatMap(w => (w.rules ?? []).filter(isWorkloadRule));
  const existing = cfg.webhooks.find(w => w.name === name);
  if (!moved.length) return cfg;
  const first = others[0]!;
  const workloads: Webhook = {
    ...first,
    ...existing,
    name,
    failurePolicy: "Ignore",
    rules: [...(existing?.rules ?? []), ...moved],
  };
  const kept = others
    .map(w => ({ ...w, rules: (w.rules ?? []).filter(r => !isWorkloadRule(r)) }))
    .filter(w => w.rules.length > 0);
  return { ...cfg, webhooks: [...kept, workloads] };
}

/** Rewrites every ValidatingWebhookConfiguration of a multi-document YAML file. */
export function splitWorkloadWebhookFile(file: string): void {
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8")).map(
    d => d.toJS() as WebhookConfiguration | null,
  );
  const out = docs.filter(d => d !== null).map(d => stringify(splitWorkloadWebhook(d)));
  fs.writeFileSync(file, out.join("---\n"));
}

async function splitLive(): Promise<void> {
  const { ApiClient } = await import("../lib/k8s/api-client.js");
  const uuid = (
    JSON.parse(
      fs.readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8"),
    ) as { pepr: { uuid: string } }
  ).pepr.uuid;
  const url = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/pepr-${uuid}`;
  const api = ApiClient.fromKubeconfig(process.env.KUBECONFIG || undefined);
  try {
    const cfg = await api.get<WebhookConfiguration>(url);
    await api.replace(url, splitWorkloadWebhook(cfg)); // carries the resourceVersion read: a concurrent change is a 409, not lost
  } finally {
    api.close();
  }
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href
) {
  const arg = process.argv[2];
  const run =
    arg === "--live"
      ? splitLive()
      : arg
        ? Promise.resolve(splitWorkloadWebhookFile(arg))
        : Promise.reject(new Error("usage: workload-webhook.ts <pepr-module.yaml> | --live"));
  run.catch((e: Error) => {
    process.stderr.write(`workload-webhook: ${e.message}\n`);
    process.exit(1);
  });
}
