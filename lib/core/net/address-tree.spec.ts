import assert from "node:assert/strict";
import fc from "fast-check";
import { AddressTree } from "./address-tree.js";
import { IntervalSet } from "./interval-set.js";

const runs = (t: AddressTree) => t.toIntervalSet().intervals.map(i => [i.start, i.end]);

describe("AddressTree", () => {
  it("joins an address to the runs around it and splits a run on delete", () => {
    const t = new AddressTree(4);
    for (const v of [5n, 7n, 1n, 2n]) assert.equal(t.add(v), true);
    assert.deepEqual(runs(t), [
      [1n, 2n],
      [5n, 5n],
      [7n, 7n],
    ]);
    t.add(6n); // joins the run below and the run above
    assert.deepEqual(runs(t), [
      [1n, 2n],
      [5n, 7n],
    ]);
    assert.equal(t.runs, 2);
    assert.equal(t.size, 5);
    assert.equal(t.delete(6n), true); // splits 5-7
    assert.deepEqual(runs(t), [
      [1n, 2n],
      [5n, 5n],
      [7n, 7n],
    ]);
    assert.equal(t.delete(1n), true); // the start of a run
    assert.equal(t.delete(7n), true); // a run of one
    assert.deepEqual(runs(t), [
      [2n, 2n],
      [5n, 5n],
    ]);
    assert.equal(t.runs, 2);
    assert.equal(t.size, 2);
  });

  it("reports repeated adds and deletes of absent addresses as no change", () => {
    const t = new AddressTree(6);
    assert.equal(t.add(10n), true);
    const before = t.toIntervalSet();
    assert.equal(t.add(10n), false);
    assert.equal(t.delete(11n), false);
    assert.equal(t.delete(9n), false);
    assert.equal(t.size, 1);
    assert.equal(t.toIntervalSet(), before, "no change keeps the snapshot");
    assert.equal(t.has(10n), true);
    assert.equal(t.has(11n), false);
  });

  it("handles the family's first and last address", () => {
    const t = new AddressTree(4);
    const max = 2n ** 32n - 1n;
    t.add(max);
    t.add(0n);
    t.add(max - 1n);
    assert.deepEqual(runs(t), [
      [0n, 0n],
      [max - 1n, max],
    ]);
    assert.equal(t.toIntervalSet().family, 4);
  });

  it("refuses an address outside the family", () => {
    const t = new AddressTree(4);
    assert.throws(() => t.add(2n ** 32n), /address 4294967296 is outside IPv4/);
    assert.throws(() => t.delete(-1n), RangeError);
    assert.equal(t.size, 0);
  });

  it("holds what an IntervalSet rebuilt per change holds, after any sequence of adds and deletes", () => {
    const op = fc.record({ add: fc.boolean(), value: fc.bigInt({ min: 0n, max: 63n }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), ops => {
        const tree = new AddressTree(4);
        let model = IntervalSet.empty(4);
        for (const { add, value } of ops) {
          const one = IntervalSet.of(4, [{ start: value, end: value }]);
          const had = model.contains(value);
          assert.equal(add ? tree.add(value) : tree.delete(value), add ? !had : had);
          model = add ? model.union(one) : model.subtract(one);
          assert.ok(tree.toIntervalSet().equals(model));
          assert.equal(tree.runs, model.intervals.length);
          assert.equal(BigInt(tree.size), model.size());
          assert.equal(tree.has(value), add);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps every run when fed addresses in ascending order, as a LIST in name order feeds them", () => {
    const tree = new AddressTree(4);
    for (let v = 0n; v < 20_000n; v += 2n) tree.add(v);
    for (let v = 2n; v < 20_000n; v += 4n) tree.delete(v);
    const got = tree.toIntervalSet();
    assert.equal(tree.runs, 5_000);
    assert.equal(got.intervals.length, 5_000);
    assert.ok(got.contains(19_996n) && !got.contains(19_998n) && got.contains(0n));
  });
});
