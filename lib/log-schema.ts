import { hostname } from "node:os";

/**
 * The one shape of every JSON log line we write, chosen to be the shape Pepr's own pino lines
 * have, so one pod's output (Pepr, watcher, admission, agent, plugin) reads with one parser
 * (docs/usage/logs.md): `level` as pino's number, `time` in epoch milliseconds (ISO text when
 * PINO_TIME_STAMP=iso, as Pepr does), `pid`, `hostname`, the fields, `msg` last; an error in
 * `err` as `{ type, message, stack }` plus its own fields such as `code`.
 *
 * Dependency-free so the CNI plugin, which starts once per call, can use it too.
 */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;

/** pino's standard error serializer shape. */
export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  [field: string]: unknown;
}

/** What stays the same for every line of one logger: read when the logger is made, not at import. */
export interface LineBase {
  readonly pid: number;
  readonly hostname: string;
  readonly isoTime: boolean;
}

// Not at import time: the plugin's executable is built from a V8 start-up snapshot, which would
// freeze the pid, host name and environment of the build machine into every line.
export function lineBase(env: NodeJS.ProcessEnv = process.env): LineBase {
  return { pid: process.pid, hostname: hostname(), isoTime: env.PINO_TIME_STAMP === "iso" };
}

/** One line, without the newline. A log call never throws: unserialisable fields become text. */
export function logLine(
  base: LineBase,
  level: LevelName,
  msg: string,
  fields: Readonly<Record<string, unknown>>,
): string {
  const record = logRecord(base, level, msg, fields);
  try {
    return JSON.stringify(record);
  } catch {
    // BigInts or cycles: keep the schema's numbers and text, flatten the rest.
    const flat: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record))
      flat[key] =
        typeof value === "number" || typeof value === "string" || typeof value === "boolean"
          ? value
          : String(value);
    return JSON.stringify(flat);
  }
}

/** One line as an object; `err` in `fields` is serialized whatever was thrown. */
export function logRecord(
  base: LineBase,
  level: LevelName,
  msg: string,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const record: Record<string, unknown> = {
    level: LEVELS[level],
    time: base.isoTime ? new Date().toISOString() : Date.now(),
    pid: base.pid,
    hostname: base.hostname,
  };
  for (const [key, value] of Object.entries(fields)) {
    if (key === "level" || key === "time" || key === "msg") continue; // the schema's own fields win
    record[key] = key === "err" ? serializeError(value) : value;
  }
  record.msg = msg;
  return record;
}

/**
 * `{ type, message, stack }` of anything thrown, as pino's std serializer gives it: causes are
 * appended to message and stack, the error's own enumerable fields (`code`, `status`…) kept.
 * A value that is not error-like becomes `{ type, message }` so readers find `err.message` always.
 */
export function serializeError(value: unknown): SerializedError {
  if (!isErrorLike(value))
    return { type: value === null ? "null" : typeof value, message: String(value) };
  const out: SerializedError = {
    type: errorType(value),
    message: withCauses(value, e => e.message, ": "),
  };
  const stack = withCauses(
    value,
    e => (typeof e.stack === "string" ? e.stack : ""),
    "\ncaused by: ",
  );
  if (stack) out.stack = stack;
  for (const [key, field] of Object.entries(value)) {
    if (key === "cause" || key in out || typeof field === "function") continue;
    out[key] = isErrorLike(field) ? serializeError(field) : field;
  }
  return out;
}

interface ErrorLike {
  message: string;
  stack?: unknown;
  cause?: unknown;
  name?: unknown;
  type?: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

function errorType(e: ErrorLike): string {
  // An error already in this shape (a failure that was never thrown) keeps its type.
  if (!(e instanceof Error) && typeof e.type === "string") return e.type;
  const ctor = (e as { constructor?: unknown }).constructor;
  if (typeof ctor === "function" && ctor.name) return ctor.name;
  return typeof e.name === "string" ? e.name : "Error";
}

function withCauses(e: ErrorLike, part: (e: ErrorLike) => string, joiner: string): string {
  const parts = [part(e)];
  const seen = new Set<unknown>([e]);
  for (let c = e.cause; isErrorLike(c) && !seen.has(c); c = c.cause) {
    seen.add(c);
    parts.push(part(c));
  }
  return parts.filter(Boolean).join(joiner);
}
