import assert from "node:assert/strict";
import { z } from "zod";
import {
  findStructuralViolations,
  toCustomResourceDefinition,
  toOpenApiV3Schema,
  type CrdNames,
} from "./crd.js";
import { ObjectMetaSchema } from "./shared-fields.js";

const names: CrdNames = {
  group: "example.com",
  version: "v1",
  kind: "Widget",
  plural: "widgets",
  shortNames: ["wd"],
  categories: ["things"],
  scope: "Namespaced",
  statusSubresource: false,
  printerColumns: [{ name: "SIZE", type: "integer", jsonPath: ".spec.size", priority: 10 }],
};

describe("toOpenApiV3Schema", () => {
  const schema = z.strictObject({
    metadata: ObjectMetaSchema.optional(),
    spec: z.strictObject({
      size: z.int().nonnegative(),
      labels: z.record(z.string(), z.string()).optional(),
      enabled: z.boolean().default(false),
    }),
  });
  const out = toOpenApiV3Schema(schema);
  const spec = out.properties!.spec!;

  it("drops $schema and additionalProperties:false from strict objects", () => {
    const text = JSON.stringify(out);
    assert.ok(!text.includes("$schema"));
    assert.ok(!text.includes('"additionalProperties":false'));
    assert.equal(spec.type, "object");
    assert.equal(spec.additionalProperties, undefined);
  });

  it("writes a string map as additionalProperties {type: string}", () => {
    assert.deepEqual(spec.properties!.labels, {
      type: "object",
      additionalProperties: { type: "string" },
    });
  });

  it("gives integers format int64 and no JavaScript safe-integer bound", () => {
    assert.deepEqual(spec.properties!.size, { type: "integer", format: "int64", minimum: 0 });
  });

  it("carries zod defaults as CRD defaults and leaves defaulted fields optional", () => {
    assert.deepEqual(spec.properties!.enabled, { type: "boolean", default: false });
    assert.deepEqual(spec.required, ["size"]);
  });

  it("reduces root metadata to {type: object}", () => {
    assert.deepEqual(out.properties!.metadata, { type: "object" });
  });

  it("refuses a union, which is not structural", () => {
    assert.throws(
      () =>
        toOpenApiV3Schema(
          z.object({ spec: z.object({ port: z.union([z.string(), z.number()]) }) }),
        ),
      /\.properties\.spec\.properties\.port: key "anyOf" is not allowed/,
    );
  });

  it("refuses a field without a type", () => {
    assert.throws(
      () => toOpenApiV3Schema(z.object({ spec: z.unknown() })),
      /\.properties\.spec: type must be/,
    );
  });
});

describe("findStructuralViolations", () => {
  it("accepts a minimal structural schema", () => {
    assert.deepEqual(
      findStructuralViolations({ type: "object", properties: { a: { type: "string" } } }),
      [],
    );
  });

  const cases: Array<[string, unknown, RegExp]> = [
    [
      "$ref",
      { type: "object", properties: { a: { $ref: "#/defs/x" } } },
      /\.properties\.a: key "\$ref"/,
    ],
    [
      "properties beside additionalProperties",
      {
        type: "object",
        properties: { a: { type: "string" } },
        additionalProperties: { type: "string" },
      },
      /mutually exclusive/,
    ],
    [
      "boolean additionalProperties",
      { type: "object", additionalProperties: false },
      /must be a schema/,
    ],
    [
      "an array without items",
      { type: "object", properties: { a: { type: "array" } } },
      /\.properties\.a: arrays need items/,
    ],
    [
      "required naming nothing",
      { type: "object", properties: {}, required: ["x"] },
      /required field "x"/,
    ],
    [
      "an enum of the wrong type",
      { type: "object", properties: { v: { type: "integer", enum: ["4"] } } },
      /enum values/,
    ],
    [
      "list-type on an object",
      { type: "object", "x-kubernetes-list-type": "atomic" },
      /x-kubernetes-list-type/,
    ],
    ["a non-object root", { type: "string" }, /root must be type object/],
    [
      "a validation rule without a message",
      { type: "object", "x-kubernetes-validations": [{ rule: "self == oldSelf" }] },
      /x-kubernetes-validations must be a list of \{rule, message\}/,
    ],
    [
      "constrained root metadata",
      {
        type: "object",
        properties: { metadata: { type: "object", properties: { labels: { type: "object" } } } },
      },
      /metadata must be exactly/,
    ],
  ];
  for (const [name, schema, message] of cases) {
    it(`reports ${name}`, () => {
      const problems = findStructuralViolations(schema);
      assert.ok(
        problems.some(p => message.test(p)),
        `no violation matching ${message} in ${JSON.stringify(problems)}`,
      );
    });
  }
});

describe("toCustomResourceDefinition", () => {
  const schema = z.strictObject({
    spec: z.strictObject({ size: z.int() }),
    status: z.strictObject({}).optional(),
  });

  it("builds a v1 CRD with one served and storage version", () => {
    const crd = toCustomResourceDefinition(schema, names);
    assert.equal(crd.metadata.name, "widgets.example.com");
    assert.deepEqual(crd.spec.names, {
      kind: "Widget",
      listKind: "WidgetList",
      plural: "widgets",
      singular: "widget",
      shortNames: ["wd"],
      categories: ["things"],
    });
    const [version] = crd.spec.versions;
    assert.equal(crd.spec.versions.length, 1);
    assert.equal(version?.served, true);
    assert.equal(version?.storage, true);
    assert.equal(version?.subresources, undefined);
    assert.deepEqual(version?.additionalPrinterColumns, names.printerColumns);
  });

  it("adds the status subresource only when asked", () => {
    const crd = toCustomResourceDefinition(schema, { ...names, statusSubresource: true });
    assert.deepEqual(crd.spec.versions[0]?.subresources, { status: {} });
  });

  it("refuses names the API server would reject", () => {
    assert.throws(
      () => toCustomResourceDefinition(schema, { ...names, shortNames: ["W D"] }),
      /"W D"/,
    );
    assert.throws(
      () =>
        toCustomResourceDefinition(schema, {
          ...names,
          printerColumns: [{ name: "X", type: "string", jsonPath: "spec.x" }],
        }),
      /jsonPath must start with/,
    );
  });
});
