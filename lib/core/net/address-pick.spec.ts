import assert from "node:assert/strict";
import fc from "fast-check";
import { IntervalSet } from "./interval-set.js";
import { fnv1a, pickAddress } from "./address-pick.js";

const set = (ranges: string[]) => {
  const r = IntervalSet.fromRanges(ranges, 4);
  assert.ok(r.ok);
  return r.value;
};
const v4 = (s: string) => s.split(".").reduce((a, o) => (a << 8n) | BigInt(o), 0n);

describe("pickAddress", () => {
  it("returns the lowest free address when the window is 1", () => {
    assert.equal(
      pickAddress(set(["10.0.0.1-10.0.0.9"]), set(["10.0.0.1-10.0.0.3"]), "uid/eth0", 1),
      v4("10.0.0.4"),
    );
  });

  it("returns undefined when every usable address is taken", () => {
    assert.equal(
      pickAddress(set(["10.0.0.1-10.0.0.2"]), set(["10.0.0.1-10.0.0.2"]), "x", 8),
      undefined,
    );
  });

  it("works on a /64 sized IPv6 pool without expanding it", () => {
    const r = IntervalSet.fromRanges(["fd00::1-fd00::ffff:ffff:ffff:ffff"], 6);
    assert.ok(r.ok);
    const a = pickAddress(r.value, IntervalSet.empty(6), "p", 16);
    assert.ok(a !== undefined && a >= 0xfd00n << 112n);
  });

  it("always picks a free address among the lowest `window` free ones, deterministically", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 63 })),
        fc.string(),
        fc.integer({ min: 1, max: 20 }),
        (takenHosts, seed, window) => {
          const usable = set(["10.0.0.0-10.0.0.63"]);
          const taken = IntervalSet.fromAddresses(
            4,
            takenHosts.map(h => v4("10.0.0.0") + BigInt(h)),
          );
          const a = pickAddress(usable, taken, seed, window);
          const free = usable.firstFreeAddresses(taken, window);
          if (free.length === 0) return a === undefined;
          return (
            a !== undefined &&
            free.includes(a) &&
            !taken.contains(a) &&
            pickAddress(usable, taken, seed, window) === a
          );
        },
      ),
    );
  });

  it("spreads different seeds over the window", () => {
    const usable = set(["10.0.0.1-10.0.0.254"]);
    const picks = new Set(
      Array.from({ length: 200 }, (_, i) =>
        pickAddress(usable, IntervalSet.empty(4), `pod-${i}/eth0`, 16),
      ),
    );
    assert.ok(picks.size >= 12, `only ${picks.size} distinct picks out of a window of 16`);
  });
});

describe("pickAddress with recently freed addresses", () => {
  it("hands out a never-used address before a freed one, though the freed one is lower", () => {
    const usable = set(["10.0.0.1-10.0.0.9"]);
    const taken = set(["10.0.0.2-10.0.0.3"]);
    assert.equal(pickAddress(usable, taken, "uid/eth0", 1), v4("10.0.0.1"));
    assert.equal(pickAddress(usable, taken, "uid/eth0", 1, [v4("10.0.0.1")]), v4("10.0.0.4"));
  });

  it("falls back to the least recently freed once nothing else is free", () => {
    const usable = set(["10.0.0.1-10.0.0.4"]);
    const freed = [v4("10.0.0.3"), v4("10.0.0.1"), v4("10.0.0.2")];
    assert.equal(pickAddress(usable, set(["10.0.0.4"]), "x", 1, freed), v4("10.0.0.3"));
    assert.equal(pickAddress(usable, set(["10.0.0.3-10.0.0.4"]), "x", 1, freed), v4("10.0.0.1"));
    assert.equal(pickAddress(usable, set(["10.0.0.1-10.0.0.4"]), "x", 1, freed), undefined);
  });

  it("ignores freed addresses that are taken again or no longer usable", () => {
    const usable = set(["10.0.0.1-10.0.0.2"]);
    assert.equal(
      pickAddress(usable, set(["10.0.0.1"]), "x", 4, [v4("10.0.0.1"), v4("10.0.0.77")]),
      v4("10.0.0.2"),
    );
    assert.equal(
      pickAddress(usable, set(["10.0.0.1-10.0.0.2"]), "x", 4, [v4("10.0.0.1"), v4("10.0.0.77")]),
      undefined,
    );
  });

  it("picks a free address whenever one exists, a freed one only if nothing else is free", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 31 })),
        fc.uniqueArray(fc.integer({ min: 0, max: 40 })),
        fc.string(),
        fc.integer({ min: 1, max: 20 }),
        (takenHosts, freedHosts, seed, window) => {
          const usable = set(["10.0.0.0-10.0.0.31"]);
          const taken = IntervalSet.fromAddresses(
            4,
            takenHosts.map(h => v4("10.0.0.0") + BigInt(h)),
          );
          const freed = freedHosts.map(h => v4("10.0.0.0") + BigInt(h));
          const a = pickAddress(usable, taken, seed, window, freed);
          const free = usable.firstFreeAddresses(taken, 64);
          if (free.length === 0) return a === undefined;
          if (a === undefined || taken.contains(a) || !usable.contains(a)) return false;
          const fresh = free.filter(v => !freed.includes(v));
          return fresh.length
            ? !freed.includes(a)
            : freed
                .filter(v => free.includes(v))
                .slice(0, window)
                .includes(a);
        },
      ),
    );
  });

  it("on a /16 pool with a thousand recently freed addresses, picks never-used ones without expanding the pool", () => {
    const usable = set(["10.1.0.0-10.1.255.255"]);
    const taken = IntervalSet.of(4, [{ start: v4("10.1.0.0"), end: v4("10.1.199.255") }]);
    const freed = Array.from({ length: 1024 }, (_, i) => v4("10.1.0.0") + BigInt(i * 37));
    for (let i = 0; i < 200; i++) {
      const a = pickAddress(
        usable,
        taken.subtract(IntervalSet.fromAddresses(4, freed)),
        `p${i}`,
        16,
        freed,
      );
      assert.ok(a !== undefined && a >= v4("10.1.200.0"), "a never-used address is picked first");
    }
  });
});

describe("fnv1a", () => {
  it("matches the published FNV-1a test vectors", () => {
    assert.equal(fnv1a(""), 0x811c9dc5);
    assert.equal(fnv1a("a"), 0xe40c292c);
    assert.equal(fnv1a("foobar"), 0xbf9cf968);
  });
});
