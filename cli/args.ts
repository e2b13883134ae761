/**
 * Command-line parsing of `spiderpool <command> …`: pure, so every refusal is unit-tested.
 * Flags take their value as the next word or after `=`.
 */
import { CliError } from "./cli-error.js";

export interface GlobalOptions {
  readonly kubeconfig?: string;
  /** Namespace of ConfigMap spiderpool-conf and of the agent (Spiderpool's default: kube-system). */
  readonly namespace: string;
}

export type Command =
  | { readonly name: "help"; readonly topic?: string }
  | { readonly name: "pools"; readonly pools: readonly string[]; readonly output: "table" | "json" }
  | {
      readonly name: "explain";
      /** `ns/name` of a Pod in the cluster, or a file holding a Pod. */
      readonly target:
        | { readonly kind: "pod"; readonly namespace: string; readonly name: string }
        | { readonly kind: "file"; readonly path: string };
      readonly nic: string;
      readonly node?: string;
      readonly defaultIPv4IPPool: readonly string[];
      readonly defaultIPv6IPPool: readonly string[];
      readonly clusterNetwork?: string;
    }
  | {
      readonly name: "release";
      readonly address: string;
      readonly dryRun: boolean;
      readonly force: boolean;
    };

export const USAGE = `usage: spiderpool [--kubeconfig PATH] [--namespace NS] <command>

commands:
  pools [POOL...] [-o table|json]   address usage per SpiderIPPool; with names, who holds each address
  explain NS/POD | -f POD.yaml      dry run of pool selection for the Pod: every candidate pool,
        [--nic eth0] [--node NODE]    taken or skipped and why (same rules as the agent)
        [--default-ipv4-ippool a,b] [--default-ipv6-ippool c] [--cluster-network NS/NAD]
  release ADDRESS [--dry-run]       release a leaked address; refused while a live Pod holds it,
        [--force]                     or while its StatefulSet still wants the Pod's ordinal
                                      (--force overrides only the StatefulSet rule)

--namespace is where ConfigMap spiderpool-conf and the agent live (default kube-system).
exit status: 0 done, 1 refused or not found, 2 bad arguments or malformed input.`;

export function parseArgs(argv: readonly string[]): { global: GlobalOptions; command: Command } {
  const words = [...argv];
  let kubeconfig: string | undefined;
  let namespace = "kube-system";
  const positional: string[] = [];
  const flags = new Map<string, string | true>();

  const valueOf = (flag: string, i: number, inline: string | undefined): [string, number] => {
    if (inline !== undefined) return [inline, i];
    const next = words[i + 1];
    if (next === undefined || next.startsWith("-"))
      throw new CliError("usage", `${flag} needs a value`);
    return [next, i + 1];
  };

  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith("-") || word === "-") {
      positional.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const inline = eq > 0 ? word.slice(eq + 1) : undefined;
    switch (flag) {
      case "-h":
      case "--help":
        flags.set("help", true);
        break;
      case "--dry-run":
        flags.set("dry-run", true);
        break;
      case "--force":
        flags.set("force", true);
        break;
      case "--kubeconfig":
        [kubeconfig, i] = valueOf(flag, i, inline);
        break;
      case "-n":
      case "--namespace":
        [namespace, i] = valueOf(flag, i, inline);
        break;
      case "-o":
      case "--output":
      case "-f":
      case "--filename":
      case "--nic":
      case "--node":
      case "--default-ipv4-ippool":
      case "--default-ipv6-ippool":
      case "--cluster-network": {
        let v: string;
        [v, i] = valueOf(flag, i, inline);
        flags.set(canonical(flag), v);
        break;
      }
      default:
        throw new CliError("usage", `unknown flag ${JSON.stringify(flag)}`);
    }
  }

  const global: GlobalOptions = { ...(kubeconfig ? { kubeconfig } : {}), namespace };
  const [name, ...rest] = positional;
  if (flags.has("help") || name === undefined || name === "help")
    return { global, command: { name: "help", ...(rest[0] ? { topic: rest[0] } : {}) } };

  const allow = (...allowed: string[]) => {
    for (const f of flags.keys())
      if (!allowed.includes(f)) throw new CliError("usage", `${name}: flag --${f} does not apply`);
  };
  const str = (f: string) => flags.get(f) as string | undefined;

  switch (name) {
    case "pools": {
      allow("output");
      const output = str("output") ?? "table";
      if (output !== "table" && output !== "json")
        throw new CliError(
          "usage",
          `pools: -o must be table or json, got ${JSON.stringify(output)}`,
        );
      return { global, command: { name, pools: rest, output } };
    }
    case "explain": {
      allow(
        "filename",
        "nic",
        "node",
        "default-ipv4-ippool",
        "default-ipv6-ippool",
        "cluster-network",
      );
      const file = str("filename");
      if (file !== undefined && rest.length)
        throw new CliError("usage", "explain: give either NS/POD or -f FILE, not both");
      if (rest.length > 1)
        throw new CliError("usage", `explain: one Pod at a time, got ${rest.length}`);
      let target: Extract<Command, { name: "explain" }>["target"];
      if (file !== undefined) target = { kind: "file", path: file };
      else if (rest[0] === undefined)
        throw new CliError("usage", "explain: which Pod? give NS/POD or -f FILE");
      else target = { kind: "pod", ...podRef(rest[0]) };
      const clusterNetwork = str("cluster-network");
      if (clusterNetwork !== undefined && !/^[^/\s]+\/[^/\s]+$/.test(clusterNetwork))
        throw new CliError(
          "usage",
          `explain: --cluster-network must be NS/NAME, got ${JSON.stringify(clusterNetwork)}`,
        );
      const node = str("node");
      return {
        global,
        command: {
          name,
          target,
          nic: str("nic") ?? "eth0",
          ...(node ? { node } : {}),
          defaultIPv4IPPool: list(str("default-ipv4-ippool")),
          defaultIPv6IPPool: list(str("default-ipv6-ippool")),
          ...(clusterNetwork ? { clusterNetwork } : {}),
        },
      };
    }
    case "release": {
      allow("dry-run", "force");
      if (rest.length !== 1)
        throw new CliError("usage", `release: give exactly one address, got ${rest.length}`);
      return {
        global,
        command: {
          name,
          address: rest[0]!,
          dryRun: flags.has("dry-run"),
          force: flags.has("force"),
        },
      };
    }
    default:
      throw new CliError(
        "usage",
        `unknown command ${JSON.stringify(name)}; commands: pools, explain, release`,
      );
  }
}

function canonical(flag: string): string {
  if (flag === "-o") return "output";
  if (flag === "-f") return "filename";
  return flag.replace(/^--/, "");
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `ns/name`, each part a valid Kubernetes name. */
export function podRef(text: string): { namespace: string; name: string } {
  const parts = text.split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1])
    throw new CliError("usage", `expected NAMESPACE/POD, got ${JSON.stringify(text)}`);
  const [namespace, name] = parts as [string, string];
  if (!DNS_LABEL.test(namespace) || namespace.length > 63)
    throw new CliError("usage", `${JSON.stringify(namespace)} is not a valid namespace name`);
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253)
    throw new CliError("usage", `${JSON.stringify(name)} is not a valid Pod name`);
  return { namespace, name };
}

function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map(s => s.trim())
    .filter(Boolean);
}
