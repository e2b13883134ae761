import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { kubectl, loadState } from "../cluster/cluster.js";
import { paths, repoRoot } from "../cluster/paths.js";
import { buildAgent } from "../../scripts/build-agent.js";
import { startProbeAgent, type ProbeAgent } from "../support/probe-agent.js";
import { peprBuild, type K8sDoc } from "./install-pepr-build.js";
import { peprRbacDocs, type PolicyRule } from "../../scripts/rbac-manifests.js";

const AGENT = "system:serviceaccount:kube-system:spiderpool-agent";
const PEPR = "system:serviceaccount:pepr-system:pepr-spiderpool";

/**
 * `kubectl auth can-i` as a ServiceAccount: "yes" exits 0, "no" exits 1. `res[sub]` asks for a
 * subresource (`res/name` would ask for an object named `name`).
 */
function canI(as: string, verb: string, resource: string, namespace?: string): boolean {
  const state = loadState();
  assert.ok(state, "cluster is up");
  const sub = /^(.+)\[(.+)\]$/.exec(resource);
  const target = sub ? [sub[1]!, `--subresource=${sub[2]}`] : [resource];
  try {
    execFileSync(
      path.join(state.binDir, "kubectl"),
      [
        "--kubeconfig",
        paths.kubeconfig,
        "auth",
        "can-i",
        verb,
        ...target,
        `--as=${as}`,
        ...(namespace ? ["-n", namespace] : []),
      ],
      { stdio: "pipe" },
    );
    return true;
  } catch (e) {
    const status = (e as { status?: number }).status;
    if (status === 1) return false;
    throw e;
  }
}

type Check = [verb: string, resource: string, namespace?: string];

/** What the agent does (lib/agent): docs/security.md gives the reason for each. */
const AGENT_MAY: Check[] = [
  ["list", "pods"],
  ["watch", "pods"],
  ["get", "pods", "any-ns"],
  ["list", "namespaces"],
  ["watch", "namespaces"],
  ["get", "namespaces"],
  ["list", "nodes"],
  ["watch", "nodes"],
  ["create", "events", "any-ns"],
  ["patch", "events", "any-ns"],
  ["get", "replicasets.apps", "any-ns"],
  ["get", "statefulsets.apps", "any-ns"],
  ["get", "jobs.batch", "any-ns"],
  ["list", "spiderippools.spiderpool.spidernet.io"],
  ["watch", "spiderippools.spiderpool.spidernet.io"],
  ["create", "spiderippools.spiderpool.spidernet.io"],
  ["patch", "spiderippools.spiderpool.spidernet.io"],
  ["list", "spidersubnets.spiderpool.spidernet.io"],
  ["watch", "spiderreservedips.spiderpool.spidernet.io"],
  ["update", "spidersubnets.spiderpool.spidernet.io[status]"],
  ["get", "spiderendpoints.spiderpool.spidernet.io", "any-ns"],
  ["create", "spiderendpoints.spiderpool.spidernet.io", "any-ns"],
  ["update", "spiderendpoints.spiderpool.spidernet.io", "any-ns"],
  ["patch", "spiderendpoints.spiderpool.spidernet.io", "any-ns"],
  ["delete", "spiderendpoints.spiderpool.spidernet.io", "any-ns"],
  ["create", "ipclaims.ipam.pepr-spiderpool.io"],
  ["delete", "ipclaims.ipam.pepr-spiderpool.io"],
  ["patch", "ipclaims.ipam.pepr-spiderpool.io"],
  ["list", "ipclaims.ipam.pepr-spiderpool.io"],
  ["watch", "ipclaims.ipam.pepr-spiderpool.io"],
  ["get", "spidercoordinators.spiderpool.spidernet.io"],
  ["watch", "spidercoordinators.spiderpool.spidernet.io"],
];
const AGENT_MAY_NOT: Check[] = [
  ["get", "secrets", "kube-system"],
  ["list", "secrets"],
  ["get", "configmaps", "kube-system"],
  ["create", "pods", "any-ns"],
  ["delete", "pods", "any-ns"],
  ["patch", "pods", "any-ns"],
  ["update", "pods[status]", "any-ns"],
  ["patch", "nodes"],
  ["delete", "namespaces"],
  ["delete", "spiderippools.spiderpool.spidernet.io"],
  ["update", "spiderippools.spiderpool.spidernet.io"],
  ["patch", "spiderippools.spiderpool.spidernet.io[status]"],
  ["create", "spidersubnets.spiderpool.spidernet.io"],
  ["patch", "spidersubnets.spiderpool.spidernet.io"],
  ["create", "spiderreservedips.spiderpool.spidernet.io"],
  ["update", "ipclaims.ipam.pepr-spiderpool.io"],
  ["patch", "spidercoordinators.spiderpool.spidernet.io"],
  ["list", "deployments.apps"],
  ["create", "daemonsets.apps", "kube-system"],
  ["create", "clusterroles.rbac.authorization.k8s.io"],
  ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
  ["create", "customresourcedefinitions.apiextensions.k8s.io"],
  ["create", "mutatingwebhookconfigurations.admissionregistration.k8s.io"],
  ["impersonate", "serviceaccounts"],
  ["create", "serviceaccounts[token]", "kube-system"],
];

/** What admission (capabilities/) and the watcher (lib/watcher) do, plus what Pepr itself needs. */
const PEPR_MAY: Check[] = [
  ["get", "configmaps/spiderpool-conf", "kube-system"],
  ["list", "pods"],
  ["watch", "pods"],
  ["get", "pods", "any-ns"],
  ["list", "nodes"],
  ["watch", "nodes"],
  ["list", "namespaces"],
  ["create", "events", "any-ns"],
  ["list", "deployments.apps"],
  ["watch", "statefulsets.apps"],
  ["list", "daemonsets.apps"],
  ["list", "replicasets.apps"],
  ["list", "jobs.batch"],
  ["watch", "cronjobs.batch"],
  ["create", "spiderippools.spiderpool.spidernet.io"],
  ["delete", "spiderippools.spiderpool.spidernet.io"],
  ["patch", "spiderippools.spiderpool.spidernet.io"],
  ["patch", "spiderippools.spiderpool.spidernet.io[status]"],
  ["update", "spidersubnets.spiderpool.spidernet.io[status]"],
  ["patch", "spidersubnets.spiderpool.spidernet.io"],
  ["list", "spiderreservedips.spiderpool.spidernet.io"],
  ["watch", "spiderendpoints.spiderpool.spidernet.io"],
  ["patch", "spiderendpoints.spiderpool.spidernet.io", "any-ns"],
  ["list", "ipclaims.ipam.pepr-spiderpool.io"],
  ["delete", "ipclaims.ipam.pepr-spiderpool.io"],
  ["create", "ipclaims.ipam.pepr-spiderpool.io"],
  ["get", "peprstores.pepr.dev", "pepr-system"],
  ["list", "peprstores.pepr.dev", "pepr-system"],
  ["patch", "peprstores.pepr.dev", "pepr-system"],
];
const PEPR_MAY_NOT: Check[] = [
  ["get", "configmaps/other", "kube-system"],
  ["list", "configmaps", "kube-system"],
  ["get", "secrets", "pepr-system"],
  ["list", "secrets"],
  ["create", "pods", "any-ns"],
  ["delete", "pods", "any-ns"],
  ["patch", "nodes"],
  ["delete", "namespaces"],
  ["create", "deployments.apps", "any-ns"],
  ["delete", "statefulsets.apps", "any-ns"],
  ["create", "daemonsets.apps", "kube-system"],
  ["patch", "ipclaims.ipam.pepr-spiderpool.io"],
  ["update", "spiderippools.spiderpool.spidernet.io"],
  ["create", "spiderreservedips.spiderpool.spidernet.io"],
  ["delete", "spiderreservedips.spiderpool.spidernet.io"],
  ["create", "spiderendpoints.spiderpool.spidernet.io", "any-ns"],
  ["create", "clusterroles.rbac.authorization.k8s.io"],
  ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
  ["escalate", "clusterroles.rbac.authorization.k8s.io"],
  ["bind", "clusterroles.rbac.authorization.k8s.io"],
  ["impersonate", "users"],
  ["create", "mutatingwebhookconfigurations.admissionregistration.k8s.io"],
  ["delete", "customresourcedefinitions.apiextensions.k8s.io"],
];

/**
 * The RBAC of each component, applied for real: its identity can do its job and no more. The
 * agent's is also proven by running the built agent with only its ServiceAccount token: it
 * syncs every watch cache and reports ready.
 */
describe("install: RBAC of the agent and the Pepr module", function () {
  let peprRbac: K8sDoc[] = [];
  const agentRbac = path.join(repoRoot, "manifests/agent/rbac.yaml");

  before(() => {
    kubectl(["apply", "--server-side", "-f", agentRbac]);
    peprRbac = peprBuild().docs.filter(d =>
      ["ClusterRole", "ClusterRoleBinding", "ServiceAccount"].includes(d.kind),
    );
    kubectl(
      ["apply", "--server-side", "--force-conflicts", "-f", "-"],
      peprRbac.map(d => stringify(d)).join("---\n"),
    );
  });
  // Nothing is deleted afterwards: the cluster installed these objects at up
  // (e2e/cluster/identities.ts) and every later suite runs its agents and module under them.

  it("the local cluster runs the module under the ClusterRole `pepr build` renders", () => {
    const built = peprRbac.find(d => d.kind === "ClusterRole");
    const ours = peprRbacDocs().find(d => d.kind === "ClusterRole");
    // Same rules whatever the key order of each: fields in a fixed order, verbs sorted.
    const norm = (rules: unknown) =>
      (rules as PolicyRule[])
        .map(r =>
          JSON.stringify([r.apiGroups, r.resources, r.resourceNames ?? [], [...r.verbs].sort()]),
        )
        .sort();
    assert.equal(ours?.metadata.name, built?.metadata.name);
    assert.deepEqual(norm(ours?.rules), norm(built?.rules));
  });

  for (const [who, as, may, mayNot] of [
    ["agent", AGENT, AGENT_MAY, AGENT_MAY_NOT],
    ["Pepr module", PEPR, PEPR_MAY, PEPR_MAY_NOT],
  ] as const) {
    it(`the ${who} may do its job`, () => {
      const denied = may.filter(([v, r, ns]) => !canI(as, v, r, ns)).map(c => c.join(" "));
      assert.deepEqual(denied, [], `denied to ${as}`);
    });
    it(`the ${who} may do nothing else`, () => {
      const allowed = mayNot.filter(([v, r, ns]) => canI(as, v, r, ns)).map(c => c.join(" "));
      assert.deepEqual(allowed, [], `allowed to ${as}`);
    });
  }

  it("docs/security.md lists every rule of the agent and of the module", () => {
    const doc = fs.readFileSync(path.join(repoRoot, "docs/security.md"), "utf8");
    const rules = [
      ...parseAllDocuments(fs.readFileSync(agentRbac, "utf8")).map(d => d.toJS() as K8sDoc),
      ...peprRbac,
    ].flatMap(d =>
      d.kind === "ClusterRole"
        ? ((d.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) ?? []).map(
            r => ({ role: d.metadata.name, r }),
          )
        : [],
    );
    const missing: string[] = [];
    for (const { role, r } of rules) {
      for (const resource of r.resources) {
        for (const verb of r.verbs) {
          // A table row of the role's section: | group | resource | verbs | why |
          const row = doc
            .split("\n")
            .find(
              l =>
                l.startsWith("|") &&
                l.includes(`\`${resource}\``) &&
                l.includes(`${role}`) &&
                new RegExp(`\\b${verb}\\b`).test(l),
            );
          if (!row) missing.push(`${role}: ${verb} ${resource}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it("the built agent starts and syncs its caches with nothing but its ServiceAccount's rights", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-sa-"));
    let agent: ProbeAgent | undefined;
    try {
      const token = kubectl([
        "-n",
        "kube-system",
        "create",
        "token",
        "spiderpool-agent",
        "--duration=10m",
      ]).trim();
      const admin = kubectl(["config", "view", "--raw", "--minify", "-o", "json"]);
      const cluster = (JSON.parse(admin) as { clusters: { cluster: Record<string, string> }[] })
        .clusters[0]!.cluster;
      const kubeconfig = path.join(dir, "kubeconfig");
      fs.writeFileSync(
        kubeconfig,
        stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: "c", cluster }],
          users: [{ name: "agent", user: { token } }],
          contexts: [{ name: "c", context: { cluster: "c", user: "agent" } }],
          "current-context": "c",
        }),
      );
      const bundle = (await buildAgent(path.join(dir, "spiderpool-agent.cjs"))).path;
      const conf = path.join(dir, "conf.yml");
      fs.writeFileSync(conf, "");
      agent = await startProbeAgent({
        bundle,
        conf,
        kubeconfig,
        node: "rbac-probe-node",
        dir,
        what: "agent with its ServiceAccount token: ready",
      });
      const forbidden = agent
        .stderr()
        .split("\n")
        .filter(l => /forbidden/i.test(l));
      assert.deepEqual(forbidden, [], "no watch was refused");
    } finally {
      agent?.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
