/**
 * Writes the permission tables of docs/security.md from the RBAC the cluster gets: the agent's
 * ClusterRole of manifests/agent/rbac.yaml and the Pepr module's ClusterRole as `pepr build`
 * renders it (scripts/rbac-manifests.ts), each row with its reason from scripts/rbac-reasons.ts.
 *
 *   tsx scripts/gen-security-tables.ts           rewrite the generated regions of docs/security.md
 *   tsx scripts/gen-security-tables.ts --check   exit 1 when the page differs from the manifests,
 *                                                or a rule has no reason (run by `npm test`)
 *
 * Only the text between the markers is touched; the rest of the page is hand-written.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { agentRbacDocs, peprRbacDocs, type PolicyRule, type RbacDoc } from "./rbac-manifests.js";
import { AGENT_REASONS, PEPR_REASONS } from "./rbac-reasons.js";

export const SECURITY_DOC = fileURLToPath(new URL("../docs/security.md", import.meta.url));

export interface Region {
  /** Marker name: `<!-- BEGIN GENERATED <name> ... -->` ... `<!-- END GENERATED <name> -->`. */
  name: string;
  role: RbacDoc;
  reasons: Record<string, string>;
}

export function regions(): Region[] {
  const clusterRole = (docs: RbacDoc[], what: string) => {
    const roles = docs.filter(d => d.kind === "ClusterRole");
    if (roles.length !== 1)
      throw new Error(`${what}: expected one ClusterRole, found ${roles.length}`);
    return roles[0]!;
  };
  return [
    {
      name: "agent-permissions",
      role: clusterRole(agentRbacDocs(), "manifests/agent/rbac.yaml"),
      reasons: AGENT_REASONS,
    },
    {
      name: "pepr-permissions",
      role: clusterRole(peprRbacDocs(), "package.json pepr.rbac"),
      reasons: PEPR_REASONS,
    },
  ];
}

const key = (group: string, resource: string) => `${group}/${resource}`;
const code = (s: string) => `\`${s}\``;

/** The table of one role, one row per resource of each rule, in the manifest's order. */
export function renderTable(region: Region): { text: string; problems: string[] } {
  const problems: string[] = [];
  const used = new Set<string>();
  const rows = ["| role | API group | resource | verbs | why |", "|---|---|---|---|---|"];
  for (const rule of region.role.rules ?? ([] as PolicyRule[])) {
    for (const group of rule.apiGroups ?? [""]) {
      for (const resource of rule.resources ?? []) {
        const k = key(group, resource);
        used.add(k);
        const why = region.reasons[k];
        if (!why)
          problems.push(
            `${region.role.metadata.name}: no reason for ${rule.verbs.join(",")} on ${k || resource} (scripts/rbac-reasons.ts)`,
          );
        const names = rule.resourceNames?.length
          ? ` (only ${rule.resourceNames.map(code).join(", ")})`
          : "";
        rows.push(
          `| ${region.role.metadata.name} | ${group || "core"} | ${code(resource)}${names} | ${rule.verbs.join(", ")} | ${why ?? "**no reason given**"} |`,
        );
      }
    }
  }
  for (const k of Object.keys(region.reasons)) {
    if (!used.has(k))
      problems.push(
        `${region.role.metadata.name}: reason for ${k}, which no rule grants (scripts/rbac-reasons.ts)`,
      );
  }
  return { text: rows.join("\n"), problems };
}

function markers(name: string): { begin: string; end: string } {
  return {
    begin: `<!-- BEGIN GENERATED ${name} by scripts/gen-security-tables.ts from the RBAC manifests and scripts/rbac-reasons.ts; do not edit -->`,
    end: `<!-- END GENERATED ${name} -->`,
  };
}

/** The page with each region's text replaced; problems name missing markers and reasons. */
export function renderDoc(doc: string, all = regions()): { text: string; problems: string[] } {
  const problems: string[] = [];
  let text = doc;
  for (const region of all) {
    const { begin, end } = markers(region.name);
    const from = text.indexOf(begin);
    const to = text.indexOf(end);
    if (from < 0 || to < from) {
      problems.push(
        `docs/security.md: no region ${region.name} (add the lines "${begin}" and "${end}")`,
      );
      continue;
    }
    const table = renderTable(region);
    problems.push(...table.problems);
    text = `${text.slice(0, from)}${begin}\n${table.text}\n${text.slice(to)}`;
  }
  return { text, problems };
}

/** CLI entry point; returns the process exit code. */
export function main(argv: string[], file = SECURITY_DOC): number {
  const unknown = argv.filter(arg => arg !== "--check");
  if (unknown.length > 0) {
    console.error(
      `usage: gen-security-tables [--check]; unknown argument(s): ${unknown.join(" ")}`,
    );
    return 2;
  }
  const doc = fs.readFileSync(file, "utf8");
  const { text, problems } = renderDoc(doc);
  for (const p of problems) console.error(p);
  if (problems.length > 0) return 1;
  const rel = path.relative(process.cwd(), file);
  if (argv.includes("--check")) {
    if (text !== doc) {
      console.error(
        `${rel}: permission tables differ from the RBAC manifests: run \`npm run gen:security\` and commit ${rel}.`,
      );
      return 1;
    }
    console.log(`${rel}: permission tables match the RBAC manifests`);
    return 0;
  }
  fs.writeFileSync(file, text);
  console.log(`wrote ${rel}`);
  return 0;
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href
) {
  process.exitCode = main(process.argv.slice(2));
}
