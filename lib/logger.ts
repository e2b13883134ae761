import winston from "winston";
import { lineBase, LEVELS, logLine, type LevelName } from "./log-schema.js";

// winston orders levels the other way round from pino: 0 is the most severe.
const WINSTON_LEVELS: Record<LevelName, number> = {
  fatal: 0,
  error: 1,
  warn: 2,
  info: 3,
  debug: 4,
  trace: 5,
};
const MESSAGE = Symbol.for("message"); // where winston's transports take the finished line from

/**
 * JSON lines in the schema of Pepr's own pino lines (lib/log-schema.ts, docs/usage/logs.md), so
 * one stream from the module stays parseable. `component` says which part of the system wrote
 * the line. `LOG_LEVEL` takes pino's names, as Pepr reads the same variable; `silent` logs nothing.
 */
export function createLogger(
  component: string,
  level = process.env.LOG_LEVEL ?? "info",
): winston.Logger {
  const base = lineBase();
  return winston.createLogger({
    levels: WINSTON_LEVELS,
    level: level === "silent" ? "fatal" : level,
    silent: level === "silent",
    defaultMeta: { component },
    format: winston.format(info => {
      const {
        level: name,
        message,
        stack,
        ...fields
      } = info as winston.Logform.TransformableInfo & { stack?: unknown };
      // `log.error(someError)` passes the error itself: keep its message and stack in `err`.
      if (stack !== undefined && fields.err === undefined)
        fields.err = { type: "Error", message: String(message), stack };
      (info as Record<symbol, unknown>)[MESSAGE] = logLine(
        base,
        name in LEVELS ? (name as LevelName) : "info",
        String(message),
        fields,
      );
      return info;
    })(),
    transports: [new winston.transports.Console({ stderrLevels: Object.keys(WINSTON_LEVELS) })],
  });
}

export type Logger = winston.Logger;
