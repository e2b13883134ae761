/**
 * Assembles the Helm chart (docs/usage/helm.md) in dist/chart/spiderpool from three sources, so
 * that nothing is written twice:
 *   - charts/spiderpool: our templates, values and Chart.yaml;
 *   - manifests/: the CRDs (generated from lib/schemas), the alert rules and the Grafana dashboard,
 *     copied into the chart's files/;
 *   - the chart `pepr build -z chart` generated for the module (dist/<uuid>-chart, written by
 *     `npm run build`), as the subchart `pepr`, with the workload rules moved into their own
 *     fail-open webhook entry as scripts/workload-webhook.ts does for the manifest.
 * The values schema is generated from values.yaml, so a mistyped key is refused, not ignored.
 *
 *   tsx scripts/build-chart.ts           assemble dist/chart/spiderpool (needs `npm run build`)
 *   tsx scripts/build-chart.ts --docs    rewrite the values table of docs/usage/helm.md
 *   tsx scripts/build-chart.ts --check   exit 1 when Chart.yaml's versions differ from
 *                                        package.json or the docs' table from values.yaml (CI)
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse, parseAllDocuments, stringify } from "yaml";
import { splitWorkloadWebhook, type WebhookConfiguration } from "./workload-webhook.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const at = (...p: string[]) => path.join(root, ...p);

/** Where the chart's sources live and where the assembled chart goes. */
export const CHART_SRC = at("charts/spiderpool");
export const CHART_OUT = at("dist/chart/spiderpool");
export const HELM_DOC = at("docs/usage/helm.md");
/** The subchart's name, hence the key of its values in ours. */
export const PEPR_SUBCHART = "pepr";

interface PackageJson {
  version: string;
  pepr: { uuid: string };
}
const pkg = () => JSON.parse(fs.readFileSync(at("package.json"), "utf8")) as PackageJson;

/** Where `pepr build -z chart` writes the module's chart. */
export const peprChartDir = () => at("dist", `${pkg().pepr.uuid}-chart`);

/** Chart.yaml's version and appVersion must be the package's version. */
export function chartVersionProblems(chartYaml: string, version: string): string[] {
  const c = parse(chartYaml) as { version?: unknown; appVersion?: unknown };
  return (["version", "appVersion"] as const)
    .filter(k => c[k] !== version)
    .map(
      k =>
        `charts/spiderpool/Chart.yaml: ${k} is ${JSON.stringify(c[k])}, package.json's version is ${JSON.stringify(version)}; set it to "${version}"`,
    );
}

// ---------------------------------------------------------------------------------------------
// values.yaml: `# @param <path> <description>` before each leaf; the table and schema come from it

export interface ValueParam {
  key: string;
  description: string;
  default: unknown;
}

const PARAM = /^\s*# @param (\S+) (.+)$/;

function valueAt(values: unknown, key: string): unknown {
  return key
    .split(".")
    .reduce<unknown>(
      (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
      values,
    );
}

/** Paths of the leaves of `values` (an empty map or a list is a leaf); `skip` keys stay out. */
function leaves(v: unknown, prefix: string, skip: Set<string>): string[] {
  if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0)
    return Object.entries(v).flatMap(([k, x]) => {
      const p = prefix ? `${prefix}.${k}` : k;
      return skip.has(p) || FREE_FORM.has(p) ? [p] : leaves(x, p, skip);
    });
  return prefix ? [prefix] : [];
}

/**
 * Every documented value of values.yaml, in file order. Throws naming the key when a leaf has no
 * `@param` or a `@param` names no value: the table would otherwise miss or invent one.
 */
export function valueParams(valuesYaml: string): ValueParam[] {
  const values = parse(valuesYaml) as Record<string, unknown>;
  const params = valuesYaml
    .split("\n")
    .map(l => PARAM.exec(l))
    .filter(m => m !== null)
    .map(m => ({ key: m[1]!, description: m[2]!.trim(), default: valueAt(values, m[1]!) }));
  const named = new Set(params.map(p => p.key));
  const unknown = params.filter(p => p.default === undefined).map(p => p.key);
  if (unknown.length) throw new Error(`values.yaml: @param names no value: ${unknown.join(", ")}`);
  const undocumented = leaves(values, "", new Set([PEPR_SUBCHART])).filter(
    k => k !== PEPR_SUBCHART && !named.has(k),
  );
  if (undocumented.length)
    throw new Error(`values.yaml: no "# @param" line for ${undocumented.join(", ")}`);
  return params;
}

const cell = (v: unknown) =>
  `\`${(typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)).replace(/\|/g, "\\|")}\``;

/** The Markdown table of docs/usage/helm.md. */
export function valuesTable(params: ValueParam[]): string {
  return [
    "| value | default | meaning |",
    "|---|---|---|",
    ...params.map(p => `| \`${p.key}\` | ${cell(p.default)} | ${p.description} |`),
  ].join("\n");
}

export const TABLE_BEGIN =
  "<!-- values table: generated by `npm run chart -- --docs`; do not edit -->";
export const TABLE_END = "<!-- end of values table -->";

/** The document with its table replaced by `table`; throws when the markers are missing. */
export function withTable(doc: string, table: string): string {
  const b = doc.indexOf(TABLE_BEGIN);
  const e = doc.indexOf(TABLE_END);
  if (b < 0 || e < b)
    throw new Error(`docs/usage/helm.md: the markers around the values table are missing`);
  return `${doc.slice(0, b + TABLE_BEGIN.length)}\n${table}\n${doc.slice(e)}`;
}

/** Maps whose keys are the user's own (labels, resources, ...): any object goes. */
const FREE_FORM = new Set([
  "spiderpoolAgent.resources",
  "spiderpoolAgent.nodeSelector",
  "spiderpoolAgent.affinity",
  "spiderpoolAgent.podAnnotations",
  "spiderpoolAgent.podLabels",
  "spiderpoolAgent.prometheus.serviceMonitor.labels",
  "spiderpoolController.prometheus.serviceMonitor.labels",
  "spiderpoolController.prometheus.prometheusRule.labels",
  "grafanaDashboard.labels",
  PEPR_SUBCHART, // validated by the subchart's own (closed) schema
]);
/** Values Kubernetes takes in more than one form. */
const EITHER: Record<string, unknown> = {
  "spiderpoolAgent.updateStrategy.rollingUpdate.maxUnavailable": {
    anyOf: [
      { type: "integer", minimum: 0 },
      { type: "string", pattern: "^[0-9]+%$" },
    ],
  },
};

/**
 * Paths on the node: absolute, a file name at the end, and nothing install-cni.sh refuses to
 * write into JSON (quotes, backslashes), so a wrong one stops `helm install` naming the value.
 */
const HOST_PATH = { type: "string", pattern: '^/[^"\\\\]*[^/"\\\\]$' };
const HOST_PATHS = new Set([
  "global.cniBinHostPath",
  "global.ipamUNIXSocketHostPath",
  "spiderpoolAgent.hostPaths.pluginLogDir",
  "spiderpoolAgent.hostPaths.netnsDir",
]);

/** A closed JSON schema with the types of values.yaml's defaults. */
export function valuesSchema(values: unknown, at = ""): Record<string, unknown> {
  if (EITHER[at]) return EITHER[at] as Record<string, unknown>;
  if (HOST_PATHS.has(at)) return HOST_PATH;
  if (FREE_FORM.has(at)) return { type: "object" };
  if (Array.isArray(values)) return { type: "array" };
  if (typeof values === "boolean") return { type: "boolean" };
  if (typeof values === "number")
    return Number.isInteger(values) ? { type: "integer", minimum: 0 } : { type: "number" };
  if (typeof values === "string") return { type: "string" };
  if (values && typeof values === "object") {
    const props = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, valuesSchema(v, at ? `${at}.${k}` : k)]),
    );
    // Helm hands every chart the parent's `global` map; ours, when values.yaml has one, is closed.
    if (!at && !props.global) props.global = { type: "object" };
    return { type: "object", additionalProperties: false, properties: props };
  }
  throw new Error(`values.yaml: ${at}: a value of type ${typeof values} has no schema`);
}

// ---------------------------------------------------------------------------------------------
// Pepr's generated validating webhook template: the same split as the built manifest's

const PLACEHOLDER = (n: number) => `__helm_${n}__`;

/**
 * Pepr's `validation-webhook.yaml` template with its workload rules moved into the fail-open
 * entry (scripts/workload-webhook.ts). Its Helm expressions are swapped for placeholders while
 * the YAML is rewritten; an expression of a form not seen in Pepr 1.1.4's template is an error,
 * not something to guess about.
 */
export function splitWorkloadTemplate(template: string): string {
  const saved: string[] = [];
  const lines = template.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const range = /^(\s*)\{\{- range .*\}\}\s*$/.exec(line);
    if (range) {
      // A list item per element: kept as one placeholder item, put back with the item's indent.
      const end = lines.findIndex((l, j) => j > i && /^\s*\{\{- end \}\}\s*$/.test(l));
      if (end < 0) throw new Error(`validation-webhook.yaml: no {{- end }} for "${line.trim()}"`);
      const indent = range[1]!.length;
      saved.push(
        lines
          .slice(i, end + 1)
          .map(l => l.slice(indent))
          .join("\n"),
      );
      out.push(`${range[1]}- ${PLACEHOLDER(saved.length - 1)}`);
      i = end;
      continue;
    }
    out.push(
      line.replace(/\{\{ \.Values(\.\w+)+ \}\}/g, e => {
        saved.push(e);
        return PLACEHOLDER(saved.length - 1);
      }),
    );
  }
  const text = out.join("\n");
  if (text.includes("{{")) {
    const left = text.split("\n").find(l => l.includes("{{"))!;
    throw new Error(`validation-webhook.yaml: a Helm expression of unknown form: ${left.trim()}`);
  }
  const cfg = parse(text) as WebhookConfiguration;
  let yaml = stringify(splitWorkloadWebhook(cfg), { lineWidth: 0, aliasDuplicateObjects: false });
  yaml = yaml.replace(/^(\s*)- __helm_(\d+)__$/gm, (_, indent: string, n: string) =>
    saved[Number(n)]!.split("\n")
      .map(l => `${indent}${l}`)
      .join("\n"),
  );
  yaml = yaml.replace(/__helm_(\d+)__/g, (_, n: string) => saved[Number(n)]!);
  return yaml;
}

// ---------------------------------------------------------------------------------------------

function copyDir(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

/** Builds dist/chart/spiderpool; returns its path. */
export function assembleChart(opts: { peprChart?: string; out?: string } = {}): string {
  const peprChart = opts.peprChart ?? peprChartDir();
  const out = opts.out ?? CHART_OUT;
  const { version } = pkg();
  const problems = chartVersionProblems(
    fs.readFileSync(path.join(CHART_SRC, "Chart.yaml"), "utf8"),
    version,
  );
  if (problems.length) throw new Error(problems.join("\n"));
  if (!fs.existsSync(path.join(peprChart, "Chart.yaml")))
    throw new Error(
      `no chart of the Pepr module at ${path.relative(root, peprChart)}: run \`npm run build\` first (it runs pepr build -z chart)`,
    );

  fs.rmSync(out, { recursive: true, force: true });
  copyDir(CHART_SRC, out);
  // The subchart is declared, as helm lint asks; it ships inside charts/, from no repository.
  const chartFile = path.join(out, "Chart.yaml");
  fs.writeFileSync(
    chartFile,
    `${fs.readFileSync(chartFile, "utf8").trimEnd()}\ndependencies:\n  - name: ${PEPR_SUBCHART}\n    version: "${version}"\n`,
  );
  const valuesYaml = fs.readFileSync(path.join(CHART_SRC, "values.yaml"), "utf8");
  valueParams(valuesYaml); // every value documented
  fs.writeFileSync(
    path.join(out, "values.schema.json"),
    `${JSON.stringify({ $schema: "http://json-schema.org/draft-07/schema#", ...valuesSchema(parse(valuesYaml)) }, null, 2)}\n`,
  );

  const files = path.join(out, "files");
  fs.mkdirSync(path.join(files, "crds"), { recursive: true });
  for (const f of fs.readdirSync(at("manifests/crds")).filter(f => f.endsWith(".yaml")))
    fs.copyFileSync(at("manifests/crds", f), path.join(files, "crds", f));
  fs.mkdirSync(path.join(files, "prometheus"));
  fs.copyFileSync(
    at("manifests/prometheus/spiderpool-rules.yaml"),
    path.join(files, "prometheus/spiderpool-rules.yaml"),
  );
  fs.mkdirSync(path.join(files, "grafana"));
  fs.copyFileSync(
    at("manifests/grafana/spiderpool-dashboard.json"),
    path.join(files, "grafana/spiderpool-dashboard.json"),
  );

  const sub = path.join(out, "charts", PEPR_SUBCHART);
  copyDir(peprChart, sub);
  const peprVersion = (
    JSON.parse(fs.readFileSync(at("node_modules/pepr/package.json"), "utf8")) as { version: string }
  ).version;
  const chart = parse(fs.readFileSync(path.join(sub, "Chart.yaml"), "utf8")) as Record<
    string,
    unknown
  >;
  fs.writeFileSync(
    path.join(sub, "Chart.yaml"),
    stringify({
      ...chart,
      name: PEPR_SUBCHART,
      description: `The Pepr module (admission and watcher), generated by pepr ${peprVersion} build`,
      version,
      appVersion: peprVersion,
    }),
  );
  // Helm hands every subchart the parent's `global` map, which Pepr's closed schema refuses.
  const schemaFile = path.join(sub, "values.schema.json");
  const schema = JSON.parse(fs.readFileSync(schemaFile, "utf8")) as {
    definitions?: { Values?: { properties?: Record<string, unknown> } };
  };
  const top = schema.definitions?.Values?.properties;
  if (!top)
    throw new Error(`${schemaFile}: no definitions.Values.properties (Pepr's schema changed)`);
  top.global = { type: "object" };
  fs.writeFileSync(schemaFile, `${JSON.stringify(schema, null, 2)}\n`);
  const webhook = path.join(sub, "templates/validation-webhook.yaml");
  fs.writeFileSync(webhook, splitWorkloadTemplate(fs.readFileSync(webhook, "utf8")));
  return out;
}

function check(): string[] {
  const problems = chartVersionProblems(
    fs.readFileSync(path.join(CHART_SRC, "Chart.yaml"), "utf8"),
    pkg().version,
  );
  const table = valuesTable(
    valueParams(fs.readFileSync(path.join(CHART_SRC, "values.yaml"), "utf8")),
  );
  const doc = fs.readFileSync(HELM_DOC, "utf8");
  if (withTable(doc, table) !== doc)
    problems.push(
      "docs/usage/helm.md: the values table differs from charts/spiderpool/values.yaml; run `npm run chart -- --docs`",
    );
  return problems;
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href
) {
  try {
    const arg = process.argv[2];
    if (arg === "--check") {
      const problems = check();
      for (const p of problems) process.stderr.write(`build-chart: ${p}\n`);
      process.exit(problems.length ? 1 : 0);
    } else if (arg === "--docs") {
      const table = valuesTable(
        valueParams(fs.readFileSync(path.join(CHART_SRC, "values.yaml"), "utf8")),
      );
      fs.writeFileSync(HELM_DOC, withTable(fs.readFileSync(HELM_DOC, "utf8"), table));
    } else if (arg === undefined) {
      process.stdout.write(`${path.relative(root, assembleChart())}\n`);
    } else throw new Error(`unknown argument ${arg}; usage: build-chart.ts [--check | --docs]`);
  } catch (e) {
    process.stderr.write(`build-chart: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

/** For specs: the assembled chart's rendered documents. */
export function parseRendered(yaml: string): Array<Record<string, unknown>> {
  return parseAllDocuments(yaml)
    .map(d => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null);
}
