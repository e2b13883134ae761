/**
 * Pure decoding of the network configuration on stdin into the settings the plugin acts on.
 * Texts follow Spiderpool's (`failed to parse CNI network configuration: …` for bytes that are
 * not a JSON object, `failed to load CNI network configuration: …` for a wrong field), and every
 * field error names the field path and the value found there.
 */
import {
  LOG_LEVELS,
  NetConfSchema,
  SUPPORTED_CNI_VERSIONS,
  type NetConf,
} from "../lib/schemas/cni-netconf.js";
import { DEFAULT_AGENT_SOCKET } from "../lib/schemas/agent-api.js";
import { fail, quote, type Outcome } from "./cni-error.js";
import { describeIssue, formatPath } from "./zod-issue.js";

/** One of SUPPORTED_CNI_VERSIONS. */
export type CniVersion = (typeof SUPPORTED_CNI_VERSIONS)[number];
/** Spiderpool's zap levels; fatal and panic only filter (the plugin never logs at them). */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The newest version we speak: used for VERSION output and for errors before a version is known. */
export const LATEST_CNI_VERSION: CniVersion = "1.1.0";

/** Spiderpool's defaults (spec §4.1): debug logging into a lumberjack-rotated JSON file. */
export const DEFAULT_LOG_FILE = "/var/log/spidernet/spiderpool.log";
const DEFAULT_LOG_LEVEL: LogLevel = "debug";

/** Rotation limits with Spiderpool's "0 means library default / keep all" rules applied. */
export interface LogFileLimits {
  /** Rotate when the file reaches this many bytes. */
  readonly maxBytes: number;
  /** Delete rotated files older than this many days; 0 keeps them forever. */
  readonly maxAgeDays: number;
  /** Keep at most this many rotated files; 0 keeps all. */
  readonly maxCount: number;
}

/** The netconf after validation and defaulting. */
export interface PluginConfig {
  readonly cniVersion: CniVersion;
  readonly name: string;
  readonly socketPath: string;
  readonly defaultIPv4IPPool?: string[];
  readonly defaultIPv6IPPool?: string[];
  readonly cleanGateway: boolean;
  readonly matchMasterSubnet: boolean;
  readonly logLevel: LogLevel;
  /** `undefined` when unset or empty: the caller picks its default file. */
  readonly logFilePath?: string;
  readonly logFile: LogFileLimits;
  /** Deadline of the whole call in seconds, when the netconf sets one. */
  readonly timeoutSeconds?: number;
  readonly prevResult?: unknown;
  readonly validAttachments?: { containerID: string; ifname: string }[];
}

const PARSE = "failed to parse CNI network configuration:";
const LOAD = "failed to load CNI network configuration:";

/** Bytes → a JSON object. Empty, non-UTF-8-JSON or non-object input is a decoding failure (6). */
export function decodeNetConf(bytes: Uint8Array): Outcome<Record<string, unknown>> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  if (text.trim() === "") return fail("decoding_failure", `${PARSE} stdin is empty`, "stdin");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail("decoding_failure", `${PARSE} ${(error as Error).message}`, "stdin");
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return fail("decoding_failure", `${PARSE} expected a JSON object, got ${jsonKind(json)}`, "stdin");
  }
  return { ok: true, value: json as Record<string, unknown> };
}

/** The netconf's `cniVersion` when it is one we support, so errors can be printed in it. */
export function supportedVersionOf(json: Record<string, unknown>): CniVersion | undefined {
  const v = json.cniVersion;
  return typeof v === "string" && (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(v) ? (v as CniVersion) : undefined;
}

// libcni utils.ValidateNetworkName: the name becomes part of file paths and cache keys.
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** A decoded JSON object → PluginConfig; version problems are code 1, field problems code 7. */
export function validateNetConf(json: Record<string, unknown>): Outcome<PluginConfig> {
  const version = json.cniVersion;
  if (typeof version === "string" && supportedVersionOf(json) === undefined) {
    return fail(
      "incompatible_version",
      `${LOAD} unsupported specified CNI version ${version}, the CNI versions supported by Spiderpool: [${SUPPORTED_CNI_VERSIONS.join(" ")}]`,
      "cniVersion",
    );
  }
  const parsed = NetConfSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(describeIssue);
    const fields = parsed.error.issues.map((i) => formatPath(i.path)).join(",");
    return fail("invalid_network_config", `${LOAD} ${problems.join("; ")}`, fields);
  }
  const conf: NetConf = parsed.data;
  if (!NETWORK_NAME.test(conf.name)) {
    return fail("invalid_network_config", `${LOAD} name: invalid characters found in network name ${quote(conf.name)}`, "name");
  }
  const level = (conf.ipam.log_level ?? DEFAULT_LOG_LEVEL).toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    return fail("invalid_network_config", `${LOAD} ipam.log_level: unsupported log level ${conf.ipam.log_level}`, "ipam.log_level");
  }
  const ipam = conf.ipam;
  return {
    ok: true,
    value: {
      cniVersion: conf.cniVersion as CniVersion,
      name: conf.name,
      socketPath: ipam.ipam_unix_socket_path || DEFAULT_AGENT_SOCKET,
      defaultIPv4IPPool: ipam.default_ipv4_ippool,
      defaultIPv6IPPool: ipam.default_ipv6_ippool,
      cleanGateway: ipam.clean_gateway ?? false,
      matchMasterSubnet: ipam.match_master_subnet ?? false,
      logLevel: level as LogLevel,
      logFilePath: ipam.log_file_path || undefined,
      logFile: logFileLimits(ipam.log_file_max_size, ipam.log_file_max_age, ipam.log_file_max_count),
      timeoutSeconds: ipam.timeout_seconds,
      prevResult: conf.prevResult,
      validAttachments: conf["cni.dev/valid-attachments"],
    },
  };
}

const MIB = 1024 * 1024;

// Spiderpool (cmd/spiderpool/cmd/config.go): size 0 → lumberjack's 100 MB; negative → 100;
// age 0 → forever, negative → 30 days; count 0 → keep all, negative → 10.
function logFileLimits(size = 0, age = 0, count = 0): LogFileLimits {
  return {
    maxBytes: (size > 0 ? size : 100) * MIB,
    maxAgeDays: age < 0 ? 30 : age,
    maxCount: count < 0 ? 10 : count,
  };
}

function jsonKind(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}
