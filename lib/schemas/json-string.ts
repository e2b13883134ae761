/**
 * Spiderpool v2beta1 keeps some status maps as JSON text inside a string field (`allocatedIPs`,
 * `controlledIPPools`) rather than as structured objects. This file turns such a string into a
 * checked value and back.
 */
import { z } from "zod";

/**
 * A codec between JSON text and the value described by `inner`.
 *
 * `inner.parse` checks a value that is already decoded; `codec.parse(text)` decodes and checks;
 * `z.encode(codec, value)` checks and writes JSON text. Text that is not JSON is reported as
 * an `invalid_format` issue (format `json`), not thrown.
 *
 * @param inner schema of the decoded value
 */
export function jsonString<T extends z.ZodType>(inner: T): z.ZodCodec<z.ZodString, T> {
  return z.codec(z.string(), inner, {
    decode: (text, payload) => {
      try {
        return JSON.parse(text) as z.input<T>;
      } catch (error) {
        payload.issues.push({
          code: "invalid_format",
          format: "json",
          input: text,
          message: `Invalid JSON: ${error instanceof Error ? error.message : String(error)}`,
        });
        return z.NEVER;
      }
    },
    encode: value => JSON.stringify(value),
  });
}
