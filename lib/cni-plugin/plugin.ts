/**
 * The plugin as a function: environment, stdin and two writers in, exit code out. main.ts wires
 * it to `process`; specs call it directly. It settles by the call's deadline whatever the agent
 * does, prints exactly one JSON document (result, VERSION answer or error) or nothing, and never
 * throws.
 */
import { SUPPORTED_CNI_VERSIONS } from "../schemas/cni-netconf.js";
import { parseCommand, parseEnv, podKey, type CniCommand, type CniEnv } from "./args.js";
import { cniError, formatCniError, type CniError, type Outcome } from "./cni-error.js";
import { callAgent, type AgentTransport } from "./client.js";
import * as commands from "./commands.js";
import { escapeProblem } from "./contained-path.js";
import { DEFAULT_HOST_DIRS, type HostDirs } from "./host-dirs.js";
import { createFileLogger, createStreamLogger, type Logger } from "./logger.js";
import {
  decodeNetConf,
  LATEST_CNI_VERSION,
  supportedVersionOf,
  validateNetConf,
  type CniVersion,
  type PluginConfig,
} from "./netconf.js";
import { DEFAULT_MAX_STDIN_BYTES, readStdin, type StdinSource } from "./stdin.js";

/** What one invocation sees of the outside world. */
export interface PluginIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: StdinSource;
  /** Receives the single JSON document (with a trailing newline), if any. */
  readonly stdout: (text: string) => void;
  /** Receives the about text and log lines that have no file to go to. */
  readonly stderr: (text: string) => void;
}

/** Knobs for embedding and tests; main.ts sets only `version`. */
export interface PluginOptions {
  /** Reported in the about text; the build stamps the package version. */
  readonly version?: string;
  /**
   * The node's log and run directories (lib/cni-plugin/host-dirs.ts), or why they could not be read; the
   * defaults when absent. Never from the netconf: main.ts reads the file beside the executable,
   * the agent passes its own settings.
   */
  readonly hostDirs?: Outcome<HostDirs>;
  readonly maxStdinBytes?: number;
  /** When the CNI call began (epoch ms): the exec shim's start, so the deadline counts from there. */
  readonly startedAt?: number;
  /** How to reach the agent; the unix socket of the netconf by default. */
  readonly transport?: AgentTransport;
  /** Added to every log line (the agent marks the calls it runs for the exec shim). */
  readonly logFields?: Readonly<Record<string, string>>;
}

/**
 * Seconds the whole call may take when `ipam.timeout_seconds` is unset. ADD waits longest (the
 * agent may be committing to the API server); STATUS is polled by the runtime and must be quick.
 */
export const DEFAULT_TIMEOUT_SECONDS: Record<Exclude<CniCommand, "VERSION">, number> = {
  ADD: 60,
  DEL: 30,
  CHECK: 30,
  GC: 60,
  STATUS: 10,
};

/** Minimum config version per command (libcni skel): CHECK came with 0.4.0, GC/STATUS with 1.1.0. */
const MIN_VERSION: Partial<Record<CniCommand, CniVersion>> = {
  CHECK: "0.4.0",
  GC: "1.1.0",
  STATUS: "1.1.0",
};

const HANDLERS = {
  ADD: commands.add,
  DEL: commands.del,
  CHECK: commands.check,
  GC: commands.gc,
  STATUS: commands.status,
};

/** Runs one CNI invocation; resolves to the process exit code (0 success, 1 error printed). */
export async function runPlugin(io: PluginIo, options: PluginOptions = {}): Promise<number> {
  const startedAt = options.startedAt ?? Date.now();
  let errorVersion: CniVersion = LATEST_CNI_VERSION;
  let log: Logger = createStreamLogger(io.stderr, "info");
  let configParsed = false;
  let command: CniCommand | undefined;
  const printError = (error: CniError): number => {
    io.stdout(`${formatCniError(error, errorVersion)}\n`);
    return 1;
  };
  try {
    const parsedCommand = parseCommand(io.env);
    if (!parsedCommand.ok) return printError(parsedCommand.error);
    command = parsedCommand.value;
    if (command === undefined) {
      io.stderr(
        `Spiderpool IPAM ${options.version ?? "dev"}\nCNI protocol versions supported: ${SUPPORTED_CNI_VERSIONS.join(", ")}\n`,
      );
      return 0;
    }
    if (command === "VERSION") {
      io.stdout(
        `${JSON.stringify({ cniVersion: LATEST_CNI_VERSION, supportedVersions: SUPPORTED_CNI_VERSIONS })}\n`,
      );
      return 0;
    }
    const dirs = options.hostDirs ?? { ok: true, value: DEFAULT_HOST_DIRS };
    if (!dirs.ok) return printError(dirs.error);
    const env = parseEnv(io.env, command);
    if (!env.ok) return printError(env.error);
    // Until the netconf is read its timeout is unknown: bound reading stdin by the default.
    const stdin = await readStdin(
      io.stdin,
      options.maxStdinBytes ?? DEFAULT_MAX_STDIN_BYTES,
      startedAt + DEFAULT_TIMEOUT_SECONDS[command] * 1000,
    );
    if (!stdin.ok) return printError(stdin.error);
    const json = decodeNetConf(stdin.value);
    if (!json.ok) return printError(json.error);
    errorVersion = supportedVersionOf(json.value) ?? LATEST_CNI_VERSION;
    const conf = validateNetConf(json.value, dirs.value);
    if (!conf.ok) return printError(conf.error);
    const gate = versionGate(command, conf.value.cniVersion);
    if (gate) return printError(gate);
    // Checked before the log's directory is created or anything is opened.
    const escape = escapeProblem(conf.value, dirs.value, options.transport === undefined);
    if (escape) return printError(escape);
    configParsed = true;
    log = openLog(conf.value, env.value, io, options);
    const deadlineAt =
      startedAt + (conf.value.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS[command]) * 1000;
    log.debug("invoked", {
      netns: env.value.netns,
      network: conf.value.name,
      cniVersion: conf.value.cniVersion,
    });
    const transport = options.transport ?? socketTransport(conf.value.socketPath);
    const call: commands.CommandContext["call"] = (method, path, body) =>
      transport(method, path, body, deadlineAt);
    const outcome = await withDeadline(
      HANDLERS[command]({ env: env.value, conf: conf.value, deadlineAt, log, call }),
      deadlineAt,
      command,
    );
    if (!outcome.ok) {
      if (command === "DEL") {
        log.error("DEL failed, reporting success so Pod deletion proceeds", {
          err: { type: "CniError", message: outcome.error.msg, code: outcome.error.code },
        });
        return 0;
      }
      log.error(outcome.error.msg, { code: outcome.error.code, details: outcome.error.details });
      return printError(outcome.error);
    }
    if (outcome.value !== undefined) io.stdout(`${outcome.value}\n`);
    return 0;
  } catch (error) {
    log.error("unexpected exception", { err: error });
    // A bug must not wedge Pod deletion either (see commands.del).
    if (command === "DEL" && configParsed) return 0;
    return printError(
      cniError(
        "internal",
        `spiderpool plugin internal error: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  } finally {
    log.close();
  }
}

function socketTransport(socketPath: string): AgentTransport {
  return (method, path, body, deadlineAt) => callAgent(socketPath, method, path, body, deadlineAt);
}

function versionGate(command: CniCommand, version: CniVersion): CniError | undefined {
  const min = MIN_VERSION[command];
  if (min === undefined || compareVersions(version, min) >= 0) return undefined;
  return cniError(
    "incompatible_version",
    `config version does not allow ${command}`,
    `cniVersion ${version} < ${min}`,
  );
}

/** Orders dotted versions numerically ("0.10.0" > "0.4.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function openLog(conf: PluginConfig, env: CniEnv, io: PluginIo, options: PluginOptions): Logger {
  const fields: Record<string, string> = {
    component: "spiderpool-cni",
    cmd: env.command,
    ...options.logFields,
  };
  if (env.containerId) fields.containerID = env.containerId;
  if (env.ifName) fields.ifName = env.ifName;
  const pod = podKey(env.args);
  if (pod) fields.pod = pod;
  return createFileLogger(
    conf.logFilePath,
    conf.logDir,
    conf.logLevel,
    conf.logFile,
    io.stderr,
    fields,
  );
}

/**
 * Backstop for the deadline: handlers already bound each request by `deadlineAt`, but nothing
 * else (a stuck log write, a bug) may outlive it either.
 */
function withDeadline(
  work: Promise<commands.CommandOutcome>,
  deadlineAt: number,
  command: CniCommand,
): Promise<commands.CommandOutcome> {
  let timer: NodeJS.Timeout | undefined;
  // A little grace so the request-level timeout, with its better message, normally wins.
  const grace = 50;
  const expired = new Promise<commands.CommandOutcome>(resolve => {
    timer = setTimeout(
      () => {
        const name = command === "STATUS" ? "plugin_not_available" : "try_again_later";
        resolve({
          ok: false,
          error: cniError(name, `${command} did not finish before its deadline`, "timeout"),
        });
      },
      Math.max(0, deadlineAt - Date.now()) + grace,
    );
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
