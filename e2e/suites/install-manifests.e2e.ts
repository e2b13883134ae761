import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments, parse as parseYaml, stringify } from "yaml";
import { kubectl } from "../cluster/cluster.js";
import { repoRoot } from "../cluster/paths.js";
import { parseConfig, SpiderpoolConfigSchema } from "../../lib/schemas/config.js";
import { AgentMetrics } from "../../lib/agent/metrics.js";
import { WatcherMetrics } from "../../lib/watcher/metrics.js";
import { ApiActivity } from "../../lib/k8s/api-activity.js";
import { peprBuild, rulesOf, type K8sDoc } from "./install-pepr-build.js";

const manifests = path.join(repoRoot, "manifests");
const docsIn = (yaml: string) =>
  parseAllDocuments(yaml)
    .map(d => d.toJS() as K8sDoc)
    .filter(Boolean);

/**
 * Every manifest an operator applies is accepted by the real API server (server-side dry run,
 * with its admission chain and our webhooks), and the generated Pepr module is what the install
 * docs promise: both Deployments, the configuration namespace, no wildcard RBAC.
 */
describe("install: manifests against the real API server", function () {
  it("the kustomization lists every generated CRD", () => {
    const k = parseYaml(fs.readFileSync(path.join(manifests, "kustomization.yaml"), "utf8")) as {
      resources: string[];
    };
    const crds = fs
      .readdirSync(path.join(manifests, "crds"))
      .filter(f => f.endsWith(".yaml"))
      .map(f => `crds/${f}`);
    assert.ok(crds.length >= 5, `CRDs found: ${crds.join(", ")}`);
    assert.deepEqual(k.resources.filter(r => r.startsWith("crds/")).sort(), crds.sort());
  });

  it("the ConfigMap's conf.yml names every key, each with its default, and parses", () => {
    const cm = docsIn(
      fs.readFileSync(path.join(manifests, "agent/configmap.yaml"), "utf8"),
    )[0] as K8sDoc & { data: Record<string, string> };
    assert.equal(cm.metadata.name, "spiderpool-conf");
    const raw = parseYaml(cm.data["conf.yml"] ?? "") as Record<string, unknown>;
    const parsed = parseConfig(raw);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.errors.join("\n"));
    const defaults = parseConfig({});
    assert.ok(parsed.ok && defaults.ok);
    assert.deepEqual(parsed.value, defaults.value, "the shipped file states the defaults");
    // Every key is written out, so operators see every knob (aliases excepted).
    const keys = Object.keys(SpiderpoolConfigSchema.shape).filter(
      k => k !== "clusterSubnetDefaultFlexibleIPNumber",
    );
    assert.deepEqual(Object.keys(raw).sort(), keys.sort());
  });

  it("the agent DaemonSet runs on every node on the host network with the socket, config and CNI directories", () => {
    const rendered = docsIn(kubectl(["kustomize", manifests]));
    const ds = rendered.find(d => d.kind === "DaemonSet") as K8sDoc & {
      spec: { template: { spec: Record<string, unknown> } };
    };
    assert.ok(ds, "a DaemonSet");
    const pod = ds.spec.template.spec as {
      hostNetwork: boolean;
      tolerations: { operator: string; key?: string }[];
      serviceAccountName: string;
      initContainers: {
        name: string;
        image: string;
        env?: { name: string; value?: string }[];
        volumeMounts: { name: string; mountPath: string }[];
      }[];
      containers: {
        image: string;
        command: string[];
        env: { name: string; value?: string }[];
        volumeMounts: { name: string; mountPath: string }[];
      }[];
      volumes: { name: string; hostPath?: { path: string }; configMap?: { name: string } }[];
    };
    assert.equal(pod.hostNetwork, true);
    assert.ok(
      pod.tolerations.some(t => t.operator === "Exists" && !t.key),
      "tolerates every taint",
    );
    assert.equal(pod.serviceAccountName, "spiderpool-agent");
    const agent = pod.containers[0]!;
    const mount = (name: string) => agent.volumeMounts.find(m => m.name === name)?.mountPath;
    const volume = (name: string) => pod.volumes.find(v => v.name === name);
    assert.equal(volume("spidernet-run")?.hostPath?.path, "/var/run/spidernet");
    assert.equal(mount("spidernet-run"), "/var/run/spidernet");
    assert.equal(volume("config")?.configMap?.name, "spiderpool-conf");
    assert.ok(
      agent.command.includes(`--config-path=${mount("config")}/conf.yml`),
      agent.command.join(" "),
    );
    assert.equal(`${mount("config")}/conf.yml`, "/tmp/spiderpool/config-map/conf.yml");
    for (const env of [
      "SPIDERPOOL_NODE_NAME",
      "SPIDERPOOL_POD_NAMESPACE",
      "SPIDERPOOL_POD_NAME",
      "SPIDERPOOL_LOG_LEVEL",
      "SPIDERPOOL_HEALTH_PORT",
      "SPIDERPOOL_METRIC_HTTP_PORT",
      "MULTUS_CLUSTER_NETWORK",
    ]) {
      assert.ok(
        agent.env.some(e => e.name === env),
        `env ${env}`,
      );
    }
    const installer = pod.initContainers.find(c => c.name === "install-cni");
    assert.ok(installer, "CNI installer initContainer");
    assert.equal(installer.image, agent.image, "installer and agent come from one image");
    assert.equal(volume("cni-bin")?.hostPath?.path, "/opt/cni/bin");
    // The installer's node file and the agent's settings name the same plugin directories, the ones mounted.
    for (const [env, volumeName] of [
      ["SPIDERPOOL_PLUGIN_LOG_DIR", "spidernet-log"],
      ["SPIDERPOOL_PLUGIN_RUN_DIR", "spidernet-run"],
    ] as const) {
      const value = (c: { env?: { name: string; value?: string }[] }) =>
        c.env?.find(e => e.name === env)?.value;
      assert.equal(value(installer), value(agent), env);
      assert.equal(value(agent), volume(volumeName)?.hostPath?.path, env);
      assert.equal(value(agent), mount(volumeName), env);
    }
    assert.match(
      agent.image,
      /^[^:]+\/spiderpool-agent:[\w.-]+$/,
      "the kustomization sets the agent image",
    );
  });

  it("every manifest passes a server-side dry run", () => {
    const out = [
      kubectl(["apply", "--dry-run=server", "--server-side", "-k", manifests]),
      kubectl(["apply", "--dry-run=server", "--server-side", "-k", path.join(manifests, "pepr")]),
      kubectl([
        "apply",
        "--dry-run=server",
        "--server-side",
        "-k",
        path.join(manifests, "grafana"),
      ]),
    ].join("\n");
    for (const kind of [
      "customresourcedefinition",
      "serviceaccount",
      "clusterrole",
      "clusterrolebinding",
      "configmap",
      "daemonset",
      "service",
    ]) {
      assert.match(out, new RegExp(`^${kind}[./]`, "m"), `${kind} applied:\n${out}`);
    }
    assert.doesNotMatch(out, /error/i);
  });

  it("pepr build emits the admission and watcher Deployments, with the configuration namespace, and dry-runs cleanly", () => {
    const { yamlPath, docs } = peprBuild();
    const deployments = docs.filter(d => d.kind === "Deployment") as Array<
      K8sDoc & {
        spec: {
          template: {
            spec: { containers: { image: string; env: { name: string; value: string }[] }[] };
          };
        };
      }
    >;
    const names = deployments.map(d => d.metadata.name).sort();
    assert.deepEqual(
      names,
      ["pepr-spiderpool", "pepr-spiderpool-watcher"],
      "the watcher runs lib/watcher (pool status, GC): it must be deployed",
    );
    for (const d of deployments) {
      const c = d.spec.template.spec.containers[0]!;
      assert.equal(c.image, "ghcr.io/defenseunicorns/pepr/controller:v1.1.4");
      assert.equal(
        c.env.find(e => e.name === "SPIDERPOOL_NAMESPACE")?.value,
        "kube-system",
        `${d.metadata.name}: reads ConfigMap kube-system/spiderpool-conf`,
      );
    }
    const secret = docs.find(
      d => d.kind === "Secret" && d.metadata.name === "pepr-spiderpool-module",
    ) as K8sDoc & { data: Record<string, string> };
    const bytes = Object.values(secret.data).reduce(
      (n, v) => n + Buffer.from(v, "base64").length,
      0,
    );
    assert.ok(
      bytes < 900 * 1024,
      `module Secret carries ${bytes} bytes; the object limit is 1 MiB`,
    );
    // Workloads are checked by an entry of their own that fails open; Spider kinds fail closed.
    const validating = docs.find(d => d.kind === "ValidatingWebhookConfiguration") as K8sDoc & {
      webhooks: {
        name: string;
        failurePolicy: string;
        rules: { apiGroups: string[]; resources: string[] }[];
      }[];
    };
    const entries = validating.webhooks.map(w => [
      w.name,
      w.failurePolicy,
      w.rules
        .flatMap(r => r.apiGroups)
        .sort()
        .filter((g, i, a) => a.indexOf(g) === i),
    ]);
    assert.deepEqual(entries, [
      ["pepr-spiderpool.pepr.dev", "Fail", ["spiderpool.spidernet.io"]],
      ["pepr-spiderpool-workloads.pepr.dev", "Ignore", ["apps", "batch"]],
    ]);
    assert.deepEqual(validating.webhooks[1]!.rules.flatMap(r => r.resources).sort(), [
      "cronjobs",
      "daemonsets",
      "deployments",
      "jobs",
      "replicasets",
      "statefulsets",
    ]);
    // The local cluster registers its own webhook configurations of these names (with URLs),
    // so the generated ones are checked under names of their own.
    const forDryRun = docs.map(d =>
      d.kind.endsWith("WebhookConfiguration")
        ? { ...d, metadata: { ...d.metadata, name: `${d.metadata.name}-install-check` } }
        : d,
    );
    assert.ok(fs.existsSync(yamlPath));
    const out = kubectl(
      ["apply", "--dry-run=server", "--server-side", "--force-conflicts", "-f", "-"],
      forDryRun.map(d => stringify(d)).join("---\n"),
    );
    assert.match(
      out,
      /deployment\.apps\/pepr-spiderpool-watcher serverside-applied \(server dry run\)/,
    );
    assert.match(
      out,
      /validatingwebhookconfiguration\.admissionregistration\.k8s\.io\/pepr-spiderpool-install-check serverside-applied/,
    );
    assert.match(
      out,
      /mutatingwebhookconfiguration\.admissionregistration\.k8s\.io\/pepr-spiderpool-install-check serverside-applied/,
    );
  });

  it("no RBAC rule of ours or of the generated module uses a wildcard", () => {
    const ours = docsIn(kubectl(["kustomize", manifests]));
    for (const { role, rule } of [...rulesOf(ours), ...rulesOf(peprBuild().docs)]) {
      for (const field of [
        "apiGroups",
        "resources",
        "verbs",
        "resourceNames",
        "nonResourceURLs",
      ] as const) {
        assert.ok(
          !(rule[field] ?? []).some(v => v.includes("*")),
          `${role}: ${field} ${JSON.stringify(rule[field])}`,
        );
      }
    }
  });

  it("the Grafana dashboard queries only metrics the agent and watcher serve, and docs/usage/metrics.md lists them all", async () => {
    const served = new Set<string>();
    for (const registry of [
      new AgentMetrics().watchApi(new ApiActivity()).registry,
      new WatcherMetrics().watchApi(new ApiActivity()).registry,
    ]) {
      for (const m of await registry.getMetricsAsJSON()) served.add(m.name);
    }
    const dashboard = fs.readFileSync(
      path.join(manifests, "grafana/spiderpool-dashboard.json"),
      "utf8",
    );
    const queried = new Set(
      [...dashboard.matchAll(/spiderpool_[a-z_]+/g)].map(m =>
        m[0].replace(/_(bucket|sum|count)$/, ""),
      ),
    );
    assert.ok(queried.size > 10, `queried: ${[...queried].join(", ")}`);
    // The dashboard matches `name(_total)?`, so it keeps working whichever way a counter is exposed.
    const servedBase = new Set([...served].map(n => n.replace(/_total$/, "")));
    assert.deepEqual(
      [...queried].filter(n => !servedBase.has(n)),
      [],
      "queried but not served",
    );
    const doc = fs.readFileSync(path.join(repoRoot, "docs/usage/metrics.md"), "utf8");
    // prom-client's standard families are documented by prefix; every metric of ours by name.
    const standard = (n: string) => ["process_", "nodejs_"].find(prefix => n.startsWith(prefix));
    assert.deepEqual(
      [...served].filter(n => !standard(n) && !doc.includes(`\`${n}\``)).sort(),
      [],
      "served but not documented",
    );
    const families = new Set([...served].map(standard).filter((p): p is string => !!p));
    assert.deepEqual(
      [...families].filter(p => !doc.includes(`\`${p}*\``)),
      [],
      "standard metric families served but not documented",
    );
  });
});
