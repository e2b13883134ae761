import assert from "node:assert/strict";
import { z } from "zod";
import { toOpenApiV3Schema } from "./crd.js";
import { REMOVE, findPrunedFields, issuePaths, withField } from "./spec-support.js";
import {
  ControlledIPPoolsJsonSchema,
  SpiderSubnetSchema,
  type PoolIPPreAllocations,
} from "./subnet.js";

/** A dual-purpose subnet: one adopted manual pool and one auto pool of a Deployment. */
function sampleSubnet(): z.input<typeof SpiderSubnetSchema> {
  const controlled: PoolIPPreAllocations = {
    "manual-v6": { ips: ["fd00:172:200::10-fd00:172:200::20"] },
    "auto6-web-eth0-1a2b3": {
      ips: ["fd00:172:200::100-fd00:172:200::101"],
      application: "apps_v1_Deployment_default_web",
    },
  };
  return {
    apiVersion: "spiderpool.spidernet.io/v2beta1",
    kind: "SpiderSubnet",
    metadata: {
      name: "subnet-v6",
      labels: { "ipam.spidernet.io/subnet-cidr": "fd00-172-200---64" },
    },
    spec: {
      ipVersion: 6,
      subnet: "fd00:172:200::/64",
      ips: ["fd00:172:200::10-fd00:172:200::ffff"],
      excludeIPs: ["fd00:172:200::fe"],
      gateway: "fd00:172:200::1",
      routes: [],
    },
    status: {
      controlledIPPools: JSON.stringify(controlled),
      allocatedIPCount: 13,
      totalIPCount: 65519,
    },
  };
}

describe("SpiderSubnetSchema", () => {
  it("parses a realistic subnet unchanged, keeping an explicit empty routes list", () => {
    const subnet = sampleSubnet();
    assert.deepEqual(SpiderSubnetSchema.parse(subnet), subnet);
  });

  it("keeps every accepted field in the CRD schema, so the API server prunes nothing", () => {
    assert.deepEqual(findPrunedFields(sampleSubnet(), toOpenApiV3Schema(SpiderSubnetSchema)), []);
  });

  const invalid: Array<[string, string, unknown, string[]]> = [
    ["ipVersion 5", "spec.ipVersion", 5, ["spec.ipVersion"]],
    ["missing subnet", "spec.subnet", REMOVE, ["spec.subnet"]],
    ["subnet as a number", "spec.subnet", 10, ["spec.subnet"]],
    ["ips not an array", "spec.ips", "fd00:172:200::10", ["spec.ips"]],
    // Pool-only fields are unknown to a subnet.
    ["a pool-only field", "spec.default", true, ["spec.default"]],
    ["negative totalIPCount", "status.totalIPCount", -5, ["status.totalIPCount"]],
    [
      "controlledIPPools as an object",
      "status.controlledIPPools",
      {},
      ["status.controlledIPPools"],
    ],
  ];
  for (const [name, path, value, expected] of invalid) {
    it(`rejects ${name} at ${expected.join(", ")}`, () => {
      assert.deepEqual(
        issuePaths(SpiderSubnetSchema, withField(sampleSubnet(), path, value)),
        expected,
      );
    });
  }
});

describe("ControlledIPPoolsJsonSchema", () => {
  it("decodes pools with and without application and encodes them back", () => {
    const text = sampleSubnet().status?.controlledIPPools ?? "";
    const decoded = ControlledIPPoolsJsonSchema.parse(text);
    assert.equal(decoded["auto6-web-eth0-1a2b3"]?.application, "apps_v1_Deployment_default_web");
    assert.equal(decoded["manual-v6"]?.application, undefined);
    assert.deepEqual(JSON.parse(z.encode(ControlledIPPoolsJsonSchema, decoded)), JSON.parse(text));
  });

  it("names a pool whose ips is not a list", () => {
    assert.deepEqual(
      issuePaths(ControlledIPPoolsJsonSchema, JSON.stringify({ p1: { ips: "10.0.0.1" } })),
      ["p1.ips"],
    );
  });
});
