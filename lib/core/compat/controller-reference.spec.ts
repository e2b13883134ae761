import assert from "node:assert/strict";
import { controllerOf, isControlledBy, withControllerReference } from "./controller-reference.js";

const owner = {
  apiVersion: "spiderpool.spidernet.io/v2beta1",
  kind: "SpiderSubnet",
  name: "s",
  uid: "u2",
};
const full = { ...owner, controller: true, blockOwnerDeletion: true };

describe("controller-reference", () => {
  it("finds the controller reference and compares uids", () => {
    const metadata = {
      ownerReferences: [{ apiVersion: "v1", kind: "A", name: "a", uid: "x" }, full],
    };
    assert.equal(controllerOf(metadata), full);
    assert.equal(isControlledBy(metadata, "u2"), true);
    assert.equal(isControlledBy(metadata, "x"), false);
    assert.equal(isControlledBy(undefined, "u2"), false);
  });

  it("appends a new controller reference", () => {
    assert.deepEqual(withControllerReference({ name: "p" }, owner), {
      name: "p",
      ownerReferences: [full],
    });
  });

  it("replaces a reference to the same object, any version, keeping others in place", () => {
    const stale = {
      apiVersion: "spiderpool.spidernet.io/v1",
      kind: "SpiderSubnet",
      name: "s",
      uid: "u1",
    };
    const other = { apiVersion: "apps/v1", kind: "Deployment", name: "d", uid: "d" };
    assert.deepEqual(
      withControllerReference({ ownerReferences: [stale, other] }, owner)?.ownerReferences,
      [full, other],
    );
  });

  it("refuses when another object is the controller", () => {
    const foreign = {
      apiVersion: "apps/v1",
      kind: "SpiderSubnet",
      name: "s",
      uid: "z",
      controller: true,
    };
    assert.equal(
      withControllerReference({ ownerReferences: [foreign] }, owner),
      undefined,
      "same kind and name, other group",
    );
  });
});
