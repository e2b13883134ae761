/**
 * Builds apiextensions.k8s.io/v1 CustomResourceDefinitions from zod schemas, so the CRD YAML, the
 * TypeScript types and the first admission check all come from one definition.
 *
 * zod's OpenAPI 3.0 output is close to what Kubernetes wants but not equal: it writes
 * `additionalProperties: false` beside `properties` (forbidden in a CRD), a `$schema` key, and
 * safe-integer bounds on integers. `toOpenApiV3Schema` fixes those, and
 * `findStructuralViolations` refuses anything that is not a structural schema, so a bad schema
 * fails at generation time instead of at `kubectl apply`.
 * Rules: https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
 */
import { z } from "zod";

/** One node of a CRD `openAPIV3Schema` (the subset of JSONSchemaProps this project emits). */
export interface JsonSchemaProps {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  format?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  required?: string[];
  properties?: Record<string, JsonSchemaProps>;
  additionalProperties?: JsonSchemaProps;
  items?: JsonSchemaProps;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-preserve-unknown-fields"?: true;
  "x-kubernetes-validations"?: ValidationRule[];
}

/** A CEL rule the API server evaluates on every write; `oldSelf` makes it a transition rule (updates only). */
export interface ValidationRule {
  rule: string;
  message: string;
}

/** Column types `kubectl get` understands. */
export type PrinterColumnType = "string" | "integer" | "number" | "boolean" | "date";

/** An `additionalPrinterColumns` entry. `priority: 10` (any value > 0) shows the column only with `-o wide`. */
export interface PrinterColumn {
  name: string;
  type: PrinterColumnType;
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** Everything about a CRD except its schema. */
export interface CrdNames {
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural; also the first label of the CRD name `<plural>.<group>`. */
  plural: string;
  shortNames: string[];
  categories: string[];
  scope: "Cluster" | "Namespaced";
  /** When true, `.status` is written only through the `/status` subresource. */
  statusSubresource: boolean;
  printerColumns: PrinterColumn[];
}

/** The apiextensions.k8s.io/v1 object, typed for the fields this generator writes. */
export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: "Cluster" | "Namespaced";
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JsonSchemaProps };
      subresources?: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }>;
  };
}

// Keys a v1 CRD accepts in a schema node and that this generator may emit. Anything else
// (`$ref`, `anyOf`, `const`, `propertyNames`, ...) is reported rather than passed on.
const ALLOWED_KEYS = new Set<string>([
  "type",
  "format",
  "description",
  "default",
  "enum",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "pattern",
  "required",
  "properties",
  "additionalProperties",
  "items",
  "x-kubernetes-list-type",
  "x-kubernetes-map-type",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-validations",
]);

const TYPES = new Set(["object", "array", "string", "integer", "number", "boolean"]);

type RawNode = Record<string, unknown>;

function isNode(value: unknown): value is RawNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Rewrites one node of zod's openapi-3.0 output into CRD form. Pure: returns a new tree.
 * Unknown keys are kept so that `findStructuralViolations` can name them.
 */
function normalizeNode(node: RawNode): RawNode {
  const out: RawNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema") continue;
    out[key] = value;
  }

  if (isNode(out.properties)) {
    const properties: RawNode = {};
    for (const [name, child] of Object.entries(out.properties)) {
      properties[name] = isNode(child) ? normalizeNode(child) : child;
    }
    out.properties = properties;
  }
  // Strict objects (`false`) and loose ones (`{}`) both mean "no map values" here; Kubernetes
  // prunes unknown fields of a structural schema anyway, and forbids additionalProperties
  // beside properties.
  const extra = out.additionalProperties;
  if (extra === false || (isNode(extra) && Object.keys(extra).length === 0)) {
    delete out.additionalProperties;
  } else if (isNode(extra)) {
    out.additionalProperties = normalizeNode(extra);
  }
  if (isNode(out.items)) out.items = normalizeNode(out.items);

  if (
    out.type === undefined &&
    (out.properties !== undefined || out.additionalProperties !== undefined)
  ) {
    out.type = "object";
  }
  if (out.type === undefined && out.items !== undefined) out.type = "array";

  if (out.type === "integer") {
    // z.int() bounds to the JavaScript safe range; Go stores int64, so the bounds would reject
    // values Spiderpool writes (totalIPCount saturates at 2^63 - 1).
    if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
    if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
    // Every integer field of the Spiderpool API is int64 in Go.
    out.format ??= "int64";
  }
  return orderKeys(out);
}

// Reading order for the YAML: what a field is, then its constraints, then its children.
const KEY_ORDER = [
  "description",
  "type",
  "format",
  "enum",
  "default",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "pattern",
  "x-kubernetes-list-type",
  "x-kubernetes-map-type",
  "x-kubernetes-preserve-unknown-fields",
  "items",
  "additionalProperties",
  "properties",
  "required",
  "x-kubernetes-validations",
];

/** Same node with keys in KEY_ORDER; unknown keys keep their order at the end. */
function orderKeys(node: RawNode): RawNode {
  const rank = (key: string): number => {
    const index = KEY_ORDER.indexOf(key);
    return index === -1 ? KEY_ORDER.length : index;
  };
  const keys = Object.keys(node).sort((a, b) => rank(a) - rank(b));
  return Object.fromEntries(keys.map(key => [key, node[key]]));
}

/**
 * The CRD `openAPIV3Schema` for a root object schema: zod's openapi-3.0 input schema (so fields
 * with `.default()` are optional and carry their default), made structural.
 *
 * @throws Error listing every structural violation, with its JSON path
 */
export function toOpenApiV3Schema(schema: z.ZodType): JsonSchemaProps {
  const raw = z.toJSONSchema(schema, { target: "openapi-3.0", io: "input" }) as RawNode;
  const root = normalizeNode(raw);
  // A CRD may constrain metadata only in name/generateName; the API server validates the rest.
  if (isNode(root.properties) && root.properties.metadata !== undefined) {
    root.properties.metadata = { type: "object" };
  }
  const violations = findStructuralViolations(root);
  if (violations.length > 0) {
    throw new Error(`schema is not a structural CRD schema:\n  ${violations.join("\n  ")}`);
  }
  return root as JsonSchemaProps;
}

/**
 * Lists the reasons a schema tree is not a valid v1 CRD structural schema, each prefixed with
 * its path (`.properties.spec...`). Empty when valid.
 *
 * Checked: every node has a known `type`; no keys outside the allowed set (so no `$ref`,
 * `$schema`, `anyOf`, `const`...); objects have either `properties` or `additionalProperties`,
 * never both, and no boolean `additionalProperties`; arrays have `items`; `required` names
 * existing properties; `enum` values match the type; list/map-type extensions sit on arrays/objects
 * with a legal value; root `metadata` is only `{type: object}`.
 *
 * @param node the schema (typically a root `openAPIV3Schema`)
 * @param path where `node` sits, for messages; the root is ""
 */
export function findStructuralViolations(node: unknown, path = ""): string[] {
  const at = path === "" ? "<root>" : path;
  if (!isNode(node)) return [`${at}: schema node must be an object`];
  const problems: string[] = [];

  for (const key of Object.keys(node)) {
    if (!ALLOWED_KEYS.has(key)) problems.push(`${at}: key "${key}" is not allowed`);
  }
  const type = node.type;
  if (typeof type !== "string" || !TYPES.has(type)) {
    problems.push(
      `${at}: type must be one of ${[...TYPES].join("|")}, got ${JSON.stringify(type)}`,
    );
  }

  const { properties, additionalProperties, items, required } = node;
  if (properties !== undefined && additionalProperties !== undefined) {
    problems.push(`${at}: properties and additionalProperties are mutually exclusive`);
  }
  if (typeof additionalProperties === "boolean") {
    problems.push(`${at}: additionalProperties must be a schema, not ${additionalProperties}`);
  }
  if ((properties !== undefined || additionalProperties !== undefined) && type !== "object") {
    problems.push(`${at}: properties/additionalProperties need type object`);
  }
  if (type === "array" && items === undefined) problems.push(`${at}: arrays need items`);
  if (items !== undefined && type !== "array") problems.push(`${at}: items needs type array`);

  if (required !== undefined) {
    const names = isNode(properties) ? Object.keys(properties) : [];
    if (!Array.isArray(required)) problems.push(`${at}: required must be a list`);
    else {
      for (const name of required) {
        if (!names.includes(String(name)))
          problems.push(`${at}: required field "${name}" has no property`);
      }
    }
  }
  if (node.enum !== undefined) {
    const sameType = (v: unknown): boolean =>
      type === "integer"
        ? Number.isInteger(v)
        : type === "number"
          ? typeof v === "number"
          : typeof v === type;
    if (!Array.isArray(node.enum) || !node.enum.every(sameType)) {
      problems.push(`${at}: enum values must all be of type ${String(type)}`);
    }
  }
  const listType = node["x-kubernetes-list-type"];
  if (
    listType !== undefined &&
    (type !== "array" || !["atomic", "set", "map"].includes(String(listType)))
  ) {
    problems.push(`${at}: x-kubernetes-list-type must be atomic|set|map on an array`);
  }
  const mapType = node["x-kubernetes-map-type"];
  if (
    mapType !== undefined &&
    (type !== "object" || !["atomic", "granular"].includes(String(mapType)))
  ) {
    problems.push(`${at}: x-kubernetes-map-type must be atomic|granular on an object`);
  }
  const preserve = node["x-kubernetes-preserve-unknown-fields"];
  if (preserve !== undefined && preserve !== true) {
    problems.push(`${at}: x-kubernetes-preserve-unknown-fields may only be true`);
  }

  const validations = node["x-kubernetes-validations"];
  if (validations !== undefined) {
    const wellFormed = (v: unknown) =>
      isNode(v) &&
      typeof v.rule === "string" &&
      v.rule !== "" &&
      typeof v.message === "string" &&
      v.message !== "";
    if (!Array.isArray(validations) || !validations.every(wellFormed)) {
      problems.push(
        `${at}: x-kubernetes-validations must be a list of {rule, message}, both non-empty`,
      );
    }
  }

  if (isNode(properties)) {
    for (const [name, child] of Object.entries(properties)) {
      problems.push(...findStructuralViolations(child, `${path}.properties.${name}`));
    }
    if (path === "" && properties.metadata !== undefined) {
      const meta = properties.metadata;
      if (!isNode(meta) || Object.keys(meta).length !== 1 || meta.type !== "object") {
        problems.push(`${at}: metadata must be exactly {type: object}`);
      }
    }
  } else if (properties !== undefined) {
    problems.push(`${at}: properties must be a map`);
  }
  if (isNode(additionalProperties)) {
    problems.push(
      ...findStructuralViolations(additionalProperties, `${path}.additionalProperties`),
    );
  }
  if (items !== undefined) problems.push(...findStructuralViolations(items, `${path}.items`));
  if (path === "" && type !== "object") problems.push(`${at}: the root must be type object`);
  return problems;
}

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Checks on the names and printer columns that the API server would reject. */
function findNameViolations(names: CrdNames): string[] {
  const problems: string[] = [];
  const labels = [names.plural, ...names.shortNames];
  for (const label of labels) {
    if (!DNS_LABEL.test(label))
      problems.push(`plural/short name "${label}" is not a lower-case DNS label`);
  }
  if (!/^[A-Z][A-Za-z0-9]*$/.test(names.kind))
    problems.push(`kind "${names.kind}" must be CamelCase`);
  for (const column of names.printerColumns) {
    if (!column.jsonPath.startsWith("."))
      problems.push(`column ${column.name}: jsonPath must start with "."`);
    if (
      column.priority !== undefined &&
      !(Number.isInteger(column.priority) && column.priority >= 0)
    ) {
      problems.push(`column ${column.name}: priority must be a non-negative integer`);
    }
  }
  return problems;
}

/**
 * A complete v1 CRD for one kind: a single served and storage version whose schema comes from
 * `schema` (the root object schema: apiVersion, kind, metadata, spec, status).
 *
 * @throws Error when the schema is not structural or a name is invalid
 */
export function toCustomResourceDefinition(
  schema: z.ZodType,
  names: CrdNames,
): CustomResourceDefinition {
  const problems = findNameViolations(names);
  if (problems.length > 0)
    throw new Error(`invalid CRD names for ${names.kind}:\n  ${problems.join("\n  ")}`);
  const openAPIV3Schema = toOpenApiV3Schema(schema);
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${names.plural}.${names.group}` },
    spec: {
      group: names.group,
      names: {
        kind: names.kind,
        listKind: `${names.kind}List`,
        plural: names.plural,
        singular: names.kind.toLowerCase(),
        shortNames: names.shortNames,
        categories: names.categories,
      },
      scope: names.scope,
      versions: [
        {
          name: names.version,
          served: true,
          storage: true,
          ...(names.statusSubresource ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: names.printerColumns,
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}
