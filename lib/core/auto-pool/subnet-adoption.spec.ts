import assert from "node:assert/strict";
import {
  decideAdoption,
  inheritSubnetProperties,
  type AdoptablePool,
  type AdoptingSubnet,
} from "./subnet-adoption.js";

const subnet: AdoptingSubnet = {
  metadata: { name: "s1", uid: "uid-s1" },
  spec: {
    subnet: "10.6.0.0/16",
    gateway: "10.6.0.1",
    routes: [{ dst: "10.7.0.0/16", gw: "10.6.0.1" }],
  },
};
const pool = (over: Partial<AdoptablePool["spec"]> = {}, metadata = {}): AdoptablePool => ({
  metadata: { name: "p1", labels: { keep: "me" }, ...metadata },
  spec: { subnet: "10.6.0.0/16", ...over },
});
const ref = {
  apiVersion: "spiderpool.spidernet.io/v2beta1",
  kind: "SpiderSubnet",
  name: "s1",
  uid: "uid-s1",
  controller: true,
  blockOwnerDeletion: true,
};

describe("subnet-adoption", () => {
  it("adopts a pool of the same CIDR: controller reference, owner label, gateway and routes", () => {
    assert.deepEqual(decideAdoption(subnet, pool()), {
      kind: "adopt",
      change: {
        ownerReferences: [ref],
        labels: { keep: "me", "ipam.spidernet.io/owner-spider-subnet": "s1" },
        gateway: "10.6.0.1",
        routes: [{ dst: "10.7.0.0/16", gw: "10.6.0.1" }],
      },
    });
  });

  it("keeps the pool's own gateway and an explicit empty route list", () => {
    const d = decideAdoption(subnet, pool({ gateway: "10.6.0.254", routes: [] }));
    assert.equal(d.kind, "adopt");
    assert.ok(d.kind === "adopt" && !("gateway" in d.change) && !("routes" in d.change));
  });

  it("compares CIDRs as networks, not as text", () => {
    assert.equal(decideAdoption(subnet, pool({ subnet: "10.6.0.0/016" })).kind, "adopt");
  });

  it("leaves pools of other CIDRs and families alone", () => {
    assert.deepEqual(decideAdoption(subnet, pool({ subnet: "10.6.1.0/24" })), {
      kind: "unrelated",
    });
    assert.deepEqual(decideAdoption(subnet, pool({ subnet: "fd00::/64" })), {
      kind: "unrelated",
    });
    assert.deepEqual(decideAdoption(subnet, pool({ subnet: "not a cidr" })), {
      kind: "unrelated",
    });
  });

  it("does nothing to a pool already adopted (reference and label both present)", () => {
    const adopted = pool(
      {},
      {
        ownerReferences: [ref],
        labels: { "ipam.spidernet.io/owner-spider-subnet": "s1" },
      },
    );
    assert.deepEqual(decideAdoption(subnet, adopted), { kind: "adopted" });
  });

  it("completes a half adoption: the label without the reference, or a stale reference of a recreated subnet", () => {
    const labelOnly = pool({}, { labels: { "ipam.spidernet.io/owner-spider-subnet": "s1" } });
    assert.equal(decideAdoption(subnet, labelOnly).kind, "adopt");
    const stale = pool(
      {},
      {
        ownerReferences: [{ ...ref, uid: "old-uid" }],
        labels: { "ipam.spidernet.io/owner-spider-subnet": "s1" },
      },
    );
    const d = decideAdoption(subnet, stale);
    assert.ok(d.kind === "adopt");
    assert.deepEqual(d.change.ownerReferences, [ref]);
  });

  it("keeps other owner references and refuses to steal a pool another object controls", () => {
    const other = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "web",
      uid: "u-web",
      controller: false,
    };
    const d = decideAdoption(subnet, pool({}, { ownerReferences: [other] }));
    assert.ok(d.kind === "adopt");
    assert.deepEqual(d.change.ownerReferences, [other, ref]);
    assert.deepEqual(
      decideAdoption(subnet, pool({}, { ownerReferences: [{ ...other, controller: true }] })),
      { kind: "controlled_elsewhere", controller: "Deployment web" },
    );
  });

  it("inherits nothing the subnet does not have", () => {
    assert.deepEqual(
      inheritSubnetProperties({ subnet: "10.6.0.0/16", routes: [] }, pool().spec),
      {},
    );
  });
});
