import assert from "node:assert/strict";
import fc from "fast-check";
import { comparePoolPriority, orderPools } from "./pool-order.js";
import type { PoolSpecView } from "./pool-view.js";

const selector = { matchLabels: { a: "b" } };
const FLAGS = [
  "podAffinity",
  "nodeName",
  "nodeAffinity",
  "namespaceName",
  "namespaceAffinity",
  "multusName",
] as const;

function specOf(bits: readonly boolean[]): PoolSpecView {
  return {
    ...(bits[0] ? { podAffinity: selector } : {}),
    ...(bits[1] ? { nodeName: ["n"] } : {}),
    ...(bits[2] ? { nodeAffinity: selector } : {}),
    ...(bits[3] ? { namespaceName: ["ns"] } : {}),
    ...(bits[4] ? { namespaceAffinity: selector } : {}),
    ...(bits[5] ? { multusName: ["m"] } : {}),
  };
}

function rank(spec: PoolSpecView): string {
  // "0" sorts before "1": a present property ranks first.
  return FLAGS.map(flag => (flag in spec ? "0" : "1")).join("");
}

describe("pool-order", () => {
  it("ranks each property above every later one", () => {
    for (const [i, flag] of FLAGS.entries()) {
      const earlier = specOf(FLAGS.map((_, j) => j === i));
      const laterOnly = specOf(FLAGS.map((_, j) => j > i));
      assert.ok(comparePoolPriority(earlier, laterOnly) < 0, `${flag} before every later property`);
      assert.ok(comparePoolPriority(laterOnly, earlier) > 0, `${flag} symmetric`);
    }
  });
  it("treats empty lists as absent", () => {
    assert.equal(comparePoolPriority({ nodeName: [], multusName: [] }, {}), 0);
    assert.ok(comparePoolPriority({ multusName: ["m"] }, { nodeName: [] }) < 0);
  });
  it("orders a documented example and keeps ties in input order", () => {
    const pools = [
      { name: "plain-1", spec: {} },
      { name: "multus", spec: { multusName: ["m"] } },
      { name: "plain-2", spec: {} },
      { name: "node", spec: { nodeName: ["n"] } },
      { name: "pod", spec: { podAffinity: selector } },
      { name: "node-2", spec: { nodeName: ["x"] } },
    ];
    assert.deepEqual(
      orderPools(pools).map(p => p.name),
      ["pod", "node", "node-2", "multus", "plain-1", "plain-2"],
    );
    assert.deepEqual(pools[0]?.name, "plain-1", "input untouched");
  });

  it("property: the result is a permutation sorted by rank, ties in input order", () => {
    const poolsArb = fc
      .array(fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), { maxLength: 30 })
      .map(all => all.map((bits, i) => ({ name: `p${i}`, spec: specOf(bits) })));
    fc.assert(
      fc.property(poolsArb, pools => {
        const ordered = orderPools(pools);
        assert.deepEqual([...ordered].map(p => p.name).sort(), pools.map(p => p.name).sort());
        for (let i = 1; i < ordered.length; i++) {
          const a = ordered[i - 1];
          const b = ordered[i];
          if (a === undefined || b === undefined) continue;
          const ra = rank(a.spec);
          const rb = rank(b.spec);
          assert.ok(
            ra < rb || (ra === rb && pools.indexOf(a) < pools.indexOf(b)),
            `${a.name} before ${b.name}`,
          );
        }
      }),
    );
  });
});
