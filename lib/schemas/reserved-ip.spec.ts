import assert from "node:assert/strict";
import type { z } from "zod";
import { toOpenApiV3Schema } from "./crd.js";
import { SpiderReservedIPSchema } from "./reserved-ip.js";
import { findPrunedFields, issuePaths, withField } from "./spec-support.js";

function sampleReservedIP(): z.input<typeof SpiderReservedIPSchema> {
  return {
    apiVersion: "spiderpool.spidernet.io/v2beta1",
    kind: "SpiderReservedIP",
    metadata: { name: "gateways-v4" },
    spec: { ipVersion: 4, ips: ["172.18.40.1", "172.18.40.250-172.18.40.254"] },
  };
}

describe("SpiderReservedIPSchema", () => {
  it("parses a realistic reserved-IP object unchanged", () => {
    const reserved = sampleReservedIP();
    assert.deepEqual(SpiderReservedIPSchema.parse(reserved), reserved);
  });

  it("accepts a spec without ipVersion (the webhook infers it from ips[0])", () => {
    assert.deepEqual(issuePaths(SpiderReservedIPSchema, { spec: { ips: ["fd00::5"] } }), []);
  });

  it("keeps every accepted field in the CRD schema, so the API server prunes nothing", () => {
    assert.deepEqual(
      findPrunedFields(sampleReservedIP(), toOpenApiV3Schema(SpiderReservedIPSchema)),
      [],
    );
  });

  const invalid: Array<[string, string, unknown, string[]]> = [
    ["ipVersion 5", "spec.ipVersion", 5, ["spec.ipVersion"]],
    ["ips not an array", "spec.ips", "172.18.40.1", ["spec.ips"]],
    ["a subnet field (not part of a reserved IP)", "spec.subnet", "172.18.0.0/16", ["spec.subnet"]],
    ["a status (the kind has none)", "status", {}, ["status"]],
  ];
  for (const [name, path, value, expected] of invalid) {
    it(`rejects ${name} at ${expected.join(", ")}`, () => {
      assert.deepEqual(
        issuePaths(SpiderReservedIPSchema, withField(sampleReservedIP(), path, value)),
        expected,
      );
    });
  }
});
