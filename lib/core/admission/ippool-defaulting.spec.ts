import assert from "node:assert/strict";
import fc from "fast-check";
import type { IPPoolObject, SubnetObject } from "./admission-objects.js";
import { pool, subnet } from "../../testing/admission-fixtures.js";
import { defaultIPPool } from "./ippool-defaulting.js";

const ON = { enableIPv4: true, enableIPv6: true, enableSpiderSubnet: true };
const OFF = { ...ON, enableSpiderSubnet: false };
const F = "spiderpool.spidernet.io";

const s1 = subnet(
  "s1",
  {
    subnet: "10.6.0.0/16",
    gateway: "10.6.0.1",
    routes: [{ dst: "10.9.0.0/16", gw: "10.6.0.254" }],
  },
  { uid: "uid-s1", labels: { "ipam.spidernet.io/subnet-cidr": "10-6-0-0-16" } },
);
const s1Ref = {
  apiVersion: "spiderpool.spidernet.io/v2beta1",
  kind: "SpiderSubnet",
  name: "s1",
  uid: "uid-s1",
  controller: true,
  blockOwnerDeletion: true,
};

function run(p: IPPoolObject, subnets: SubnetObject[] = [s1], config = ON) {
  const frozen = structuredClone(p);
  const result = defaultIPPool({ pool: p, subnets, config });
  assert.deepEqual(p, frozen, "the input must not change");
  return result;
}

describe("ippool-defaulting", () => {
  it("adds the finalizer once, infers ipVersion, sets the CIDR label", () => {
    const { object, stopped } = run(
      pool("p", { subnet: "fd00:1::/64", ipVersion: undefined }, { finalizers: ["other"] }),
      [],
    );
    assert.equal(stopped, undefined);
    assert.deepEqual(object.metadata?.finalizers, ["other", F]);
    assert.equal(object.spec.ipVersion, 6);
    assert.deepEqual(object.metadata?.labels, { "ipam.spidernet.io/ippool-cidr": "fd00-1---64" });
    const again = run(object, []).object;
    assert.deepEqual(again.metadata?.finalizers, ["other", F]);
  });

  it("refreshes a wrong CIDR label and keeps other labels", () => {
    const p = pool(
      "p",
      { subnet: "10.7.0.0/16" },
      { labels: { "ipam.spidernet.io/ippool-cidr": "stale", team: "a" } },
    );
    assert.deepEqual(run(p, []).object.metadata?.labels, {
      "ipam.spidernet.io/ippool-cidr": "10-7-0-0-16",
      team: "a",
    });
  });

  it("stops after the finalizer when the subnet does not parse (mutation never rejects)", () => {
    const p = pool("p", {
      subnet: "10.6.0.0/33",
      ipVersion: undefined,
      ips: ["10.6.0.2", "10.6.0.1"],
    });
    const { object, stopped } = run(p);
    assert.equal(
      stopped,
      "failed to generate 'spec.ipVersion' from 'spec.subnet' 10.6.0.0/33, nothing to mutate",
    );
    assert.deepEqual(object.metadata?.finalizers, [F]);
    assert.deepEqual(object.spec, p.spec);
  });

  it("stops before labelling when ipVersion contradicts the subnet", () => {
    const { object, stopped } = run(pool("p", { subnet: "10.6.0.0/16", ipVersion: 6 }));
    assert.equal(
      stopped,
      "failed to parse 'spec.subnet' 10.6.0.0/16 as a valid label value: invalid CIDR format in IPv6 '10.6.0.0/16'",
    );
    assert.equal(object.metadata?.labels, undefined);
  });

  describe("adoption by the SpiderSubnet of the same CIDR", () => {
    it("sets the controller reference and owner label, and inherits gateway and routes", () => {
      const { object } = run(pool("p", { subnet: "10.6.0.0/16", ips: ["10.6.0.10"] }));
      assert.deepEqual(object.metadata?.ownerReferences, [s1Ref]);
      assert.equal(object.metadata?.labels?.["ipam.spidernet.io/owner-spider-subnet"], "s1");
      assert.equal(object.spec.gateway, "10.6.0.1");
      assert.deepEqual(object.spec.routes, [{ dst: "10.9.0.0/16", gw: "10.6.0.254" }]);
      assert.notEqual(object.spec.routes, s1.spec.routes, "routes are copied, not shared");
    });

    it("keeps the pool's own gateway and an explicit empty route list", () => {
      const { object } = run(pool("p", { subnet: "10.6.0.0/16", gateway: "10.6.0.2", routes: [] }));
      assert.equal(object.spec.gateway, "10.6.0.2");
      assert.deepEqual(object.spec.routes, []);
    });

    it("finds the subnet by CIDR when its label is missing, and keeps unrelated owner references", () => {
      const bare = subnet("s2", { subnet: "10.6.0.0/16" }, { uid: "uid-s2" });
      const other = { apiVersion: "apps/v1", kind: "Deployment", name: "d", uid: "u" };
      const { object } = run(pool("p", { subnet: "10.6.0.0/16" }, { ownerReferences: [other] }), [
        subnet("x", { subnet: "10.8.0.0/16" }),
        bare,
      ]);
      assert.deepEqual(object.metadata?.ownerReferences, [
        other,
        { ...s1Ref, name: "s2", uid: "uid-s2" },
      ]);
      assert.equal(object.spec.gateway, undefined, "s2 has no gateway to inherit");
    });

    it("replaces the reference to a recreated subnet of the same name", () => {
      const stale = { ...s1Ref, uid: "old-uid" };
      const { object } = run(pool("p", { subnet: "10.6.0.0/16" }, { ownerReferences: [stale] }));
      assert.deepEqual(object.metadata?.ownerReferences, [s1Ref]);
    });

    it("skips adoption and inheritance for a pool already controlled by the subnet its label names", () => {
      const p = pool(
        "p",
        { subnet: "10.6.0.0/16" },
        { ownerReferences: [s1Ref], labels: { "ipam.spidernet.io/owner-spider-subnet": "s1" } },
      );
      const { object } = run(p);
      assert.equal(object.spec.gateway, undefined);
      assert.equal(object.spec.routes, undefined);
    });

    it("skips adoption when the subnet feature is off or no subnet matches", () => {
      assert.equal(
        run(pool("p", { subnet: "10.6.0.0/16" }), [s1], OFF).object.metadata?.ownerReferences,
        undefined,
      );
      assert.equal(
        run(pool("p", { subnet: "10.6.0.0/24" })).object.metadata?.ownerReferences,
        undefined,
      );
    });

    it("stops when another controller owns the pool, leaving the lists unmerged", () => {
      const foreign = {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: "rs",
        uid: "u",
        controller: true,
      };
      const p = pool(
        "p",
        { subnet: "10.6.0.0/16", ips: ["10.6.0.2", "10.6.0.1"] },
        { ownerReferences: [foreign] },
      );
      const { object, stopped } = run(p);
      assert.equal(stopped, "failed to set owner reference: already owned by ReplicaSet rs");
      assert.deepEqual(object.spec.ips, ["10.6.0.2", "10.6.0.1"]);
    });
  });

  describe("merge of ips and excludeIPs", () => {
    it("merges lists of more than one element", () => {
      const { object } = run(
        pool("p", {
          subnet: "10.0.0.0/24",
          ips: ["10.0.0.5", "10.0.0.1-10.0.0.4", "10.0.0.9"],
          excludeIPs: ["10.0.0.3", "10.0.0.2"],
        }),
        [],
        OFF,
      );
      assert.deepEqual(object.spec.ips, ["10.0.0.1-10.0.0.5", "10.0.0.9"]);
      assert.deepEqual(object.spec.excludeIPs, ["10.0.0.2-10.0.0.3"]);
    });

    it("leaves a single entry exactly as written, even reversed or non-canonical", () => {
      const { object } = run(
        pool("p", { subnet: "fd00::/64", ips: ["fd00::9-fd00::1"], excludeIPs: ["FD00::1"] }),
        [],
        OFF,
      );
      assert.deepEqual(object.spec.ips, ["fd00::9-fd00::1"]);
      assert.deepEqual(object.spec.excludeIPs, ["FD00::1"]);
    });

    it("merges IPv6 into canonical text and overlapping, unsorted input", () => {
      const { object } = run(
        pool("p", { subnet: "fd00::/64", ips: ["FD00::5-fd00::a", "fd00::1-fd00::6", "fd00::b"] }),
        [],
        OFF,
      );
      assert.deepEqual(object.spec.ips, ["fd00::1-fd00::b"]);
    });

    it("stops on a list that does not parse; validation names the entry later", () => {
      const p = pool("p", {
        subnet: "10.0.0.0/24",
        ips: ["10.0.0.1", "10.0.0.9-10.0.0.2"],
        excludeIPs: ["10.0.0.4", "10.0.0.3"],
      });
      const { object, stopped } = run(p, [], OFF);
      assert.equal(
        stopped,
        "failed to merge 'spec.ips': invalid IP range format in IPv4 '10.0.0.9-10.0.0.2'",
      );
      assert.deepEqual(object.spec.ips, p.spec.ips);
      assert.deepEqual(object.spec.excludeIPs, p.spec.excludeIPs, "excludeIPs is not reached");
    });
  });

  it("does nothing at all for a terminating pool", () => {
    const p = pool(
      "p",
      { subnet: "10.6.0.0/16", ipVersion: undefined, ips: ["10.6.0.2", "10.6.0.1"] },
      { deletionTimestamp: "2026-01-01T00:00:00Z" },
    );
    const result = run(p);
    assert.equal(result.object, p);
    assert.equal(result.stopped, undefined);
  });

  it("is idempotent", () => {
    const address = fc.integer({ min: 0, max: 40 }).map(n => `10.6.0.${n}`);
    const entry = fc.oneof(
      address,
      fc.tuple(address, address).map(([a, b]) => `${a}-${b}`),
    );
    const poolArb = fc.record({
      ips: fc.option(fc.array(entry, { maxLength: 6 }), { nil: undefined }),
      excludeIPs: fc.option(fc.array(entry, { maxLength: 4 }), { nil: undefined }),
      gateway: fc.option(address, { nil: undefined }),
      routes: fc.option(
        fc.constant(null).map((): { dst: string; gw: string }[] => []),
        { nil: undefined },
      ),
      versioned: fc.boolean(),
      subnetFeature: fc.boolean(),
    });
    fc.assert(
      fc.property(poolArb, ({ ips, excludeIPs, gateway, routes, versioned, subnetFeature }) => {
        const spec = {
          subnet: "10.6.0.0/16",
          ips,
          excludeIPs,
          gateway,
          routes,
          ...(versioned ? {} : { ipVersion: undefined }),
        };
        const config = { ...ON, enableSpiderSubnet: subnetFeature };
        const once = defaultIPPool({ pool: pool("p", spec), subnets: [s1], config }).object;
        const twice = defaultIPPool({ pool: once, subnets: [s1], config }).object;
        assert.deepEqual(twice, once);
      }),
      { numRuns: 300 },
    );
  });
});
