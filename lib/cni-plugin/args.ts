/**
 * Pure parsing of the CNI environment: `CNI_COMMAND`, the `CNI_*` variables each command needs
 * (as libcni's skel requires them) and `CNI_ARGS` (as libcni's `types.LoadArgs` reads them into
 * Spiderpool's `K8sArgs`). Every failure names the variable and the offending value.
 */
// Our parser, not node:net's isIP: its IPv6 regex takes ~6 ms to compile on every plugin start.
import { readAddress } from "../core/net/address.js";
import { isNamespaceName, isPodName } from "../schemas/kube-name.js";
import { fail, quote, type Outcome } from "./cni-error.js";

/** The commands of CNI 1.1; VERSION needs no stdin, GC and STATUS no container. */
export const CNI_COMMANDS = ["ADD", "DEL", "CHECK", "VERSION", "GC", "STATUS"] as const;
/** One of CNI_COMMANDS. */
export type CniCommand = (typeof CNI_COMMANDS)[number];

/** The keys Spiderpool's `K8sArgs` declares; anything else needs `IgnoreUnknown=1`. */
export interface K8sArgs {
  readonly podNamespace?: string;
  readonly podName?: string;
  readonly podInfraContainerId?: string;
  readonly podUid?: string;
  /** `IP=` from the runtime; parsed (as Spiderpool does) but not used for allocation. */
  readonly ip?: string;
  readonly ignoreUnknown: boolean;
}

/** What the plugin reads from its environment for one invocation. */
export interface CniEnv {
  readonly command: CniCommand;
  readonly containerId: string;
  readonly netns: string;
  readonly ifName: string;
  readonly args: K8sArgs;
}

/** The variables libcni's skel insists on per command (DEL may run after the netns is gone). */
const REQUIRED_ENV: Record<CniCommand, readonly string[]> = {
  ADD: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
  CHECK: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"],
  DEL: ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"],
  GC: ["CNI_PATH"],
  STATUS: ["CNI_PATH"],
  VERSION: [],
};

// libcni utils.ValidateContainerID / ValidateInterfaceName (IFNAMSIZ is 16 with the NUL).
const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const MAX_IFNAME = 15;
// Whitespace and the separators the kernel rejects in a link name.
const IFNAME_FORBIDDEN = /[/:\s]/;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads `CNI_COMMAND`. `undefined` means it is unset or empty: the caller prints the about text,
 * as libcni's skel does when a human runs the binary.
 */
export function parseCommand(env: Env): Outcome<CniCommand | undefined> {
  const raw = env.CNI_COMMAND;
  if (raw === undefined || raw === "") return { ok: true, value: undefined };
  if ((CNI_COMMANDS as readonly string[]).includes(raw))
    return { ok: true, value: raw as CniCommand };
  return fail("invalid_environment", `unknown CNI_COMMAND: ${quote(raw)}`, "CNI_COMMAND");
}

/** Validates the `CNI_*` variables `command` needs and parses `CNI_ARGS`. */
export function parseEnv(env: Env, command: CniCommand): Outcome<CniEnv> {
  const missing = REQUIRED_ENV[command].filter(name => !env[name]);
  if (missing.length > 0) {
    return fail(
      "invalid_environment",
      `required env variables [${missing.join(",")}] missing`,
      missing.join(","),
    );
  }
  const containerId = env.CNI_CONTAINERID ?? "";
  if (containerId !== "" && !CONTAINER_ID.test(containerId)) {
    return fail(
      "invalid_environment",
      `CNI_CONTAINERID: invalid characters in containerID ${quote(containerId)}`,
      "CNI_CONTAINERID",
    );
  }
  const ifName = env.CNI_IFNAME ?? "";
  const ifProblem = ifName === "" ? undefined : interfaceNameProblem(ifName);
  if (ifProblem)
    return fail("invalid_environment", `CNI_IFNAME: ${ifProblem} ${quote(ifName)}`, "CNI_IFNAME");
  const args = parseCniArgs(env.CNI_ARGS ?? "");
  if (!args.ok) return args;
  return {
    ok: true,
    value: { command, containerId, netns: env.CNI_NETNS ?? "", ifName, args: args.value },
  };
}

function interfaceNameProblem(name: string): string | undefined {
  if (name.length > MAX_IFNAME) return `interface name is longer than ${MAX_IFNAME} characters:`;
  if (name === "." || name === "..") return "interface name cannot be . or ..:";
  if (IFNAME_FORBIDDEN.test(name))
    return "interface name contains / or : or whitespace characters:";
  return undefined;
}

const ARGS_PREFIX = "failed to load CNI ENV args: ARGS:";

/**
 * libcni `types.LoadArgs` into Spiderpool's `K8sArgs`: `;`-separated `KEY=VALUE` pairs, keys
 * case-sensitive, exactly one `=` per pair, the last duplicate wins; unknown keys are an error
 * unless `IgnoreUnknown` is `1`/`true` (any case) anywhere in the string.
 */
export function parseCniArgs(text: string): Outcome<K8sArgs> {
  const found: Record<string, string> = {};
  const unknown: string[] = [];
  if (text !== "") {
    for (const pair of text.split(";")) {
      const kv = pair.split("=");
      if (kv.length !== 2)
        return fail(
          "invalid_environment",
          `${ARGS_PREFIX} invalid pair ${quote(pair)}`,
          "CNI_ARGS",
        );
      const [key, value] = kv as [string, string];
      if (KNOWN_KEYS.has(key)) found[key] = value;
      else unknown.push(pair);
    }
  }
  let ignoreUnknown = false;
  if (found.IgnoreUnknown !== undefined) {
    const flag = parseGoBool(found.IgnoreUnknown);
    if (flag === undefined) {
      return fail(
        "invalid_environment",
        `${ARGS_PREFIX} error parsing value of pair "IgnoreUnknown=${found.IgnoreUnknown}": boolean unmarshal error: invalid input ${found.IgnoreUnknown}`,
        "CNI_ARGS",
      );
    }
    ignoreUnknown = flag;
  }
  if (unknown.length > 0 && !ignoreUnknown) {
    return fail(
      "invalid_environment",
      `${ARGS_PREFIX} unknown args [${unknown.map(p => quote(p)).join(" ")}]`,
      "CNI_ARGS",
    );
  }
  if (found.IP !== undefined && found.IP !== "" && readAddress(found.IP) === undefined) {
    return fail(
      "invalid_environment",
      `${ARGS_PREFIX} error parsing value of pair ${quote(`IP=${found.IP}`)}: invalid IP address`,
      "CNI_ARGS",
    );
  }
  // The agent puts both into API paths; a name the API server would refuse stops here (docs/security.md).
  const namespace = found.K8S_POD_NAMESPACE;
  if (namespace !== undefined && namespace !== "" && !isNamespaceName(namespace)) {
    return fail(
      "invalid_environment",
      `${ARGS_PREFIX} K8S_POD_NAMESPACE: not a namespace name (a DNS-1123 label of at most 63 characters): ${quote(namespace)}`,
      "K8S_POD_NAMESPACE",
    );
  }
  const pod = found.K8S_POD_NAME;
  if (pod !== undefined && pod !== "" && !isPodName(pod)) {
    return fail(
      "invalid_environment",
      `${ARGS_PREFIX} K8S_POD_NAME: not a Pod name (a DNS-1123 subdomain of at most 253 characters): ${quote(pod)}`,
      "K8S_POD_NAME",
    );
  }
  return {
    ok: true,
    value: {
      podNamespace: nonEmpty(found.K8S_POD_NAMESPACE),
      podName: nonEmpty(found.K8S_POD_NAME),
      podInfraContainerId: nonEmpty(found.K8S_POD_INFRA_CONTAINER_ID),
      podUid: nonEmpty(found.K8S_POD_UID),
      ip: nonEmpty(found.IP),
      ignoreUnknown,
    },
  };
}

const KNOWN_KEYS = new Set([
  "IgnoreUnknown",
  "IP",
  "K8S_POD_NAME",
  "K8S_POD_NAMESPACE",
  "K8S_POD_INFRA_CONTAINER_ID",
  "K8S_POD_UID",
]);

// libcni UnmarshallableBool: "1"/"true" and "0"/"false", case-insensitive; anything else is an error.
function parseGoBool(value: string): boolean | undefined {
  const lower = value.toLowerCase();
  if (lower === "1" || lower === "true") return true;
  if (lower === "0" || lower === "false") return false;
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** The Pod's `namespace/name` for logs, or `undefined` when CNI_ARGS did not carry it. */
export function podKey(args: K8sArgs): string | undefined {
  return args.podNamespace && args.podName ? `${args.podNamespace}/${args.podName}` : undefined;
}
