import winston from "winston";

/**
 * JSON logs with the field names Pepr's pino logs use (`level`, `time`, `msg`), so one stream
 * from the module stays parseable. `component` says which part of the system wrote the line.
 */
export function createLogger(component: string, level = process.env.LOG_LEVEL ?? "info"): winston.Logger {
  return winston.createLogger({
    level,
    defaultMeta: { component },
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      winston.format((info) => {
        info.time = new Date().toISOString();
        // winston puts the text in `message`; Pepr's pino lines call it `msg`.
        info.msg = info.message;
        delete (info as { message?: unknown }).message;
        return info;
      })(),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console({ stderrLevels: ["error", "warn", "info", "debug", "verbose", "silly"] })],
  });
}

export type Logger = winston.Logger;
