import assert from "node:assert/strict";
import type { z } from "zod";
import { toOpenApiV3Schema } from "./crd.js";
import { SpiderEndpointSchema, type SpiderEndpoint } from "./endpoint.js";
import { REMOVE, findPrunedFields, issuePaths, withField } from "./spec-support.js";

/** A dual-stack Pod with a second NIC, as the agent writes it. */
function sampleEndpoint(): z.input<typeof SpiderEndpointSchema> {
  return {
    apiVersion: "spiderpool.spidernet.io/v2beta1",
    kind: "SpiderEndpoint",
    metadata: {
      name: "web-0",
      namespace: "default",
      finalizers: ["spiderpool.spidernet.io"],
    },
    status: {
      current: {
        uid: "5b0e2f0c-8a8e-4c1e-bb7e-2f3d9a0c1d11",
        node: "node-1",
        ips: [
          {
            interface: "eth0",
            ipv4: "172.31.199.193/20",
            ipv4Pool: "default-v4",
            ipv4Gateway: "172.31.192.1",
            ipv6: "fd00:172:31::c1/64",
            ipv6Pool: "default-v6",
            ipv6Gateway: "fd00:172:31::1",
            vlan: 0,
            cleanGateway: false,
            routes: [{ dst: "10.96.0.0/12", gw: "172.31.192.1" }],
          },
          {
            interface: "net1",
            ipv4: "10.6.168.101/16",
            ipv4Pool: "vlan100-v4",
            vlan: 100,
            cleanGateway: true,
          },
        ],
      },
      ownerControllerType: "StatefulSet",
      ownerControllerName: "web",
    },
  };
}

describe("SpiderEndpointSchema", () => {
  it("parses a dual-stack, two-NIC endpoint unchanged", () => {
    const endpoint = sampleEndpoint();
    const parsed: SpiderEndpoint = SpiderEndpointSchema.parse(endpoint);
    assert.deepEqual(parsed, endpoint);
  });

  it("defaults vlan to 0 and accepts the transient empty interface name", () => {
    const endpoint = withField(sampleEndpoint(), "status.current.ips", [
      { interface: "", ipv4: "10.6.168.102/16", ipv4Pool: "vlan100-v4" },
    ]);
    const parsed = SpiderEndpointSchema.parse(endpoint);
    assert.equal(parsed.status?.current.ips[0]?.vlan, 0);
  });

  it("keeps every accepted field in the CRD schema, so the API server prunes nothing", () => {
    assert.deepEqual(
      findPrunedFields(sampleEndpoint(), toOpenApiV3Schema(SpiderEndpointSchema)),
      [],
    );
  });

  const invalid: Array<[string, string, unknown, string[]]> = [
    ["vlan 4095", "status.current.ips.1.vlan", 4095, ["status.current.ips.1.vlan"]],
    ["negative vlan", "status.current.ips.0.vlan", -1, ["status.current.ips.0.vlan"]],
    [
      "missing interface",
      "status.current.ips.0.interface",
      REMOVE,
      ["status.current.ips.0.interface"],
    ],
    ["missing uid", "status.current.uid", REMOVE, ["status.current.uid"]],
    ["ips not an array", "status.current.ips", { interface: "eth0" }, ["status.current.ips"]],
    [
      "missing ownerControllerType",
      "status.ownerControllerType",
      REMOVE,
      ["status.ownerControllerType"],
    ],
    [
      "unknown detail field",
      "status.current.ips.0.containerID",
      "abc",
      ["status.current.ips.0.containerID"],
    ],
    ["a spec (the kind has none)", "spec", {}, ["spec"]],
  ];
  for (const [name, path, value, expected] of invalid) {
    it(`rejects ${name} at ${expected.join(", ")}`, () => {
      assert.deepEqual(
        issuePaths(SpiderEndpointSchema, withField(sampleEndpoint(), path, value)),
        expected,
      );
    });
  }
});
