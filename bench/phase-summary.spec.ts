import assert from "node:assert/strict";
import fc from "fast-check";
import { AddressLedger, callStats, latencyStats, stateMismatches } from "./phase-summary.js";
import type { CallRecord } from "./storm.js";

const rec = (over: Partial<CallRecord>): CallRecord => ({
  system: "ours",
  phase: "S2 c=10 ADD",
  op: "ADD",
  node: "n1",
  pod: "ns/p",
  containerId: "c",
  enqueuedMs: 0,
  startMs: 0,
  endMs: 0,
  exitCode: 0,
  ...over,
});

describe("bench phase-summary", () => {
  describe("latencyStats (nearest rank)", () => {
    const cases: Array<[values: number[], p50: number, p90: number, p99: number, max: number]> = [
      [[], 0, 0, 0, 0],
      [[7], 7, 7, 7, 7],
      [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5, 9, 10, 10],
      [Array.from({ length: 100 }, (_, i) => 100 - i), 50, 90, 99, 100],
      [[3.04, 1.01], 1, 3, 3, 3],
    ];
    for (const [values, p50, p90, p99, max] of cases) {
      it(`${JSON.stringify(values.slice(0, 5))}${values.length > 5 ? "…" : ""} → ${p50}/${p90}/${p99}/${max}`, () => {
        const s = latencyStats(values);
        assert.deepEqual([s.p50, s.p90, s.p99, s.max], [p50, p90, p99, max]);
      });
    }
    it("orders p50 ≤ p90 ≤ p99 ≤ max, each a member of the input", () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 100000 }), { minLength: 1 }), xs => {
          const s = latencyStats(xs);
          assert.ok(s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max);
          for (const v of [s.p50, s.p90, s.p99, s.max]) assert.ok(xs.includes(v));
        }),
      );
    });
  });

  it("callStats counts failures by reason and separates queueing from service time", () => {
    const s = callStats([
      rec({ enqueuedMs: 0, startMs: 10, endMs: 30 }),
      rec({ enqueuedMs: 0, startMs: 50, endMs: 60, error: "x", reason: "pool exhausted" }),
      rec({ enqueuedMs: 0, startMs: 70, endMs: 100, error: "y", reason: "pool exhausted" }),
    ]);
    assert.deepEqual([s.calls, s.ok, s.failed], [3, 1, 2]);
    assert.deepEqual(s.failuresByReason, { "pool exhausted": 2 });
    assert.equal(s.latency.max, 30);
    assert.equal(s.queue.max, 70);
  });

  describe("AddressLedger", () => {
    it("counts an address answered to a second live Pod as a duplicate", () => {
      const l = new AddressLedger();
      l.add("ns/a", "10.0.0.1");
      l.add("ns/b", "10.0.0.2");
      l.add("ns/c", "10.0.0.1");
      assert.deepEqual(l.duplicates, [{ address: "10.0.0.1", pods: ["ns/a", "ns/c"] }]);
    });
    it("does not count an address re-used after its Pod's DEL, nor a repeated ADD of one Pod", () => {
      const l = new AddressLedger();
      l.add("ns/a", "10.0.0.1");
      l.add("ns/a", "10.0.0.1");
      l.release("ns/a");
      l.add("ns/b", "10.0.0.1");
      assert.equal(l.duplicates.length, 0);
      assert.deepEqual([...l.held()], [["10.0.0.1", "ns/b"]]);
    });
    it("applies a phase's records: ADD answers hold, DELs release, failures change nothing", () => {
      const l = new AddressLedger();
      const dups = l.apply([
        rec({ pod: "ns/a", address: "10.0.0.1" }),
        rec({ pod: "ns/b", error: "x" }),
        rec({ pod: "ns/c", address: "10.0.0.1" }),
      ]);
      assert.equal(dups, 1);
      l.apply([rec({ op: "DEL", pod: "ns/c" }), rec({ op: "DEL", pod: "ns/a" })]);
      assert.equal(l.held().size, 0);
    });
  });

  it("stateMismatches compares answers with the system's objects both ways", () => {
    const answered = new Map([
      ["10.0.0.1", "ns/a"],
      ["10.0.0.2", "ns/b"],
    ]);
    assert.deepEqual(
      stateMismatches(answered, [
        { address: "10.0.0.1", pod: "ns/a" },
        { address: "10.0.0.2", pod: "ns/b" },
      ]),
      { missing: 0, unexpected: 0 },
    );
    assert.deepEqual(
      stateMismatches(answered, [
        { address: "10.0.0.1", pod: "ns/a" },
        { address: "10.0.0.3", pod: "ns/z" },
      ]),
      { missing: 1, unexpected: 1 },
    );
    assert.deepEqual(
      stateMismatches(answered, [
        { address: "10.0.0.1", pod: "ns/b" },
        { address: "10.0.0.2", pod: "ns/b" },
      ]),
      { missing: 1, unexpected: 1 },
    );
  });
});
