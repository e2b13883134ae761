/**
 * Helpers shared by the lib/schemas specs (not used at runtime).
 */
import type { z } from "zod";
import type { JsonSchemaProps } from "./crd.js";

/**
 * The dotted paths of every issue `schema` reports for `value` (`spec.routes.0.gw`); an
 * unrecognized key is reported at the key itself (`spec.vlan`). Empty when the value is valid.
 */
export function issuePaths(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.flatMap(issue => {
    const base = issue.path.map(String);
    if (issue.code === "unrecognized_keys") return issue.keys.map(key => [...base, key].join("."));
    return [base.join(".")];
  });
}

/**
 * Paths in `value` that the API server would prune because the CRD schema does not declare
 * them. Used to prove that what zod accepts also survives a round trip through Kubernetes.
 */
export function findPrunedFields(value: unknown, schema: JsonSchemaProps, path = ""): string[] {
  if (Array.isArray(value)) {
    return schema.items
      ? value.flatMap((item, i) => findPrunedFields(item, schema.items!, `${path}.${i}`))
      : [];
  }
  if (typeof value !== "object" || value === null || schema["x-kubernetes-preserve-unknown-fields"])
    return [];
  // Root metadata is `{type: object}` and handled by the API server itself.
  if (path === ".metadata") return [];
  const pruned: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties?.[key] ?? schema.additionalProperties;
    if (childSchema === undefined) pruned.push(`${path}.${key}`);
    else pruned.push(...findPrunedFields(child, childSchema, `${path}.${key}`));
  }
  return pruned;
}

/** Marker for `withField`: remove the field instead of setting it. */
export const REMOVE = Symbol("remove");

/**
 * A deep copy of `value` with the field at the dotted `path` (`spec.routes.0.gw`) set to `field`,
 * or removed when `field` is `REMOVE`. Lets specs describe one broken field per case.
 */
export function withField(value: unknown, path: string, field: unknown): unknown {
  const copy: unknown = structuredClone(value);
  const keys = path.split(".");
  const last = keys.pop()!;
  let node = copy as Record<string, unknown>;
  for (const key of keys) node = node[key] as Record<string, unknown>;
  if (field === REMOVE) delete node[last];
  else node[last] = field;
  return copy;
}
