/**
 * The RBAC objects of our two identities, as a cluster receives them: the agent's from
 * manifests/agent/rbac.yaml, the Pepr module's rendered the way `pepr build` (pepr 1.1.4,
 * `rbacMode: scoped`) renders them from `pepr.rbac` in package.json. Shared by the local cluster
 * (e2e/cluster/identities.ts applies them) and by scripts/gen-security-tables.ts (docs/security.md),
 * so what the tests run under and what the page lists are the same objects.
 *
 * Build- and test-time only: never bundled into the module or the agent.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

export interface RbacDoc {
  apiVersion: string;
  kind: "ServiceAccount" | "ClusterRole" | "ClusterRoleBinding" | "Role" | "RoleBinding";
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: PolicyRule[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
}

export const AGENT_RBAC_FILE = fileURLToPath(
  new URL("../manifests/agent/rbac.yaml", import.meta.url),
);
const PACKAGE_JSON = fileURLToPath(new URL("../package.json", import.meta.url));

/** Pepr puts the module's ServiceAccount, store and Deployments in this namespace. */
export const PEPR_NAMESPACE = "pepr-system";

/**
 * What pepr 1.1.4 adds to every scoped ClusterRole whatever the module does
 * (`createRBACMap` in node_modules/pepr/src/lib/helpers.ts): its store, and the right to
 * server-side-apply the store's CRD at start. The `watch` rule Pepr derives from each
 * `When(...).Watch()` binding is not rendered here: every watched kind has a `pepr.rbac` rule of
 * its own (one resource per rule, so Pepr merges its rule into ours) that already grants `watch`,
 * besides the `list` Pepr's watches need and does not add. e2e/suites/install-rbac.e2e.ts compares
 * this rendering with the real `pepr build` output, so a binding on a kind without such a rule
 * shows up there.
 */
export const PEPR_FORCED_RULES: readonly PolicyRule[] = [
  {
    apiGroups: ["pepr.dev"],
    resources: ["peprstores"],
    verbs: ["create", "get", "patch", "watch"],
  },
  {
    apiGroups: ["apiextensions.k8s.io"],
    resources: ["customresourcedefinitions"],
    verbs: ["patch", "create"],
  },
];

/** The agent's ServiceAccount, ClusterRole and binding, exactly as the manifest has them. */
export function agentRbacDocs(file = AGENT_RBAC_FILE): RbacDoc[] {
  return parseAllDocuments(fs.readFileSync(file, "utf8"))
    .map(d => d.toJS() as RbacDoc | null)
    .filter((d): d is RbacDoc => d !== null);
}

interface PeprConfig {
  uuid: string;
  rbacMode?: string;
  rbac?: PolicyRule[];
}

export function peprConfig(file = PACKAGE_JSON): PeprConfig {
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { pepr: PeprConfig }).pepr;
}

/** The module's identity: `pepr-<uuid>`, in every object Pepr renders. */
export function peprName(config = peprConfig()): string {
  return `pepr-${config.uuid}`;
}

/**
 * The scoped ClusterRole's rules: our rules first, then Pepr's; rules with the same API groups
 * and resources are merged into one with the union of their verbs, as Pepr's de-duplication does.
 */
export function peprClusterRoleRules(config = peprConfig()): PolicyRule[] {
  if (config.rbacMode !== "scoped")
    throw new Error(
      `package.json pepr.rbacMode is ${JSON.stringify(config.rbacMode)}: only "scoped" keeps the module to its rules (docs/security.md)`,
    );
  const merged = new Map<string, PolicyRule>();
  for (const rule of [...(config.rbac ?? []), ...PEPR_FORCED_RULES]) {
    const key = `${String(rule.apiGroups)}/${String(rule.resources)}`;
    const seen = merged.get(key);
    if (seen) seen.verbs = [...new Set([...seen.verbs, ...rule.verbs])];
    else merged.set(key, { ...rule, verbs: [...rule.verbs] });
  }
  return [...merged.values()];
}

/**
 * The module's ServiceAccount, ClusterRole and binding, plus the store Role and RoleBinding Pepr
 * renders for a ServiceAccount `<name>-store` it never creates (docs/security.md).
 */
export function peprRbacDocs(config = peprConfig()): RbacDoc[] {
  const name = peprName(config);
  const rbac = "rbac.authorization.k8s.io/v1";
  const store = `${name}-store`;
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: PEPR_NAMESPACE } },
    {
      apiVersion: rbac,
      kind: "ClusterRole",
      metadata: { name },
      rules: peprClusterRoleRules(config),
    },
    {
      apiVersion: rbac,
      kind: "ClusterRoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name, namespace: PEPR_NAMESPACE }],
    },
    {
      apiVersion: rbac,
      kind: "Role",
      metadata: { name: store, namespace: PEPR_NAMESPACE },
      rules: [
        {
          apiGroups: ["pepr.dev"],
          resources: ["peprstores"],
          resourceNames: [""],
          verbs: ["create", "get", "patch", "watch"],
        },
      ],
    },
    {
      apiVersion: rbac,
      kind: "RoleBinding",
      metadata: { name: store, namespace: PEPR_NAMESPACE },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: store },
      subjects: [{ kind: "ServiceAccount", name: store, namespace: PEPR_NAMESPACE }],
    },
  ];
}
