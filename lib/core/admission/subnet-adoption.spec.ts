import assert from "node:assert/strict";
import { pool, subnet } from "../../testing/admission-fixtures.js";
import { adoptionPatch } from "./subnet-adoption.js";

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

describe("subnet-adoption", () => {
  it("adopts a pool of the subnet's CIDR that nothing controls, which inherits gateway and routes", () => {
    const p = pool("p", { subnet: "10.6.0.0/16", ips: ["10.6.1.1-10.6.1.9"] });
    assert.deepEqual(adoptionPatch(p, s1), {
      metadata: {
        ownerReferences: [s1Ref],
        labels: { "ipam.spidernet.io/owner-spider-subnet": "s1" },
      },
      spec: { gateway: "10.6.0.1", routes: [{ dst: "10.9.0.0/16", gw: "10.6.0.254" }] },
    });
  });

  it("keeps the pool's own gateway and explicitly empty routes, and its other owners", () => {
    const other = { apiVersion: "v1", kind: "ConfigMap", name: "c", uid: "uid-c" };
    const p = pool(
      "p",
      { subnet: "10.6.0.0/16", gateway: "10.6.0.2", routes: [] },
      { ownerReferences: [other] },
    );
    assert.deepEqual(adoptionPatch(p, s1), {
      metadata: {
        ownerReferences: [other, s1Ref],
        labels: { "ipam.spidernet.io/owner-spider-subnet": "s1" },
      },
    });
  });

  it("leaves a pool of another CIDR, a controlled pool and a terminating pool alone", () => {
    assert.equal(adoptionPatch(pool("p", { subnet: "10.7.0.0/16" }), s1), undefined);
    assert.equal(
      adoptionPatch(pool("p", { subnet: "10.6.0.0/16" }, { ownerReferences: [s1Ref] }), s1),
      undefined,
    );
    const otherController = { ...s1Ref, name: "s0", uid: "uid-s0" };
    assert.equal(
      adoptionPatch(
        pool("p", { subnet: "10.6.0.0/16" }, { ownerReferences: [otherController] }),
        s1,
      ),
      undefined,
    );
    assert.equal(
      adoptionPatch(
        pool("p", { subnet: "10.6.0.0/16" }, { deletionTimestamp: "2026-12-07T00:00:00Z" }),
        s1,
      ),
      undefined,
    );
  });

  it("matches by CIDR when the subnet lacks its CIDR label, and never a subnet without uid", () => {
    const unlabelled = subnet("s2", { subnet: "10.6.0.0/16" }, { uid: "uid-s2" });
    assert.equal(
      adoptionPatch(pool("p", { subnet: "10.6.0.0/16" }), unlabelled)?.metadata.labels[
        "ipam.spidernet.io/owner-spider-subnet"
      ],
      "s2",
    );
    assert.equal(
      adoptionPatch(pool("p", { subnet: "10.6.0.0/16" }), subnet("s3", { subnet: "10.6.0.0/16" })),
      undefined,
    );
  });
});
