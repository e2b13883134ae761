/**
 * Pure decoding of the network configuration on stdin into the settings the plugin acts on.
 * Texts follow Spiderpool's (`failed to parse CNI network configuration: …` for bytes that are
 * not a JSON object, `failed to load CNI network configuration: …` for a wrong field), and every
 * field error names the field path and the value found there.
 */
import { isAbsolute, normalize } from "node:path";
import {
  LOG_LEVELS,
  NetConfSchema,
  SUPPORTED_CNI_VERSIONS,
  TIMEOUT_SECONDS_BOUNDS,
  type NetConf,
} from "../schemas/cni-netconf.js";
import { fail, quote, type Outcome } from "./cni-error.js";
import { defaultLogFile, defaultSocket, isBelow, type HostDirs } from "./host-dirs.js";
import { describeIssue, formatPath } from "./zod-issue.js";

/** One of SUPPORTED_CNI_VERSIONS. */
export type CniVersion = (typeof SUPPORTED_CNI_VERSIONS)[number];
/** Spiderpool's zap levels; fatal and panic only filter (the plugin never logs at them). */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The newest version we speak: used for VERSION output and for errors before a version is known. */
export const LATEST_CNI_VERSION: CniVersion = "1.1.0";

/** Spiderpool's default: debug logging into a lumberjack-rotated JSON file. */
const DEFAULT_LOG_LEVEL: LogLevel = "debug";

/** Rotation limits, defaults applied (LOG_FILE_BOUNDS in lib/schemas/cni-netconf.ts bounds each). */
export interface LogFileLimits {
  /** Rotate when the file reaches this many bytes. */
  readonly maxBytes: number;
  /** Delete rotated files older than this many days; 0 leaves age to the count. */
  readonly maxAgeDays: number;
  /** Keep at most this many rotated files; 0 (only in tests) keeps all. */
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
  /**
   * The main plugin's `master` and `deviceID` when they are strings: read only for
   * `match_master_subnet`, never validated here (they are the main plugin's fields).
   */
  readonly master?: string;
  readonly deviceID?: string;
  readonly logLevel: LogLevel;
  /** Normalised, below the node's log directory (its default file there when unset or empty). */
  readonly logFilePath: string;
  /** The node's log directory the file was checked against; rotation stays inside it. */
  readonly logDir: string;
  readonly logFile: LogFileLimits;
  /** Deadline of the whole call in seconds, when the netconf sets one. */
  readonly timeoutSeconds?: number;
  readonly prevResult?: unknown;
  readonly validAttachments?: { containerID: string; ifname: string }[];
}

const PARSE = "failed to parse CNI network configuration:";
/** Prefix of every field error, Spiderpool's text. */
export const LOAD = "failed to load CNI network configuration:";

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
    return fail(
      "decoding_failure",
      `${PARSE} expected a JSON object, got ${jsonKind(json)}`,
      "stdin",
    );
  }
  return { ok: true, value: json as Record<string, unknown> };
}

/** The netconf's `cniVersion` when it is one we support, so errors can be printed in it. */
export function supportedVersionOf(json: Record<string, unknown>): CniVersion | undefined {
  const v = json.cniVersion;
  return typeof v === "string" && (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(v)
    ? (v as CniVersion)
    : undefined;
}

// libcni utils.ValidateNetworkName: the name becomes part of file paths and cache keys.
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * A decoded JSON object → PluginConfig; version problems are code 1, field problems code 7. The
 * log file and socket must lie below the node's directories `dirs`, never where the netconf says.
 */
export function validateNetConf(
  json: Record<string, unknown>,
  dirs: HostDirs,
): Outcome<PluginConfig> {
  const version = json.cniVersion;
  if (typeof version === "string" && supportedVersionOf(json) === undefined) {
    return fail(
      "incompatible_version",
      `${LOAD} unsupported specified CNI version ${version}, the CNI versions supported by Spiderpool: [${SUPPORTED_CNI_VERSIONS.join(" ")}]`,
      "cniVersion",
    );
  }
  // Before the schema, so the answer is the one the exec shim gives for the same netconf.
  const timeout = timeoutProblem(
    (json.ipam as Record<string, unknown> | undefined)?.timeout_seconds,
  );
  if (timeout) return fail("invalid_network_config", timeout, "ipam.timeout_seconds");
  const parsed = NetConfSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    // One complaint per field: an integer check and a bound both failing say the same thing twice.
    const issues = parsed.error.issues.filter(
      (issue, i, all) =>
        all.findIndex(other => formatPath(other.path) === formatPath(issue.path)) === i,
    );
    const problems = issues.map(describeIssue);
    const fields = issues.map(i => formatPath(i.path)).join(",");
    return fail("invalid_network_config", `${LOAD} ${problems.join("; ")}`, fields);
  }
  const conf: NetConf = parsed.data;
  if (!NETWORK_NAME.test(conf.name)) {
    return fail(
      "invalid_network_config",
      `${LOAD} name: invalid characters found in network name ${quote(conf.name)}`,
      "name",
    );
  }
  const level = (conf.ipam.log_level ?? DEFAULT_LOG_LEVEL).toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    return fail(
      "invalid_network_config",
      `${LOAD} ipam.log_level: unsupported log level ${conf.ipam.log_level}`,
      "ipam.log_level",
    );
  }
  const ipam = conf.ipam;
  const logFilePath = pathBelow(ipam.log_file_path, dirs.logDir, defaultLogFile(dirs));
  if (logFilePath === undefined) {
    return fail(
      "invalid_network_config",
      `${LOAD} ipam.log_file_path: must be a file below the node's plugin log directory ${dirs.logDir}, got ${quote(ipam.log_file_path)}`,
      "ipam.log_file_path",
    );
  }
  const socketPath = pathBelow(ipam.ipam_unix_socket_path, dirs.runDir, defaultSocket(dirs));
  if (socketPath === undefined) {
    return fail(
      "invalid_network_config",
      `${LOAD} ipam.ipam_unix_socket_path: must be a socket below the node's run directory ${dirs.runDir}, got ${quote(ipam.ipam_unix_socket_path)}`,
      "ipam.ipam_unix_socket_path",
    );
  }
  return {
    ok: true,
    value: {
      cniVersion: conf.cniVersion as CniVersion,
      name: conf.name,
      socketPath,
      defaultIPv4IPPool: ipam.default_ipv4_ippool,
      defaultIPv6IPPool: ipam.default_ipv6_ippool,
      cleanGateway: ipam.clean_gateway ?? false,
      matchMasterSubnet: ipam.match_master_subnet ?? false,
      ...(typeof json.master === "string" ? { master: json.master } : {}),
      ...(typeof json.deviceID === "string" ? { deviceID: json.deviceID } : {}),
      logLevel: level as LogLevel,
      logFilePath,
      logDir: dirs.logDir,
      logFile: logFileLimits(
        ipam.log_file_max_size,
        ipam.log_file_max_age,
        ipam.log_file_max_count,
      ),
      timeoutSeconds: ipam.timeout_seconds,
      prevResult: conf.prevResult,
      validAttachments: conf["cni.dev/valid-attachments"],
    },
  };
}

/**
 * The error text for an `ipam.timeout_seconds` outside TIMEOUT_SECONDS_BOUNDS, or undefined when
 * it is absent, in bounds, or not a number (the schema names the wrong type). The exec shim
 * (cni/shim/main.go timeoutProblem) builds the same text; cni/shim/testdata/timeout-seconds.json
 * is the table both are tested against.
 */
export function timeoutProblem(value: unknown): string | undefined {
  if (typeof value !== "number") return undefined;
  const { min, max } = TIMEOUT_SECONDS_BOUNDS;
  if (Number.isInteger(value) && value >= min && value <= max) return undefined;
  return `${LOAD} ipam.timeout_seconds: expected a whole number of seconds from ${min} to ${max}, got ${formatNumber(value)}`;
}

// As Go's encoding/json prints a float64 (it follows ECMAScript), so the shim's text is the same;
// JSON.parse gives ±Infinity for "1e400", which JSON.stringify would print as null.
function formatNumber(n: number): string {
  return Number.isFinite(n) ? JSON.stringify(n) : String(n);
}

/**
 * The normalised absolute `path` when it lies strictly below `dir`, `fallback` when it is unset
 * or empty, undefined otherwise (relative, `..` out of `dir`, or `dir` itself). Symbolic links
 * are the file system's business: lib/cni-plugin/contained-path.ts checks them before any open.
 */
function pathBelow(path: string | undefined, dir: string, fallback: string): string | undefined {
  if (path === undefined || path === "") return fallback;
  if (!isAbsolute(path) || path.includes("\u0000")) return undefined;
  const normal = normalize(path);
  return isBelow(normal, dir) ? normal : undefined;
}

const MIB = 1024 * 1024;

// Spiderpool's chart defaults; the schema has already bounded each value (LOG_FILE_BOUNDS).
function logFileLimits(sizeMiB = 100, ageDays = 0, count = 10): LogFileLimits {
  return { maxBytes: sizeMiB * MIB, maxAgeDays: ageDays, maxCount: count };
}

function jsonKind(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}
