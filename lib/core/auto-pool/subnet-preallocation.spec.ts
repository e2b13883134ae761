import assert from "node:assert/strict";
import fc from "fast-check";
import { IntervalSet } from "../net/interval-set.js";
import { preAllocate, type PreAllocationInput } from "./subnet-preallocation.js";

const set = (...texts: string[]) => {
  const r = IntervalSet.fromRanges(texts, 4);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const none = IntervalSet.empty(4);
const input = (over: Partial<PreAllocationInput>): PreAllocationInput => ({
  family: 4,
  pool: "p",
  subnetUsable: set("10.0.0.1-10.0.0.20"),
  records: {},
  reserved: none,
  occupied: none,
  allocated: none,
  desired: 3,
  ...over,
});

describe("subnet-preallocation", () => {
  describe("table", () => {
    const cases: Array<[string, Partial<PreAllocationInput>, string[], number]> = [
      ["new pool takes the lowest free addresses", {}, ["10.0.0.1-10.0.0.3"], 0],
      [
        "skips other records, reserved and occupied addresses",
        {
          records: { q: { ips: ["10.0.0.1-10.0.0.2"] } },
          reserved: set("10.0.0.3"),
          occupied: set("10.0.0.5"),
        },
        ["10.0.0.4", "10.0.0.6-10.0.0.7"],
        0,
      ],
      [
        "grows by the lowest free, keeping what it has",
        { records: { p: { ips: ["10.0.0.10-10.0.0.11"] } }, desired: 4 },
        ["10.0.0.1-10.0.0.2", "10.0.0.10-10.0.0.11"],
        0,
      ],
      [
        "same size: unchanged",
        { records: { p: { ips: ["10.0.0.10-10.0.0.12"] } } },
        ["10.0.0.10-10.0.0.12"],
        0,
      ],
      [
        "shrinks by the lowest unallocated",
        {
          records: { p: { ips: ["10.0.0.1-10.0.0.6"] } },
          allocated: set("10.0.0.1", "10.0.0.3"),
          desired: 3,
        },
        ["10.0.0.1", "10.0.0.3", "10.0.0.6"],
        0,
      ],
      [
        "shrink waits for addresses Pods still hold",
        {
          records: { p: { ips: ["10.0.0.1-10.0.0.4"] } },
          allocated: set("10.0.0.1-10.0.0.3"),
          desired: 1,
        },
        ["10.0.0.1-10.0.0.3"],
        2,
      ],
      [
        "without partial shrink, nothing is dropped until all can be",
        {
          records: { p: { ips: ["10.0.0.1-10.0.0.4"] } },
          allocated: set("10.0.0.1-10.0.0.3"),
          desired: 1,
          partialShrink: false,
        },
        ["10.0.0.1-10.0.0.4"],
        3,
      ],
      [
        "without partial shrink, a complete shrink still happens",
        {
          records: { p: { ips: ["10.0.0.1-10.0.0.4"] } },
          allocated: set("10.0.0.1"),
          desired: 2,
          partialShrink: false,
        },
        ["10.0.0.1", "10.0.0.4"],
        0,
      ],
      [
        "repair: a held address outside the record rejoins it",
        { records: { p: { ips: ["10.0.0.1-10.0.0.2"] } }, allocated: set("10.0.0.9"), desired: 3 },
        ["10.0.0.1-10.0.0.2", "10.0.0.9"],
        0,
      ],
      [
        "repair does not steal another pool's record",
        {
          records: { p: { ips: ["10.0.0.1-10.0.0.2"] }, q: { ips: ["10.0.0.9"] } },
          allocated: set("10.0.0.9"),
          desired: 2,
        },
        ["10.0.0.1-10.0.0.2"],
        0,
      ],
      [
        "repair: gives back an address another pool has too, and grows elsewhere",
        { records: { p: { ips: ["10.0.0.1-10.0.0.3"] } }, occupied: set("10.0.0.2"), desired: 3 },
        ["10.0.0.1", "10.0.0.3-10.0.0.4"],
        0,
      ],
      [
        "repair keeps an overlapping address a Pod of this pool holds",
        {
          records: { p: { ips: ["10.0.0.1-10.0.0.3"] } },
          occupied: set("10.0.0.2"),
          allocated: set("10.0.0.2"),
          desired: 3,
        },
        ["10.0.0.1-10.0.0.3"],
        0,
      ],
      [
        "fixed size 0 empties an unused pool",
        { records: { p: { ips: ["10.0.0.1-10.0.0.2"] } }, desired: 0 },
        [],
        0,
      ],
    ];
    for (const [name, over, ips, pending] of cases) {
      it(name, () => {
        const r = preAllocate(input(over));
        assert.ok(r.ok, r.ok ? "" : r.error.message);
        assert.deepEqual(r.value.ips.toRangeStrings(), ips);
        assert.equal(r.value.pendingShrink, pending);
      });
    }

    it("reports a conflict for a held address another record owns", () => {
      const r = preAllocate(
        input({ records: { q: { ips: ["10.0.0.9"] } }, allocated: set("10.0.0.9"), desired: 1 }),
      );
      assert.ok(r.ok);
      assert.deepEqual(r.value.conflicts.toRangeStrings(), ["10.0.0.9"]);
    });

    it("too few free addresses: Spiderpool's error, nothing taken", () => {
      const r = preAllocate(
        input({
          subnetUsable: set("10.0.0.1-10.0.0.4"),
          records: { q: { ips: ["10.0.0.1-10.0.0.2"] } },
          desired: 3,
        }),
      );
      assert.deepEqual(r, {
        ok: false,
        error: {
          code: "insufficient_subnet_ips",
          message: "insufficient subnet FreeIPs, required '3' but only left '2'",
          required: 3,
          left: 2,
        },
      });
    });

    it("an unreadable record is an error naming the pool", () => {
      const r = preAllocate(input({ records: { q: { ips: ["not-an-ip"] } } }));
      assert.ok(!r.ok);
      assert.equal(r.error.code, "unreadable_record");
      assert.match(r.error.message, /IPPool q/);
    });

    it("IPv6", () => {
      const s6 = IntervalSet.fromRanges(["fd00::1-fd00::ff"], 6);
      assert.ok(s6.ok);
      const r = preAllocate({
        ...input({}),
        family: 6,
        subnetUsable: s6.value,
        reserved: IntervalSet.empty(6),
        occupied: IntervalSet.empty(6),
        allocated: IntervalSet.empty(6),
        desired: 2,
      });
      assert.ok(r.ok);
      assert.deepEqual(r.value.ips.toRangeStrings(), ["fd00::1-fd00::2"]);
    });
  });

  describe("properties: many pools resized in any order", () => {
    const SUBNET = set("10.0.0.1-10.0.0.40");
    const RESERVED = set("10.0.0.7", "10.0.0.30");
    const op = fc.record({
      pool: fc.constantFrom("a", "b", "c", "d"),
      desired: fc.integer({ min: 0, max: 15 }),
      holdSeed: fc.integer({ min: 0, max: 1000 }),
      partial: fc.boolean(),
    });

    it("records stay disjoint, inside the subnet, free of reserved addresses; held addresses are never dropped", () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 40 }), ops => {
          const records: Record<string, { ips: string[] }> = {};
          const held: Record<string, IntervalSet> = {};
          for (const { pool, desired, holdSeed, partial } of ops) {
            const mine = IntervalSet.fromRanges(records[pool]?.ips ?? [], 4);
            assert.ok(mine.ok);
            // Pods hold some of the pool's addresses: a deterministic subset picked by the seed.
            const addrs = [...mine.value.addresses()];
            const hold = IntervalSet.fromAddresses(
              4,
              addrs.filter((_, i) => (holdSeed >> i % 10) & 1),
            );
            held[pool] = hold;
            const r = preAllocate({
              family: 4,
              pool,
              subnetUsable: SUBNET,
              records,
              reserved: RESERVED,
              occupied: none,
              allocated: hold,
              desired,
              partialShrink: partial,
            });
            if (!r.ok) {
              assert.equal(r.error.code, "insufficient_subnet_ips");
              // Recount independently: the free set is the subnet minus reserved and every record.
              const recorded = Object.values(records).reduce(
                (acc, rec) => acc.union(set(...rec.ips)),
                none,
              );
              const left = Number(SUBNET.subtract(RESERVED).subtract(recorded).size());
              assert.equal(r.error.left, left);
              assert.equal(r.error.required, desired - Number(mine.value.size()));
              assert.ok(r.error.required > left);
              continue;
            }
            assert.ok(hold.isSubsetOf(r.value.ips), "an address a Pod holds was dropped");
            const size = Number(r.value.ips.size());
            const before = Number(mine.value.size());
            if (partial || desired >= Number(hold.size())) {
              assert.equal(
                size,
                Math.max(desired, Number(hold.size())),
                "size must be the desired one unless Pods hold more",
              );
            } else {
              assert.equal(size, Math.max(before, desired), "an incomplete shrink must wait whole");
            }
            assert.equal(r.value.pendingShrink, size - desired > 0 ? size - desired : 0);
            records[pool] = { ips: r.value.ips.toRangeStrings() };
          }
          const sets = Object.values(records).map(r => set(...r.ips));
          for (let i = 0; i < sets.length; i++) {
            assert.ok(sets[i]!.isSubsetOf(SUBNET));
            for (let j = i + 1; j < sets.length; j++)
              assert.ok(!sets[i]!.overlaps(sets[j]!), "two pools share a subnet address");
          }
          for (const [pool, rec] of Object.entries(records)) {
            const fresh = set(...rec.ips).subtract(held[pool] ?? none);
            assert.ok(!fresh.overlaps(RESERVED), "a reserved address was handed out");
          }
        }),
      );
    });

    it("growing takes exactly the lowest free addresses", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 10 }),
          fc.integer({ min: 0, max: 10 }),
          (have, grow) => {
            const first = preAllocate(input({ subnetUsable: SUBNET, desired: have }));
            assert.ok(first.ok);
            const second = preAllocate(
              input({
                subnetUsable: SUBNET,
                records: { p: { ips: first.value.ips.toRangeStrings() } },
                desired: have + grow,
              }),
            );
            assert.ok(second.ok);
            assert.deepEqual(
              second.value.ips.toRangeStrings(),
              have + grow === 0
                ? []
                : [`10.0.0.1${have + grow > 1 ? `-10.0.0.${have + grow}` : ""}`],
            );
          },
        ),
      );
    });
  });
});
