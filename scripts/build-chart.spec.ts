import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import {
  assembleChart,
  CHART_SRC,
  chartVersionProblems,
  parseRendered,
  peprChartDir,
  splitWorkloadTemplate,
  valueParams,
  valuesSchema,
  valuesTable,
  withTable,
  TABLE_BEGIN,
  TABLE_END,
} from "./build-chart.js";
import { cachedBinary, run } from "./helm-binary.js";
import { parseConfig } from "../lib/schemas/config.js";

type Doc = Record<string, unknown> & {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};
const repo = path.resolve(CHART_SRC, "../..");

describe("scripts/build-chart", () => {
  it("names Chart.yaml's version and appVersion when they differ from package.json", () => {
    const yaml = "name: spiderpool\nversion: 0.1.0\nappVersion: '0.0.9'\n";
    assert.deepEqual(chartVersionProblems(yaml, "0.1.0"), [
      `charts/spiderpool/Chart.yaml: appVersion is "0.0.9", package.json's version is "0.1.0"; set it to "0.1.0"`,
    ]);
    assert.deepEqual(chartVersionProblems("version: 0.1.0\nappVersion: '0.1.0'\n", "0.1.0"), []);
  });

  it("documents every value: a leaf without @param, or a @param naming no value, is an error naming it", () => {
    const ok = "a:\n  # @param a.b the b\n  b: true\n  # @param a.c labels\n  c: {}\npepr: {}\n";
    assert.deepEqual(valueParams(ok), [
      { key: "a.b", description: "the b", default: true },
      { key: "a.c", description: "labels", default: {} },
    ]);
    assert.throws(
      () => valueParams("a:\n  # @param a.b the b\n  b: true\n  d: 3\n"),
      /no "# @param" line for a\.d/,
    );
    assert.throws(
      () => valueParams("# @param a.x gone\na:\n  b: 1\n"),
      /@param names no value: a\.x/,
    );
  });

  it("the docs' table is generated between its markers", () => {
    const table = valuesTable([{ key: "ipam.enableIPv4", description: "v4", default: true }]);
    assert.equal(table.split("\n")[2], "| `ipam.enableIPv4` | `true` | v4 |");
    const doc = `# t\n\n${TABLE_BEGIN}\nold\n${TABLE_END}\nafter\n`;
    assert.equal(withTable(doc, table), `# t\n\n${TABLE_BEGIN}\n${table}\n${TABLE_END}\nafter\n`);
    assert.throws(() => withTable("# no markers\n", table), /markers/);
  });

  it("the values schema is closed except for the user's own maps, and lets `global` through", () => {
    const s = valuesSchema(
      parse("ipam: { enableIPv4: true, n: 2 }\nspiderpoolAgent: { resources: { a: 1 } }\n"),
    ) as {
      additionalProperties: boolean;
      properties: Record<string, { additionalProperties?: boolean; properties?: object }>;
    };
    assert.equal(s.additionalProperties, false);
    assert.deepEqual(s.properties.global, { type: "object" });
    assert.equal(s.properties.ipam!.additionalProperties, false);
    assert.deepEqual(s.properties.ipam!.properties, {
      enableIPv4: { type: "boolean" },
      n: { type: "integer", minimum: 0 },
    });
    assert.deepEqual(
      (s.properties.spiderpoolAgent!.properties as Record<string, unknown>).resources,
      { type: "object" },
    );
  });

  it("moves the workload rules of Pepr's webhook template into a fail-open entry, expressions intact", () => {
    const template = [
      "kind: ValidatingWebhookConfiguration",
      "metadata:",
      "  name: {{ .Values.uuid }}",
      "webhooks:",
      "  - name: {{ .Values.uuid }}.pepr.dev",
      "    failurePolicy: {{ .Values.admission.failurePolicy }}",
      "    namespaceSelector:",
      "      matchExpressions:",
      "        - key: kubernetes.io/metadata.name",
      "          values:",
      "            - kube-system",
      "            {{- range .Values.additionalIgnoredNamespaces }}",
      "            - {{ . }}",
      "            {{- end }}",
      "    rules:",
      "      - { apiGroups: [spiderpool.spidernet.io], resources: [spiderippools] }",
      "      - { apiGroups: [apps], resources: [deployments] }",
      "",
    ].join("\n");
    const out = splitWorkloadTemplate(template);
    // Rendered as Helm would with one extra ignored namespace, then read back.
    const rendered = parse(
      out
        .replace(/\{\{ \.Values\.uuid \}\}/g, "pepr-x")
        .replace("{{ .Values.admission.failurePolicy }}", "Fail")
        .replace(/^[ \t]*\{\{- range .*\n[ \t]*- \{\{ \. \}\}\n[ \t]*\{\{- end \}\}$/gm, m =>
          m.split("\n")[1]!.replace("{{ . }}", "extra-ns"),
        ),
    ) as {
      metadata: { name: string };
      webhooks: {
        name: string;
        failurePolicy: string;
        namespaceSelector: { matchExpressions: { values: string[] }[] };
        rules: { apiGroups: string[] }[];
      }[];
    };
    assert.equal(rendered.metadata.name, "pepr-x");
    assert.deepEqual(
      rendered.webhooks.map(w => [w.name, w.failurePolicy, w.rules.map(r => r.apiGroups[0])]),
      [
        ["pepr-x.pepr.dev", "Fail", ["spiderpool.spidernet.io"]],
        ["pepr-x-workloads.pepr.dev", "Ignore", ["apps"]],
      ],
    );
    for (const w of rendered.webhooks)
      assert.deepEqual(w.namespaceSelector.matchExpressions[0]!.values, [
        "kube-system",
        "extra-ns",
      ]);
    assert.throws(
      () => splitWorkloadTemplate(template.replace("kube-system", "{{ if .x }}kube-system")),
      /a Helm expression of unknown form/,
    );
  });
});

/**
 * The assembled chart, checked with the helm built from its Go module: lint is clean, and what it
 * renders at the default values is what the kustomize manifests and the Pepr build install, so
 * the two install paths cannot drift apart (docs/usage/helm.md).
 */
describe("chart: helm lint and helm template", function () {
  this.timeout(120_000);
  let helm: string;
  let kubectl: string;
  let chart: string;
  let tmp: string;

  before(function () {
    const missing: string[] = [];
    const h = cachedBinary("helm");
    const k = cachedBinary("kubectl");
    if (!h || !k) missing.push("helm and kubectl (bash e2e/cluster/build-binaries.sh)");
    if (!fs.existsSync(path.join(peprChartDir(), "Chart.yaml")))
      missing.push(
        `the Pepr module's chart ${path.relative(repo, peprChartDir())} (npm run build)`,
      );
    if (missing.length) {
      // CI builds both before npm test (.ci/run): there a missing one is a failure, not a skip.
      if (process.env.CI === "true") throw new Error(`missing: ${missing.join("; ")}`);
      this.skip();
    }
    helm = h!;
    kubectl = k!;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chart-spec-"));
    chart = assembleChart({ out: path.join(tmp, "spiderpool") });
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const template = (...args: string[]) =>
    parseRendered(
      run(helm, ["template", "spiderpool", chart, "--namespace", "kube-system", ...args]),
    ) as Doc[];
  // Pepr's ClusterRole template states a namespace, which a cluster-scoped object does not have.
  const CLUSTER_SCOPED = [
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "Namespace",
  ];
  const key = (d: Doc) =>
    `${d.kind}/${CLUSTER_SCOPED.includes(d.kind) ? "" : (d.metadata.namespace ?? "")}/${d.metadata.name}`;

  /**
   * The rendered object as the manifest states it: the chart may add labels (Helm's, and
   * part-of on the CRDs) and the keep policy; every label of the manifest must be there.
   */
  function comparable(d: Doc, manifest: Doc): Doc {
    const copy = structuredClone(d) as Doc & {
      metadata: { annotations?: Record<string, string> };
      spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
      data?: Record<string, string>;
    };
    const want = manifest.metadata.labels;
    if (want)
      copy.metadata.labels = Object.fromEntries(
        Object.entries(copy.metadata.labels ?? {}).filter(([k]) => k in want),
      );
    else delete copy.metadata.labels;
    delete copy.metadata.annotations?.["helm.sh/resource-policy"];
    if (copy.metadata.annotations && !Object.keys(copy.metadata.annotations).length)
      delete copy.metadata.annotations;
    const pod = copy.spec?.template?.metadata;
    if (pod?.annotations) {
      delete pod.annotations["checksum/config"];
      if (!Object.keys(pod.annotations).length) delete pod.annotations;
    }
    return withParsedConf(copy);
  }
  // conf.yml compared as data: comments and layout are the file's own.
  function withParsedConf<T extends Doc>(d: T): T {
    const data = (d as { data?: Record<string, unknown> }).data;
    if (d.kind === "ConfigMap" && typeof data?.["conf.yml"] === "string")
      return { ...d, data: { ...data, "conf.yml": parse(data["conf.yml"]) as unknown } };
    return d;
  }

  it("helm lint is clean at the default values and with every toggle on", () => {
    for (const set of [
      [],
      [
        "--set",
        "spiderpoolAgent.prometheus.serviceMonitor.install=true,spiderpoolController.prometheus.serviceMonitor.install=true,spiderpoolController.prometheus.prometheusRule.install=true,grafanaDashboard.install=true,crds.keep=false",
      ],
    ]) {
      const out = run(helm, ["lint", "--strict", chart, "--namespace", "kube-system", ...set]);
      assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/, out);
      assert.doesNotMatch(out, /\[(WARNING|ERROR)\]/, out);
    }
  });

  it("renders every object of the kustomize manifests, equal to it at the default values", () => {
    const rendered = new Map(template().map(d => [key(d), d]));
    const manifests = [
      ...parseRendered(run(kubectl, ["kustomize", path.join(repo, "manifests")])),
      ...parseRendered(run(kubectl, ["kustomize", path.join(repo, "manifests/pepr")])),
    ] as Doc[];
    assert.ok(manifests.length >= 12, `${manifests.length} manifests`);
    for (const m of manifests) {
      const r = rendered.get(key(m));
      assert.ok(r, `the chart renders no ${key(m)}`);
      assert.deepEqual(comparable(r, m), withParsedConf(m), key(m));
    }
  });

  it("renders the Pepr module as `pepr build` emits it, with the workload entry failing open", () => {
    const rendered = template();
    const built = parseRendered(
      fs.readFileSync(path.join(repo, "dist/pepr-module-spiderpool.yaml"), "utf8"),
    ) as Doc[];
    const peprPart = rendered.filter(
      d =>
        d.metadata.namespace === "pepr-system" ||
        d.metadata.name.startsWith("pepr-spiderpool") ||
        (d.kind === "Namespace" && d.metadata.name === "pepr-system"),
    );
    const ours = new Set(["Service/pepr-system/pepr-spiderpool-watcher-metrics"]);
    assert.deepEqual(
      peprPart
        .map(key)
        .filter(k => !ours.has(k))
        .sort(),
      built.map(key).sort(),
    );
    const vwc = rendered.find(d => d.kind === "ValidatingWebhookConfiguration") as Doc & {
      webhooks: { name: string; failurePolicy: string }[];
    };
    const builtVwc = built.find(d => d.kind === "ValidatingWebhookConfiguration") as typeof vwc;
    assert.deepEqual(
      vwc.webhooks.map(w => [w.name, w.failurePolicy]),
      builtVwc.webhooks.map(w => [w.name, w.failurePolicy]),
    );
    assert.ok(vwc.webhooks.some(w => w.name === "pepr-spiderpool-workloads.pepr.dev"));
  });

  it("values reach conf.yml, which the components accept; a mistyped key and another namespace are refused by name", () => {
    const cm = template(
      "--set",
      "ipam.enableIPv6=false,ipam.gc.gcAll.intervalInSecond=300,multus.multusCNI.defaultCniCRName=kube-system/macvlan",
    ).find(d => d.kind === "ConfigMap" && d.metadata.name === "spiderpool-conf") as Doc & {
      data: Record<string, string>;
    };
    assert.equal(cm.data.clusterNetwork, "kube-system/macvlan");
    const conf = parse(cm.data["conf.yml"]!) as Record<string, unknown>;
    const parsed = parseConfig(conf);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.errors.join("\n"));
    assert.equal(parsed.value.enableIPv6, false);
    assert.equal(parsed.value.gc.scanAllIntervalSeconds, 300);

    assert.throws(() => template("--set", "ipam.enableIpv6=false"), /enableIpv6/);
    assert.throws(() => template("--set", "ipam.enableIPv6=no"), /enableIPv6/);
    assert.throws(
      () => run(helm, ["template", "spiderpool", chart, "--namespace", "spiderpool"]),
      /install the release into namespace kube-system/,
    );
  });

  it("the node's directories are values: the DaemonSet mounts them, names them to the installer and the agent, and conf.yml takes the socket", () => {
    type Container = {
      name: string;
      env?: { name: string; value?: string }[];
      volumeMounts?: { name: string; mountPath: string }[];
    };
    type Ds = Doc & {
      spec: {
        template: {
          spec: {
            nodeSelector?: Record<string, string>;
            initContainers: Container[];
            containers: Container[];
            volumes: { name: string; hostPath?: { path: string } }[];
          };
        };
      };
    };
    const docs = template(
      "--set",
      "global.cniBinHostPath=/n/cni/bin,global.ipamUNIXSocketHostPath=/n/run/agent.sock,spiderpoolAgent.hostPaths.pluginLogDir=/n/log,spiderpoolAgent.hostPaths.netnsDir=/n/netns,spiderpoolAgent.nodeSelector.pool=underlay",
    );
    const ds = docs.find(d => d.kind === "DaemonSet") as Ds;
    const pod = ds.spec.template.spec;
    assert.deepEqual(
      Object.fromEntries(pod.volumes.filter(v => v.hostPath).map(v => [v.name, v.hostPath!.path])),
      {
        "spidernet-run": "/n/run",
        "spidernet-log": "/n/log",
        "cni-bin": "/n/cni/bin",
        netns: "/n/netns",
      },
    );
    const env = (c: Container) =>
      Object.fromEntries(
        (c.env ?? [])
          .filter(e => e.name.startsWith("SPIDERPOOL_PLUGIN_"))
          .map(e => [e.name, e.value]),
      );
    for (const c of [...pod.initContainers, ...pod.containers])
      assert.deepEqual(
        env(c),
        { SPIDERPOOL_PLUGIN_LOG_DIR: "/n/log", SPIDERPOOL_PLUGIN_RUN_DIR: "/n/run" },
        c.name,
      );
    const agent = pod.containers.find(c => c.name === "agent")!;
    const mounts = Object.fromEntries(agent.volumeMounts!.map(m => [m.name, m.mountPath]));
    assert.equal(mounts["spidernet-run"], "/n/run");
    assert.equal(mounts["spidernet-log"], "/n/log");
    assert.equal(mounts.netns, "/var/run/netns");
    assert.deepEqual(pod.nodeSelector, { pool: "underlay" });
    const cm = docs.find(
      d => d.kind === "ConfigMap" && d.metadata.name === "spiderpool-conf",
    ) as Doc & {
      data: Record<string, string>;
    };
    const parsed = parseConfig(parse(cm.data["conf.yml"]!) as Record<string, unknown>);
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.errors.join("\n"));
    assert.equal(parsed.value.ipamUnixSocketPath, "/n/run/agent.sock");

    for (const bad of [
      "global.cniBinHostPath=opt/cni/bin",
      "global.ipamUNIXSocketHostPath=/var/run/spidernet/",
      'spiderpoolAgent.hostPaths.pluginLogDir=/var/log/a\\"b',
      "global.cniBinPath=/opt/cni/bin",
    ]) {
      const key = bad.slice(bad.lastIndexOf(".") + 1, bad.indexOf("="));
      assert.throws(() => template("--set", bad), new RegExp(key), bad);
    }
  });

  it("the monitoring toggles add ServiceMonitors, the PrometheusRule and the dashboard from manifests/", () => {
    const off = template();
    assert.ok(!off.some(d => ["ServiceMonitor", "PrometheusRule"].includes(d.kind)));
    assert.ok(!off.some(d => d.metadata.name === "pepr-spiderpool-dashboard"));
    const on = template(
      "--set",
      "spiderpoolAgent.prometheus.serviceMonitor.install=true,spiderpoolController.prometheus.serviceMonitor.install=true,spiderpoolController.prometheus.prometheusRule.install=true,grafanaDashboard.install=true,grafanaDashboard.namespace=monitoring",
    );
    assert.deepEqual(
      on
        .filter(d => d.kind === "ServiceMonitor")
        .map(key)
        .sort(),
      [
        "ServiceMonitor/kube-system/spiderpool-agent",
        "ServiceMonitor/pepr-system/spiderpool-watcher",
      ],
    );
    const rule = on.find(d => d.kind === "PrometheusRule") as Doc & { spec: unknown };
    const source = parse(
      fs.readFileSync(path.join(repo, "manifests/prometheus/spiderpool-rules.yaml"), "utf8"),
    ) as { spec: unknown };
    assert.deepEqual(rule.spec, source.spec);
    const dash = on.find(d => d.metadata.name === "pepr-spiderpool-dashboard") as Doc & {
      data: Record<string, string>;
    };
    assert.equal(dash.metadata.namespace, "monitoring");
    assert.equal(dash.metadata.labels?.grafana_dashboard, "1");
    assert.deepEqual(
      JSON.parse(dash.data["spiderpool-dashboard.json"]!),
      JSON.parse(
        fs.readFileSync(path.join(repo, "manifests/grafana/spiderpool-dashboard.json"), "utf8"),
      ),
    );
  });

  it("CRDs carry helm.sh/resource-policy: keep unless crds.keep=false", () => {
    const policy = (docs: Doc[]) =>
      docs
        .filter(d => d.kind === "CustomResourceDefinition")
        .map(
          d =>
            (d.metadata as { annotations?: Record<string, string> }).annotations?.[
              "helm.sh/resource-policy"
            ],
        );
    const kept = policy(template());
    assert.equal(kept.length, fs.readdirSync(path.join(repo, "manifests/crds")).length);
    assert.ok(kept.every(p => p === "keep"));
    assert.ok(policy(template("--set", "crds.keep=false")).every(p => p === undefined));
  });

  it("the committed chart sources are those assembled (no stale copy in charts/)", () => {
    assert.ok(
      !fs.existsSync(path.join(CHART_SRC, "files")),
      "charts/spiderpool/files is generated",
    );
    assert.ok(!fs.existsSync(path.join(CHART_SRC, "charts")), "the subchart is generated");
  });
});
