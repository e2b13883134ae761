import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { K8sError } from "../../lib/k8s/k8s-error.js";
import { parseConfig } from "../../lib/schemas/config.js";
import { assembleChart } from "../../scripts/build-chart.js";
import { run } from "../../scripts/helm-binary.js";
import {
  adminClient,
  kubectl,
  loadState,
  restartAgent,
  restartPeprWatcher,
  startPeprAdmissionAgain,
  stopPeprAdmission,
  type ClusterState,
} from "../cluster/cluster.js";
import { inCluster } from "../cluster/deployed-install.js";
import { installIdentities } from "../cluster/identities.js";
import { paths, repoRoot } from "../cluster/paths.js";
import { registerWebhooks } from "../cluster/pepr-module.js";
import { waitUntil } from "../cluster/readiness.js";

const CONFIGMAP = "/api/v1/namespaces/kube-system/configmaps/spiderpool-conf";
const DAEMONSET = "/apis/apps/v1/namespaces/kube-system/daemonsets/spiderpool-agent";
const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const WEBHOOKS = {
  validating:
    "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/pepr-spiderpool",
  mutating: "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/pepr-spiderpool",
};
/** What the release creates besides the CRDs, by API path: all of it must go at uninstall. */
const RELEASE_OBJECTS = [
  CONFIGMAP,
  DAEMONSET,
  "/api/v1/namespaces/kube-system/services/spiderpool-agent",
  "/api/v1/namespaces/kube-system/serviceaccounts/spiderpool-agent",
  "/apis/rbac.authorization.k8s.io/v1/clusterroles/spiderpool-agent",
  "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/spiderpool-agent",
  "/apis/rbac.authorization.k8s.io/v1/clusterroles/pepr-spiderpool",
  "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/pepr-spiderpool",
  "/api/v1/namespaces/pepr-system",
  WEBHOOKS.validating,
  WEBHOOKS.mutating,
];

const crdNames = () =>
  fs
    .readdirSync(path.join(repoRoot, "manifests/crds"))
    .map(
      f =>
        (
          parse(fs.readFileSync(path.join(repoRoot, "manifests/crds", f), "utf8")) as {
            metadata: { name: string };
          }
        ).metadata.name,
    )
    .sort();

async function exists(api: ApiClient, p: string): Promise<boolean> {
  try {
    await api.get(p);
    return true;
  } catch (e) {
    if (e instanceof K8sError && e.code === "not_found") return false;
    throw e;
  }
}

/**
 * The chart (docs/usage/helm.md) installed with the helm built from its Go module, onto the
 * local cluster. That cluster already runs Spiderpool from the kustomize manifests (agents and the
 * Pepr module as processes), so the install is the documented move from that path:
 * `--take-ownership` adopts the objects, CRDs and the pools in them included. The images exist
 * only on real nodes, so this asserts what the API shows; afterwards the suite hands the cluster
 * back to its processes (identities, tokens, webhooks) for the suites after it.
 */
describe("install: helm chart onto the local cluster (install, upgrade, uninstall)", function () {
  this.timeout(600_000);
  let api: ApiClient;
  let state: ClusterState;
  let helm: string;
  let chart: string;
  let tmp: string;
  let configMapBefore: unknown;
  let installed = false;
  const helmIn = (...args: string[]) =>
    run(helm, [...args, "--namespace", "kube-system", "--kubeconfig", paths.kubeconfig]);

  before(async function () {
    const s = loadState();
    if (!s) throw new Error("no local cluster: run under npm run test:e2e");
    if (inCluster(s.install)) {
      // The cluster runs the release (or the manifests) in-cluster already; the real-node suite
      // covers that install. This one moves a cluster of host processes to the chart and back.
      process.stdout.write(
        `      skipped: the cluster was installed with --install ${s.install}\n`,
      );
      this.skip();
    }
    state = s;
    helm = path.join(state.binDir, "helm");
    assert.ok(fs.existsSync(helm), `${helm}: bash e2e/cluster/build-binaries.sh builds it`);
    api = adminClient();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "install-helm-"));
    // The chart of this very source: `pepr build -z chart`, as `npm run build` runs it.
    const out = path.join(repoRoot, "dist/e2e-helm");
    fs.rmSync(out, { recursive: true, force: true });
    const r = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, "node_modules/pepr/dist/cli.js"),
        "build",
        "-o",
        "dist/e2e-helm",
        "-z",
        "chart",
      ],
      {
        cwd: repoRoot,
        encoding: "utf8",
        timeout: 400_000,
        env: { ...process.env, NODE_NO_WARNINGS: "1" },
      },
    );
    const peprChart = path.join(out, "spiderpool-chart");
    if (!fs.existsSync(path.join(peprChart, "Chart.yaml")))
      throw new Error(
        `pepr build -z chart wrote no ${peprChart} (exit ${r.status}):\n${`${r.stdout}\n${r.stderr}`.split("\n").slice(-20).join("\n")}`,
      );
    chart = assembleChart({ peprChart, out: path.join(tmp, "spiderpool") });
    configMapBefore = (await exists(api, CONFIGMAP)) ? await api.get(CONFIGMAP) : undefined;
  });

  after(async () => {
    if (!api) return; // skipped
    // Hand the cluster back to its processes: the release took their identities with it.
    if (installed)
      spawnSync(helm, [
        "uninstall",
        "spiderpool",
        "-n",
        "kube-system",
        "--kubeconfig",
        paths.kubeconfig,
      ]);
    await waitUntil(
      "namespace pepr-system gone",
      async () => !(await exists(api, "/api/v1/namespaces/pepr-system")),
      180_000,
    );
    // The kept CRDs now name Helm as the manager of their fields (and carry its marks): take them
    // back as an operator going back to kustomize does (docs/usage/helm.md), or a later
    // server-side apply of the manifests meets a conflict on them.
    kubectl([
      "apply",
      "--server-side",
      "--force-conflicts",
      "-f",
      path.join(repoRoot, "manifests/crds"),
    ]);
    kubectl([
      "annotate",
      "crd",
      "-l",
      "app.kubernetes.io/part-of=pepr-spiderpool",
      "meta.helm.sh/release-name-",
      "meta.helm.sh/release-namespace-",
      "helm.sh/resource-policy-",
    ]);
    kubectl([
      "label",
      "crd",
      "-l",
      "app.kubernetes.io/part-of=pepr-spiderpool",
      "app.kubernetes.io/managed-by-",
      "app.kubernetes.io/part-of-",
    ]);
    await installIdentities(api);
    if (configMapBefore) {
      const { metadata, data } = configMapBefore as { metadata: { name: string }; data: unknown };
      await api
        .create("/api/v1/namespaces/kube-system/configmaps", {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: metadata.name, namespace: "kube-system" },
          data,
        })
        .catch(() => undefined);
    }
    for (const node of Object.keys(state.agents)) await restartAgent(state, node);
    const apiPath = (
      state.pepr.find(d => d.name === "pepr-admission") as { apiPath?: string } | undefined
    )?.apiPath;
    await restartPeprWatcher(state);
    await stopPeprAdmission(state);
    await startPeprAdmissionAgain(state);
    if (apiPath) await registerWebhooks(api, state.ports.webhook, apiPath);
    api.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("helm install: CRDs established and kept on uninstall, RBAC as the manifests, ConfigMap, webhooks through the Service, DaemonSet scheduled on every node", async () => {
    // The processes' webhooks point at localhost (`url`); the chart's at the Service. Server-side
    // apply would merge the two into an object with both, which the API refuses: on a cluster
    // installed with `npm run deploy` both are Service-based and this step does not exist.
    await api.delete(WEBHOOKS.validating).catch(() => undefined);
    await api.delete(WEBHOOKS.mutating).catch(() => undefined);
    const out = helmIn("install", "spiderpool", chart, "--take-ownership", "--force-conflicts");
    installed = true;
    assert.match(out, /STATUS: deployed/, out);

    for (const name of crdNames()) {
      const crd = await api.get<{
        metadata: { annotations?: Record<string, string> };
        status?: { conditions?: { type: string; status: string }[] };
      }>(`${CRDS}/${name}`);
      assert.equal(crd.metadata.annotations?.["helm.sh/resource-policy"], "keep", name);
      assert.ok(
        crd.status?.conditions?.some(c => c.type === "Established" && c.status === "True"),
        `${name} established`,
      );
    }

    const manifestRules = parseAllDocuments(
      fs.readFileSync(path.join(repoRoot, "manifests/agent/rbac.yaml"), "utf8"),
    )
      .map(d => d.toJS() as { kind: string; rules?: unknown })
      .find(d => d.kind === "ClusterRole")!.rules;
    const role = await api.get<{ rules: unknown; metadata: { labels: Record<string, string> } }>(
      "/apis/rbac.authorization.k8s.io/v1/clusterroles/spiderpool-agent",
    );
    assert.deepEqual(role.rules, manifestRules);
    assert.equal(role.metadata.labels["app.kubernetes.io/managed-by"], "Helm");
    const binding = await api.get<{ subjects: { name: string; namespace: string }[] }>(
      "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/spiderpool-agent",
    );
    assert.deepEqual(
      binding.subjects.map(s => `${s.namespace}/${s.name}`),
      ["kube-system/spiderpool-agent"],
    );

    const cm = await api.get<{ data: Record<string, string> }>(CONFIGMAP);
    const conf = parseConfig(parse(cm.data["conf.yml"]!) as Record<string, unknown>);
    const defaults = parseConfig({});
    assert.ok(conf.ok && defaults.ok, conf.ok ? "" : conf.errors.join("\n"));
    assert.deepEqual(conf.value, defaults.value);

    const vwc = await api.get<{
      webhooks: {
        name: string;
        failurePolicy: string;
        clientConfig: { service?: { namespace: string; name: string }; url?: string };
      }[];
    }>(WEBHOOKS.validating);
    assert.deepEqual(
      vwc.webhooks.map(w => [
        w.name,
        w.failurePolicy,
        w.clientConfig.service?.namespace,
        w.clientConfig.service?.name,
        w.clientConfig.url,
      ]),
      [
        ["pepr-spiderpool.pepr.dev", "Fail", "pepr-system", "pepr-spiderpool", undefined],
        [
          "pepr-spiderpool-workloads.pepr.dev",
          "Ignore",
          "pepr-system",
          "pepr-spiderpool",
          undefined,
        ],
      ],
    );
    assert.ok(await exists(api, WEBHOOKS.mutating), "the mutating webhook configuration");
    for (const d of ["pepr-spiderpool", "pepr-spiderpool-watcher"])
      assert.ok(await exists(api, `/apis/apps/v1/namespaces/pepr-system/deployments/${d}`), d);

    // The DaemonSet controller schedules an agent on every node, whatever its taints.
    const nodes = (await api.get<{ items: unknown[] }>("/api/v1/nodes")).items.length;
    await waitUntil(
      "DaemonSet spiderpool-agent: an agent scheduled on every node",
      async () =>
        (await api.get<{ status?: { desiredNumberScheduled?: number } }>(DAEMONSET)).status
          ?.desiredNumberScheduled === nodes,
      60_000,
    );
  });

  it("helm upgrade with a changed value rewrites conf.yml and rolls the agents' pod template", async () => {
    assert.ok(installed, "installed by the test before");
    type Ds = {
      metadata: { generation: number };
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    const before = await api.get<Ds>(DAEMONSET);
    const out = helmIn(
      "upgrade",
      "spiderpool",
      chart,
      "--reuse-values",
      "--set",
      "ipam.enableIPv6=false,ipam.gc.gcAll.intervalInSecond=300",
    );
    assert.match(out, /STATUS: deployed/, out);
    const cm = await api.get<{ data: Record<string, string> }>(CONFIGMAP);
    const conf = parseConfig(parse(cm.data["conf.yml"]!) as Record<string, unknown>);
    assert.ok(conf.ok, conf.ok ? "" : conf.errors.join("\n"));
    assert.equal(conf.value.enableIPv6, false);
    assert.equal(conf.value.gc.scanAllIntervalSeconds, 300);
    const after = await api.get<Ds>(DAEMONSET);
    assert.notEqual(
      after.spec.template.metadata.annotations["checksum/config"],
      before.spec.template.metadata.annotations["checksum/config"],
    );
    assert.ok(after.metadata.generation > before.metadata.generation);
  });

  it("helm uninstall leaves no webhook, RBAC object, ConfigMap, DaemonSet or pepr-system behind, keeps the CRDs, and the documented CRD removal selects all of them", async () => {
    assert.ok(installed, "installed by the test before");
    helmIn("uninstall", "spiderpool", "--wait");
    installed = false;
    await waitUntil(
      "every object of the release gone",
      async () => {
        for (const p of RELEASE_OBJECTS) if (await exists(api, p)) return false;
        return true;
      },
      180_000,
    ).catch(async e => {
      const left: string[] = [];
      for (const p of RELEASE_OBJECTS) if (await exists(api, p)) left.push(p);
      throw new Error(`${(e as Error).message}; still there: ${left.join(", ")}`);
    });
    for (const name of crdNames()) assert.ok(await exists(api, `${CRDS}/${name}`), `${name} kept`);
    // docs/usage/helm.md#uninstall: the label selects exactly our CRDs (dry run: the suites after
    // this one still use them).
    const listed = run(path.join(state.binDir, "kubectl"), [
      "--kubeconfig",
      paths.kubeconfig,
      "delete",
      "crd",
      "-l",
      "app.kubernetes.io/part-of=pepr-spiderpool",
      "--dry-run=server",
      "-o",
      "name",
    ])
      .trim()
      .split("\n")
      .map(l => l.replace(/^customresourcedefinition\.apiextensions\.k8s\.io\//, ""))
      .sort();
    assert.deepEqual(listed, crdNames());
  });
});
