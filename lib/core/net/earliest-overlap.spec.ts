import assert from "node:assert/strict";
import fc from "fast-check";
import { earliestEarlierOverlaps } from "./earliest-overlap.js";
import type { Interval } from "./range-syntax.js";

function iv(start: number, end: number): Interval {
  return { start: BigInt(start), end: BigInt(end) };
}

/** The pairwise definition, for comparison. */
function bruteForce(intervals: readonly Interval[]): number[] {
  return intervals.map((a, i) =>
    intervals.slice(0, i).findIndex(b => a.start <= b.end && b.start <= a.end),
  );
}

describe("earliest-overlap", () => {
  const cases: [string, Interval[], number[]][] = [
    ["empty", [], []],
    ["disjoint and adjacent", [iv(1, 4), iv(5, 5), iv(10, 20)], [-1, -1, -1]],
    ["covered by an earlier one", [iv(1, 10), iv(2, 3)], [-1, 0]],
    ["covers an earlier one", [iv(2, 3), iv(1, 10)], [-1, 0]],
    [
      "the earliest of several, not the nearest",
      [iv(5, 6), iv(1, 2), iv(6, 9), iv(1, 9)],
      [-1, -1, 0, 0],
    ],
    ["identical copies", [iv(7, 7), iv(7, 7), iv(7, 7)], [-1, 0, 0]],
    ["only later clashes do not count", [iv(1, 2), iv(10, 12), iv(3, 11)], [-1, -1, 1]],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.deepEqual(earliestEarlierOverlaps(input), expected));
  }

  it("works on 128-bit values", () => {
    const top = (1n << 128n) - 1n;
    assert.deepEqual(
      earliestEarlierOverlaps([
        { start: top - 5n, end: top },
        { start: top, end: top },
      ]),
      [-1, 0],
    );
  });

  it("agrees with the pairwise definition", () => {
    const interval = fc
      .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 6 }))
      .map(([s, len]) => iv(s, s + len));
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 30 }), intervals => {
        assert.deepEqual(earliestEarlierOverlaps(intervals), bruteForce(intervals));
      }),
      { numRuns: 500 },
    );
  });

  it("stays fast on the input that makes the pairwise scan quadratic", () => {
    const disjoint = Array.from({ length: 10_000 }, (_, i) => iv(i * 2, i * 2));
    const copies = Array.from({ length: 10_000 }, () => iv(100_000, 100_010));
    const started = performance.now();
    const result = earliestEarlierOverlaps([...disjoint, ...copies]);
    const elapsed = performance.now() - started;
    assert.equal(result[10_001], 10_000);
    assert.ok(elapsed < 1500, `took ${elapsed.toFixed(0)} ms`);
  });
});
