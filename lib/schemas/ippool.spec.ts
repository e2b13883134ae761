import assert from "node:assert/strict";
import { z } from "zod";
import { toOpenApiV3Schema } from "./crd.js";
import {
  AllocatedIPsJsonSchema,
  SpiderIPPoolSchema,
  type PoolIPAllocations,
  type SpiderIPPool,
} from "./ippool.js";
import { REMOVE, findPrunedFields, issuePaths, withField } from "./spec-support.js";

/** A pool as an operator would write it, with status as the agent writes it. */
function samplePool(): z.input<typeof SpiderIPPoolSchema> {
  return {
    apiVersion: "spiderpool.spidernet.io/v2beta1",
    kind: "SpiderIPPool",
    metadata: {
      name: "vlan100-v4",
      labels: { "ipam.spidernet.io/ippool-cidr": "10-6-0-0-16" },
      finalizers: ["spiderpool.spidernet.io"],
      resourceVersion: "4711",
    },
    spec: {
      ipVersion: 4,
      subnet: "10.6.0.0/16",
      ips: ["10.6.168.101-10.6.168.200", "10.6.168.250"],
      excludeIPs: ["10.6.168.150"],
      gateway: "10.6.0.1",
      routes: [{ dst: "172.30.0.0/16", gw: "10.6.0.254" }],
      podAffinity: {
        matchLabels: { app: "web", "ipam.spidernet.io/app-namespace": "default" },
        matchExpressions: [{ key: "tier", operator: "In", values: ["frontend", "edge"] }],
      },
      namespaceAffinity: { matchExpressions: [{ key: "team", operator: "Exists" }] },
      namespaceName: ["default", "prod"],
      nodeAffinity: { matchLabels: { "kubernetes.io/os": "linux" } },
      nodeName: ["node-1", "node-2"],
      multusName: ["kube-system/macvlan-vlan100"],
      default: true,
      disable: false,
    },
    status: {
      allocatedIPs: JSON.stringify({
        "10.6.168.101": {
          pod: "default/web-7d4b9c-abcde",
          podUid: "0f6c1a4e-2b1d-4c55-9d0e-6d1f8c3b7a21",
        },
      }),
      allocatedIPCount: 1,
      totalIPCount: 100,
    },
  };
}

describe("SpiderIPPoolSchema", () => {
  it("parses a realistic pool unchanged", () => {
    const pool = samplePool();
    const parsed: SpiderIPPool = SpiderIPPoolSchema.parse(pool);
    assert.deepEqual(parsed, pool);
  });

  it("parses a minimal pool and fills the CRD defaults default=false, disable=false", () => {
    const parsed = SpiderIPPoolSchema.parse({ spec: { subnet: "fd00:1::/64" } });
    assert.deepEqual(parsed.spec, { subnet: "fd00:1::/64", default: false, disable: false });
    assert.equal(parsed.status, undefined);
  });

  it("keeps every accepted field in the CRD schema, so the API server prunes nothing", () => {
    assert.deepEqual(findPrunedFields(samplePool(), toOpenApiV3Schema(SpiderIPPoolSchema)), []);
  });

  it("accepts the saturated int64 totalIPCount Spiderpool writes for huge IPv6 pools", () => {
    const pool = withField(samplePool(), "status.totalIPCount", JSON.parse("9223372036854775807"));
    assert.deepEqual(issuePaths(SpiderIPPoolSchema, pool), []);
  });

  const invalid: Array<[string, string, unknown, string[]]> = [
    ["ipVersion 5", "spec.ipVersion", 5, ["spec.ipVersion"]],
    ['ipVersion "4" (string)', "spec.ipVersion", "4", ["spec.ipVersion"]],
    ["ips not an array", "spec.ips", "10.6.168.101", ["spec.ips"]],
    [
      "a non-string excludeIPs entry",
      "spec.excludeIPs",
      ["10.6.168.150", 7],
      ["spec.excludeIPs.1"],
    ],
    ["unknown spec field", "spec.vlan", 100, ["spec.vlan"]],
    ["missing subnet", "spec.subnet", REMOVE, ["spec.subnet"]],
    ["missing spec", "spec", REMOVE, ["spec"]],
    ["route without gw", "spec.routes", [{ dst: "0.0.0.0/0" }], ["spec.routes.0.gw"]],
    ["default as a string", "spec.default", "true", ["spec.default"]],
    [
      "unknown label selector operator",
      "spec.podAffinity.matchExpressions.0.operator",
      "in",
      ["spec.podAffinity.matchExpressions.0.operator"],
    ],
    [
      "matchLabels value not a string",
      "spec.nodeAffinity.matchLabels.zone",
      1,
      ["spec.nodeAffinity.matchLabels.zone"],
    ],
    ["negative allocatedIPCount", "status.allocatedIPCount", -1, ["status.allocatedIPCount"]],
    ["fractional totalIPCount", "status.totalIPCount", 1.5, ["status.totalIPCount"]],
    ["allocatedIPs as an object", "status.allocatedIPs", {}, ["status.allocatedIPs"]],
    ["unknown status field", "status.extra", 1, ["status.extra"]],
  ];
  for (const [name, path, value, expected] of invalid) {
    it(`rejects ${name} at ${expected.join(", ")}`, () => {
      assert.deepEqual(
        issuePaths(SpiderIPPoolSchema, withField(samplePool(), path, value)),
        expected,
      );
    });
  }

  it("reports every issue, not only the first", () => {
    const pool = withField(withField(samplePool(), "spec.ipVersion", 5), "spec.ips", "x");
    assert.deepEqual(issuePaths(SpiderIPPoolSchema, pool).sort(), ["spec.ipVersion", "spec.ips"]);
  });
});

describe("AllocatedIPsJsonSchema", () => {
  const records: PoolIPAllocations = {
    "10.6.168.101": { pod: "default/web-0", podUid: "uid-1" },
    "10.6.168.102": { pod: "default/web-1", podUid: "uid-2" },
  };

  it("decodes the status string and encodes it back", () => {
    const text = z.encode(AllocatedIPsJsonSchema, records);
    assert.equal(typeof text, "string");
    assert.deepEqual(AllocatedIPsJsonSchema.parse(text), records);
  });

  it("ignores keys that older Spiderpool versions wrote into records", () => {
    const old = JSON.stringify({
      "10.6.168.101": { pod: "default/web-0", podUid: "uid-1", interface: "eth0" },
    });
    assert.deepEqual(AllocatedIPsJsonSchema.parse(old), {
      "10.6.168.101": { pod: "default/web-0", podUid: "uid-1" },
    });
  });

  it("names the record field that is missing", () => {
    assert.deepEqual(
      issuePaths(
        AllocatedIPsJsonSchema,
        JSON.stringify({ "10.6.168.101": { pod: "default/web-0" } }),
      ),
      ["10.6.168.101.podUid"],
    );
  });

  it("reports text that is not JSON as an invalid_format issue instead of throwing", () => {
    const result = AllocatedIPsJsonSchema.safeParse("{not json");
    assert.equal(result.success, false);
    assert.equal(result.error?.issues[0]?.code, "invalid_format");
  });
});
