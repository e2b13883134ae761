import assert from "node:assert/strict";
import fc from "fast-check";
import { IntervalSet } from "./interval-set.js";
import { setsIntersect } from "./sparse-intersection.js";

function set(...pairs: [number, number][]): IntervalSet {
  return IntervalSet.of(
    4,
    pairs.map(([start, end]) => ({ start: BigInt(start), end: BigInt(end) })),
  );
}

describe("sparse-intersection", () => {
  const cases: [string, IntervalSet, IntervalSet, boolean][] = [
    ["empty sets", set(), set([1, 2]), false],
    ["touching ends share an address", set([1, 5]), set([5, 9]), true],
    ["adjacent sets share none", set([1, 4]), set([5, 9]), false],
    ["inside a gap", set([1, 2], [10, 12]), set([4, 8]), false],
    ["small inside large", set([1, 100]), set([50, 50]), true],
    ["many against one", set([1, 1], [3, 3], [5, 5], [7, 7]), set([6, 6]), false],
  ];
  for (const [name, a, b, expected] of cases) {
    it(name, () => {
      assert.equal(setsIntersect(a, b), expected);
      assert.equal(setsIntersect(b, a), expected);
    });
  }

  it("refuses sets of different families", () => {
    assert.throws(() => setsIntersect(IntervalSet.empty(4), IntervalSet.empty(6)), TypeError);
  });

  it("agrees with IntervalSet.overlaps", () => {
    const pairs = fc.array(
      fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 5 })),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(pairs, pairs, (x, y) => {
        const a = set(...x.map(([s, n]): [number, number] => [s, s + n]));
        const b = set(...y.map(([s, n]): [number, number] => [s, s + n]));
        assert.equal(setsIntersect(a, b), a.overlaps(b));
      }),
      { numRuns: 500 },
    );
  });
});
