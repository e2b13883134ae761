/**
 * Command-line parsing of `spiderpool <command> …` with node:util's parseArgs: pure, so every
 * refusal is unit-tested. Flags mean what they mean to kubectl (`--kubeconfig`, `--context`,
 * `-n/--namespace` for the namespace of the objects named, `-o`); docs/usage/cli.md.
 */
import { parseArgs as parseArgv } from "node:util";
import { CliError } from "./cli-error.js";
import { COMMANDS } from "./help.js";

export type Output = "table" | "json" | "yaml";

export interface GlobalOptions {
  readonly kubeconfig?: string;
  /** The kubeconfig context to use instead of its current-context. */
  readonly context?: string;
  /** `-n`: the namespace of the objects a command names (kubectl's meaning); unset: the command's default. */
  readonly namespace?: string;
  /** Namespace of ConfigMap spiderpool-conf and of the agent (Spiderpool's default: kube-system). */
  readonly agentNamespace: string;
  readonly output: Output;
}

export type ExplainTarget =
  | {
      readonly kind: "pod" | "deployment" | "statefulset";
      /** From -n; unset: the kubeconfig context's namespace, else `default`, as kubectl does. */
      readonly namespace?: string;
      readonly name: string;
    }
  | { readonly kind: "file"; readonly path: string };

export type Command =
  | { readonly name: "help"; readonly topic?: string }
  | { readonly name: "version" }
  | { readonly name: "pools"; readonly pools: readonly string[] }
  | { readonly name: "subnets"; readonly subnets: readonly string[] }
  | { readonly name: "ip"; readonly address: string }
  | { readonly name: "check"; readonly namespace?: string }
  | {
      readonly name: "explain";
      readonly target: ExplainTarget;
      readonly nic: string;
      readonly node?: string;
      readonly defaultIPv4IPPool: readonly string[];
      readonly defaultIPv6IPPool: readonly string[];
      readonly clusterNetwork?: string;
    }
  | {
      readonly name: "release";
      /** One address, or the leaked claims of a `check -o json|yaml` report. */
      readonly target:
        | { readonly kind: "address"; readonly address: string }
        | { readonly kind: "report"; readonly path: string };
      readonly dryRun: boolean;
      readonly force: boolean;
    };

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  namespace: { type: "string", short: "n" },
  "agent-namespace": { type: "string" },
  output: { type: "string", short: "o" },
  filename: { type: "string", short: "f" },
  nic: { type: "string" },
  node: { type: "string" },
  "default-ipv4-ippool": { type: "string" },
  "default-ipv6-ippool": { type: "string" },
  "cluster-network": { type: "string" },
  "dry-run": { type: "boolean" },
  force: { type: "boolean" },
  "from-report": { type: "string" },
} as const;

type Flag = keyof typeof OPTIONS;

/** Flags every command takes. */
const GLOBAL: readonly Flag[] = ["help", "kubeconfig", "context", "output"];

/** The flags each command takes besides GLOBAL. */
const APPLIES: Readonly<Record<string, readonly Flag[]>> = {
  pools: [],
  subnets: [],
  ip: [],
  check: ["namespace"],
  explain: [
    "namespace",
    "agent-namespace",
    "filename",
    "nic",
    "node",
    "default-ipv4-ippool",
    "default-ipv6-ippool",
    "cluster-network",
  ],
  release: ["dry-run", "force", "from-report"],
};

export function parseArgs(argv: readonly string[]): { global: GlobalOptions; command: Command } {
  let parsed: ReturnType<typeof parseArgv<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgv({
      // `-o=json` as kubectl (pflag) reads it; node:util would take "=json" as the value.
      args: argv.flatMap(w => (/^-[a-zA-Z]=/.test(w) ? [w.slice(0, 2), w.slice(3)] : [w])),
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw parseError(e);
  }
  const v = parsed.values;
  const [name, ...rest] = parsed.positionals;

  const output = v.output ?? "table";
  if (output !== "table" && output !== "json" && output !== "yaml")
    throw new CliError("usage", `-o must be table, json or yaml, got ${JSON.stringify(output)}`);
  const global: GlobalOptions = {
    ...(v.kubeconfig !== undefined ? { kubeconfig: nonEmpty("--kubeconfig", v.kubeconfig) } : {}),
    ...(v.context !== undefined ? { context: nonEmpty("--context", v.context) } : {}),
    ...(v.namespace !== undefined ? { namespace: namespaceName(v.namespace) } : {}),
    agentNamespace:
      v["agent-namespace"] !== undefined
        ? namespaceName(v["agent-namespace"], "--agent-namespace")
        : "kube-system",
    output,
  };

  if (name === "help") return { global, command: { name: "help", ...topic(rest[0]) } };
  if (v.help) return { global, command: { name: "help", ...topic(name) } };
  if (v.version) {
    if (name !== undefined) throw new CliError("usage", "--version takes no command");
    return { global, command: { name: "version" } };
  }
  if (name === undefined) return { global, command: { name: "help" } };
  if (name === "version") return { global, command: { name: "version" } };

  const applies = APPLIES[name];
  if (!applies) throw unknownCommand(name);
  for (const [flag, value] of Object.entries(v))
    if (value !== undefined && !GLOBAL.includes(flag as Flag) && !applies.includes(flag as Flag))
      throw new CliError("usage", `${name}: flag ${flagName(flag as Flag)} does not apply`);

  switch (name) {
    case "pools":
      return { global, command: { name, pools: rest } };
    case "subnets":
      return { global, command: { name, subnets: rest } };
    case "ip":
      if (rest.length !== 1)
        throw new CliError("usage", `ip: give exactly one address, got ${rest.length}`);
      return { global, command: { name, address: rest[0]! } };
    case "check":
      if (rest.length) throw new CliError("usage", `check: takes no arguments, got ${rest[0]}`);
      return {
        global,
        command: { name, ...(global.namespace ? { namespace: global.namespace } : {}) },
      };
    case "explain": {
      const file = v.filename;
      if (file !== undefined && rest.length)
        throw new CliError("usage", "explain: give either a workload or -f FILE, not both");
      if (rest.length > 1)
        throw new CliError("usage", `explain: one workload at a time, got ${rest.length}`);
      let target: ExplainTarget;
      if (file !== undefined) {
        if (global.namespace !== undefined)
          throw new CliError(
            "usage",
            "explain: -n does not apply to -f (the file names the namespace)",
          );
        target = { kind: "file", path: nonEmpty("-f", file) };
      } else if (rest[0] === undefined)
        throw new CliError(
          "usage",
          "explain: which workload? give POD, pod/NAME, deployment/NAME, statefulset/NAME or -f FILE",
        );
      else target = workloadRef(rest[0], global.namespace);
      const clusterNetwork = v["cluster-network"];
      if (clusterNetwork !== undefined && !/^[^/\s]+\/[^/\s]+$/.test(clusterNetwork))
        throw new CliError(
          "usage",
          `explain: --cluster-network must be NS/NAME, got ${JSON.stringify(clusterNetwork)}`,
        );
      return {
        global,
        command: {
          name,
          target,
          nic: v.nic ?? "eth0",
          ...(v.node ? { node: v.node } : {}),
          defaultIPv4IPPool: list(v["default-ipv4-ippool"]),
          defaultIPv6IPPool: list(v["default-ipv6-ippool"]),
          ...(clusterNetwork ? { clusterNetwork } : {}),
        },
      };
    }
    case "release": {
      const report = v["from-report"];
      const dryRun = v["dry-run"] === true;
      const force = v.force === true;
      if (report !== undefined) {
        if (rest.length)
          throw new CliError(
            "usage",
            `release: give either an address or --from-report FILE, not both (got ${rest[0]})`,
          );
        if (force)
          throw new CliError(
            "usage",
            "release: --force does not apply to --from-report (a report lists only claims whose Pod is gone)",
          );
        return {
          global,
          command: {
            name,
            target: { kind: "report", path: nonEmpty("--from-report", report) },
            dryRun,
            force,
          },
        };
      }
      if (rest.length !== 1)
        throw new CliError(
          "usage",
          `release: give exactly one address or --from-report FILE, got ${rest.length} arguments`,
        );
      return {
        global,
        command: { name, target: { kind: "address", address: rest[0]! }, dryRun, force },
      };
    }
    default:
      throw unknownCommand(name);
  }
}

/** node:util's parse errors as one line naming the flag. */
function parseError(e: unknown): CliError {
  const err = e as { code?: string; message?: string };
  const flag = /'(-[^' ,]+)/.exec(err.message ?? "")?.[1] ?? "";
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new CliError("usage", `unknown flag ${JSON.stringify(flag.split("=")[0])}`);
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const long = /--([a-z0-9-]+)/.exec(err.message ?? "")?.[1];
      const def = long ? OPTIONS[long as Flag] : undefined;
      return new CliError(
        "usage",
        def?.type === "boolean"
          ? `--${long} takes no value`
          : `${long ? `--${long}` : flag} needs a value`,
      );
    }
    default:
      return new CliError("usage", err.message ?? String(e));
  }
}

function flagName(flag: Flag): string {
  const def = OPTIONS[flag] as { short?: string };
  return def.short ? `-${def.short}/--${flag}` : `--${flag}`;
}

function topic(name: string | undefined): { topic?: string } {
  if (name === undefined) return {};
  if (!COMMANDS.includes(name)) throw unknownCommand(name);
  return { topic: name };
}

function unknownCommand(name: string): CliError {
  return new CliError(
    "usage",
    `unknown command ${JSON.stringify(name)}; commands: ${COMMANDS.join(", ")}`,
  );
}

function nonEmpty(flag: string, value: string): string {
  if (!value.trim()) throw new CliError("usage", `${flag} needs a value`);
  return value;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function namespaceName(text: string, flag = "-n"): string {
  if (!DNS_LABEL.test(text) || text.length > 63)
    throw new CliError("usage", `${flag}: ${JSON.stringify(text)} is not a valid namespace name`);
  return text;
}

const KINDS: Readonly<Record<string, "pod" | "deployment" | "statefulset">> = {
  pod: "pod",
  pods: "pod",
  po: "pod",
  deployment: "deployment",
  deployments: "deployment",
  deploy: "deployment",
  statefulset: "statefulset",
  statefulsets: "statefulset",
  sts: "statefulset",
};

/** `NAME` (a Pod), or `KIND/NAME` as kubectl writes it, in `namespace`. */
export function workloadRef(
  text: string,
  namespace: string | undefined,
): { kind: "pod" | "deployment" | "statefulset"; namespace?: string; name: string } {
  const parts = text.split("/");
  if (parts.length > 2 || parts.some(p => !p))
    throw new CliError(
      "usage",
      `expected POD or KIND/NAME (pod, deployment, statefulset), got ${JSON.stringify(text)}`,
    );
  const [kindText, name] = parts.length === 2 ? (parts as [string, string]) : ["pod", parts[0]!];
  const kind = KINDS[kindText.toLowerCase()];
  if (!kind)
    throw new CliError(
      "usage",
      `unknown kind ${JSON.stringify(kindText)} in ${JSON.stringify(text)}: explain takes pod/NAME, deployment/NAME or statefulset/NAME (the namespace goes in -n)`,
    );
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253)
    throw new CliError("usage", `${JSON.stringify(name)} is not a valid ${kind} name`);
  return { kind, ...(namespace !== undefined ? { namespace } : {}), name };
}

function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map(s => s.trim())
    .filter(Boolean);
}
