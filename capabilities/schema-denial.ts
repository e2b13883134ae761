import type { z } from "zod";
import {
  formatInvalidMessage,
  invalidValue,
  type FieldError,
} from "../lib/core/admission/field-error.js";
import type { SpiderKind } from "../lib/core/admission/admission-verdict.js";

/**
 * The first admission layer: the zod schema of the kind. Each issue becomes a field error that
 * names the path and the offending value, rendered the way the API server renders Invalid.
 */
export function schemaDenial(
  kind: SpiderKind,
  schema: z.ZodType,
  object: unknown,
): string | undefined {
  const r = schema.safeParse(object);
  if (r.success) return undefined;
  const errors: FieldError[] = r.error.issues.map(i => {
    const path = i.path.reduce<string>(
      (p, k) => (typeof k === "number" ? `${p}[${k}]` : p ? `${p}.${String(k)}` : String(k)),
      "",
    );
    const value = valueAt(object, i.path);
    const v =
      typeof value === "string" || typeof value === "number" || typeof value === "boolean"
        ? value
        : (JSON.stringify(value) ?? "null");
    return invalidValue(
      "schema_violation",
      path || "(root)",
      v,
      i.code === "unrecognized_keys" ? `unknown field(s) ${i.keys.join(", ")}` : i.message,
    );
  });
  const name = (object as { metadata?: { name?: string } })?.metadata?.name ?? "";
  return formatInvalidMessage(kind, name, errors);
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur = obj;
  for (const k of path)
    cur =
      typeof cur === "object" && cur !== null
        ? (cur as Record<PropertyKey, unknown>)[k]
        : undefined;
  return cur;
}
