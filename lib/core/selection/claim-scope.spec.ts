import assert from "node:assert/strict";
import { claimScopeOf, claimScopeSelector, planClaimScopes } from "./claim-scope.js";

const rack = (r: string) => ({ matchLabels: { rack: r } });
const pools = [
  { name: "cluster", spec: { ipVersion: 4 as const } },
  { name: "rack-a", spec: { ipVersion: 4 as const, nodeAffinity: rack("a") } },
  { name: "rack-b", spec: { ipVersion: 4 as const, nodeAffinity: rack("b") } },
  { name: "pinned", spec: { ipVersion: 4 as const, nodeName: ["n2"] } },
  // nodeName wins over nodeAffinity, as in selection's node rule.
  { name: "both", spec: { ipVersion: 4 as const, nodeName: ["n1"], nodeAffinity: rack("b") } },
  {
    name: "bad-affinity",
    spec: {
      ipVersion: 4 as const,
      nodeAffinity: { matchExpressions: [{ key: "rack", operator: "Bogus" as "In", values: [] }] },
    },
  },
];
const set = (...xs: string[]) => new Set(xs);

describe("claimScopeOf: the pools whose claims a node's agent watches", () => {
  it("the pools selection's node rule lets serve the node, and no other", () => {
    assert.deepEqual(
      claimScopeOf(pools, { name: "n1", labels: { rack: "a" } }),
      set("cluster", "rack-a", "both"),
    );
    assert.deepEqual(
      claimScopeOf(pools, { name: "n2", labels: { rack: "b" } }),
      set("cluster", "rack-b", "pinned"),
    );
    assert.deepEqual(claimScopeOf(pools, { name: "n3", labels: {} }), set("cluster"));
  });

  it("leaves out a pool whose name no label value holds (its claims are watched as unlabelled)", () => {
    const long = "p".repeat(64);
    assert.deepEqual(
      claimScopeOf([{ name: long, spec: {} }, ...pools], { name: "n3", labels: {} }),
      set("cluster"),
    );
  });

  it("the selector names the pools sorted", () => {
    assert.equal(claimScopeSelector("l", set("b", "a")), "l in (a,b)");
  });
});

describe("planClaimScopes: which claim watches to open or merge", () => {
  it("opens one watch for the whole scope first, and none for an empty one", () => {
    assert.deepEqual(planClaimScopes([], set("a", "b"), 4), {
      kind: "replace",
      scope: set("a", "b"),
    });
    assert.deepEqual(planClaimScopes([], set(), 4), { kind: "keep" });
  });

  it("a pool entering the scope gets a watch of its own; one leaving it stays watched", () => {
    assert.deepEqual(planClaimScopes([set("a", "b")], set("a", "b", "c"), 4), {
      kind: "add",
      pools: set("c"),
    });
    assert.deepEqual(planClaimScopes([set("a", "b")], set("a"), 4), { kind: "keep" });
  });

  it("merges into one watch at the limit of watches, or when stale pools outnumber wanted ones", () => {
    assert.deepEqual(planClaimScopes([set("a"), set("b")], set("a", "b", "c"), 2), {
      kind: "replace",
      scope: set("a", "b", "c"),
    });
    assert.deepEqual(planClaimScopes([set("a", "b", "c")], set("a"), 4), {
      kind: "replace",
      scope: set("a"),
    });
    assert.deepEqual(planClaimScopes([set("a", "b")], set(), 4), {
      kind: "replace",
      scope: set(),
    });
  });
});
