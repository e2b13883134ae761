/**
 * The manifests `npx pepr build` generates for this module, built once per test run into
 * dist/e2e-install (inside the repository: the build forks the bundle, which must resolve
 * `pepr` from node_modules). Shared by the install suites.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../cluster/paths.js";
import { splitWorkloadWebhookFile } from "../../scripts/workload-webhook.js";

export interface K8sDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

const outDir = path.join(repoRoot, "dist/e2e-install");
let built: { yamlPath: string; docs: K8sDoc[] } | undefined;

export function peprBuild(): { yamlPath: string; docs: K8sDoc[] } {
  if (built) return built;
  const uuid = (
    JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      pepr: { uuid: string };
    }
  ).pepr.uuid;
  const yamlPath = path.join(outDir, `pepr-module-${uuid}.yaml`);
  fs.rmSync(outDir, { recursive: true, force: true });
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot, "node_modules/pepr/dist/cli.js"), "build", "-o", "dist/e2e-install"],
    {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 280_000,
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    },
  );
  // pepr 1.1.4 exits 0 even when type checking stopped it, so the output file is the verdict.
  if (!fs.existsSync(yamlPath))
    throw new Error(
      `pepr build wrote no ${yamlPath} (exit ${r.status}):\n${`${r.stdout}\n${r.stderr}`.split("\n").slice(-25).join("\n")}`,
    );
  splitWorkloadWebhookFile(yamlPath); // as `npm run build` does after `pepr build`
  const docs = parseAllDocuments(fs.readFileSync(yamlPath, "utf8"))
    .map(d => d.toJS() as K8sDoc)
    .filter(Boolean);
  built = { yamlPath, docs };
  return built;
}

/** Every rule of every Role/ClusterRole in a set of documents. */
export function rulesOf(docs: readonly K8sDoc[]): Array<{ role: string; rule: PolicyRule }> {
  return docs
    .filter(d => d.kind === "ClusterRole" || d.kind === "Role")
    .flatMap(d =>
      ((d.rules as PolicyRule[] | undefined) ?? []).map(rule => ({
        role: `${d.kind}/${d.metadata.name}`,
        rule,
      })),
    );
}
