/**
 * A tiny JSON-lines logger for the plugin, writing the same schema as the agent's winston and
 * Pepr's pino lines (lib/log-schema.ts, docs/usage/logs.md), so one log pipeline parses them alike.
 *
 * Not winston: the plugin starts once per CNI call, and importing winston inside the single
 * executable costs ~25 ms of CPU per start against ~60 ms for Node itself (cni/README.md).
 * Writes are synchronous so every line is on disk before the process exits.
 */
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  writeSync,
  type Stats,
} from "node:fs";
import { dirname } from "node:path";
import { lineBase, LEVELS, logLine, type LevelName } from "../log-schema.js";
import { rotateLogFile } from "./log-rotate.js";
import type { LogFileLimits, LogLevel } from "./netconf.js";

// Spiderpool's level names as thresholds; the plugin writes at most `error`, so `fatal` and
// `panic` both keep the file quiet.
const THRESHOLD: Record<LogLevel, number> = {
  debug: LEVELS.debug,
  info: LEVELS.info,
  warn: LEVELS.warn,
  error: LEVELS.error,
  fatal: LEVELS.fatal,
  panic: LEVELS.fatal + 10,
};

/** Extra fields of one line; `err` takes whatever was thrown and is written as `{ type, message, stack }`. */
export type LogFields = Readonly<Record<string, unknown>>;

/** The logging surface the plugin uses; `with` adds fields to every later line. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  with(fields: LogFields): Logger;
  /** Releases the file; later lines go nowhere. */
  close(): void;
}

/** Where lines go: a line sink plus the minimum level. */
interface Sink {
  write(line: string): void;
  close(): void;
  readonly level: LogLevel;
}

/** Logs to a writer (stderr): used before the netconf names a file, and as the file's fallback. */
export function createStreamLogger(
  write: (text: string) => void,
  level: LogLevel,
  fields: LogFields = {},
): Logger {
  return build({ write, close: () => undefined, level }, fields);
}

/**
 * Opens (creating the directory of) `path` for appending, rotating it first when it reached
 * `limits.maxBytes`. If the file cannot be opened the logger writes to `fallback` instead and
 * says why in its first line: logging must never be the reason a Pod does not start.
 *
 * `path` must already be checked to lie below `logDir` (lib/cni-plugin/contained-path.ts); rotation never
 * touches anything outside `logDir`, and the file itself is never a symbolic link followed.
 */
export function createFileLogger(
  path: string,
  logDir: string,
  level: LogLevel,
  limits: LogFileLimits,
  fallback: (text: string) => void,
  fields: LogFields = {},
): Logger {
  let fd: number;
  try {
    fd = openLogFile(path, logDir, limits);
  } catch (error) {
    const logger = createStreamLogger(fallback, level, fields);
    logger.warn("cannot open log file, logging to stderr", { logFile: path, err: error });
    return logger;
  }
  let open = true;
  const sink: Sink = {
    level,
    write(line) {
      if (!open) return;
      try {
        writeSync(fd, line);
      } catch {
        fallback(line); // disk full or file gone: keep the line rather than lose it
      }
    },
    close() {
      if (!open) return;
      open = false;
      try {
        closeSync(fd);
      } catch {
        // already closed by the OS; nothing left to flush with synchronous writes
      }
    },
  };
  return build(sink, fields);
}

// O_NONBLOCK: opening a FIFO with no reader would otherwise block the process forever.
// O_NOFOLLOW: a symbolic link planted at the log file's name must not send our lines elsewhere.
const OPEN_FLAGS =
  constants.O_WRONLY |
  constants.O_APPEND |
  constants.O_CREAT |
  constants.O_NONBLOCK |
  constants.O_NOFOLLOW;

function openLogFile(path: string, logDir: string, limits: LogFileLimits): number {
  makeDirectory(dirname(path));
  let fd = openRegularFile(path);
  if (fstatSync(fd).size >= limits.maxBytes) {
    closeSync(fd);
    rotateLogFile(path, logDir, limits);
    fd = openRegularFile(path);
  }
  return fd;
}

/** Opens for appending, refusing anything but a regular file that is not our own stdout. */
function openRegularFile(path: string): number {
  const fd = openSync(path, OPEN_FLAGS, 0o644);
  const stat = fstatSync(fd);
  let problem = stat.isFile() ? undefined : "not a regular file";
  if (!problem && isStdout(stat)) problem = "the same file as stdout";
  if (problem) {
    closeSync(fd);
    throw new Error(`${path} is ${problem}`);
  }
  return fd;
}

// log_file_path=/dev/stdout (or /proc/self/fd/1) would put log lines into the CNI result.
function isStdout(stat: Stats): boolean {
  try {
    const out = fstatSync(1);
    return out.dev === stat.dev && out.ino === stat.ino;
  } catch {
    return false;
  }
}

/**
 * `mkdir -p`. Not `mkdirSync(…, { recursive: true })`: on Node 20 that spins forever on paths
 * such as /proc/x/y (mkdir keeps answering ENOENT), which would hang the kubelet's CNI call
 * with the event loop blocked and no timer able to fire.
 */
export function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, 0o755);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    const parent = dirname(dir);
    if (code !== "ENOENT" || parent === dir) throw error;
    makeDirectory(parent);
    mkdirSync(dir, 0o755); // a second ENOENT here is final
  }
}

function build(sink: Sink, base: LogFields): Logger {
  const min = THRESHOLD[sink.level];
  const line = lineBase();
  const emit = (level: LevelName, message: string, fields?: LogFields) => {
    if (LEVELS[level] < min) return;
    sink.write(`${logLine(line, level, message, { ...base, ...fields })}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    with: fields => build(sink, { ...base, ...fields }),
    close: () => sink.close(),
  };
}
