import assert from "node:assert/strict";
import fc from "fast-check";
import { subnet } from "../../testing/admission-fixtures.js";
import { defaultSubnet } from "./subnet-defaulting.js";

describe("subnet-defaulting", () => {
  it("adds the finalizer, infers ipVersion, labels the CIDR and merges lists", () => {
    const input = subnet("s", {
      subnet: "10.6.0.0/16",
      ipVersion: undefined,
      ips: ["10.6.0.3", "10.6.0.1-10.6.0.2"],
      excludeIPs: ["10.6.0.9", "10.6.0.8"],
    });
    const before = structuredClone(input);
    const { object, stopped } = defaultSubnet(input);
    assert.deepEqual(input, before, "the input must not change");
    assert.equal(stopped, undefined);
    assert.deepEqual(object, {
      metadata: {
        name: "s",
        finalizers: ["spiderpool.spidernet.io"],
        labels: { "ipam.spidernet.io/subnet-cidr": "10-6-0-0-16" },
      },
      spec: {
        subnet: "10.6.0.0/16",
        ipVersion: 4,
        ips: ["10.6.0.1-10.6.0.3"],
        excludeIPs: ["10.6.0.8-10.6.0.9"],
      },
    });
  });

  it("labels IPv6 subnets and keeps a single entry as written", () => {
    const { object } = defaultSubnet(
      subnet("s", { subnet: "fd00:6::/120", ipVersion: undefined, ips: ["fd00:6::9-fd00:6::1"] }),
    );
    assert.equal(object.spec.ipVersion, 6);
    assert.equal(object.metadata?.labels?.["ipam.spidernet.io/subnet-cidr"], "fd00-6---120");
    assert.deepEqual(object.spec.ips, ["fd00:6::9-fd00:6::1"]);
  });

  it("stops on an unparsable subnet or list without rejecting", () => {
    const bad = defaultSubnet(subnet("s", { subnet: "oops", ipVersion: undefined }));
    assert.equal(
      bad.stopped,
      "failed to generate 'spec.ipVersion' from 'spec.subnet' oops, nothing to mutate",
    );
    assert.deepEqual(bad.object.metadata?.finalizers, ["spiderpool.spidernet.io"]);
    const list = defaultSubnet(
      subnet("s", { subnet: "10.6.0.0/16", excludeIPs: ["10.6.0.1", "x"] }),
    );
    assert.equal(
      list.stopped,
      "failed to merge 'spec.excludeIPs': invalid IP range format in IPv4 'x'",
    );
    assert.deepEqual(list.object.spec.excludeIPs, ["10.6.0.1", "x"]);
  });

  it("does nothing for a terminating subnet", () => {
    const input = subnet(
      "s",
      { subnet: "10.6.0.0/16", ipVersion: undefined },
      { deletionTimestamp: "2026-01-01T00:00:00Z" },
    );
    assert.equal(defaultSubnet(input).object, input);
  });

  it("is idempotent", () => {
    const entry = fc
      .tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }))
      .map(([a, b]) => (a === b ? `fd00::${a}` : `fd00::${a}-fd00::${b}`));
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 6 }),
        fc.array(entry, { maxLength: 3 }),
        (ips, excludeIPs) => {
          const once = defaultSubnet(
            subnet("s", { subnet: "fd00::/64", ipVersion: undefined, ips, excludeIPs }),
          ).object;
          assert.deepEqual(defaultSubnet(once).object, once);
        },
      ),
      { numRuns: 200 },
    );
  });
});
