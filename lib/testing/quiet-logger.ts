import type { Logger } from "../logger.js";

/** A Logger that drops everything, for specs and benchmarks whose output would only be noise. */
export const quietLogger = {
  info: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  error: () => undefined,
} as unknown as Logger;
