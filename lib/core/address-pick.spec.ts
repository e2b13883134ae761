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
    assert.equal(pickAddress(set(["10.0.0.1-10.0.0.9"]), set(["10.0.0.1-10.0.0.3"]), "uid/eth0", 1), v4("10.0.0.4"));
  });

  it("returns undefined when every usable address is taken", () => {
    assert.equal(pickAddress(set(["10.0.0.1-10.0.0.2"]), set(["10.0.0.1-10.0.0.2"]), "x", 8), undefined);
  });

  it("works on a /64 sized IPv6 pool without expanding it", () => {
    const r = IntervalSet.fromRanges(["fd00::1-fd00::ffff:ffff:ffff:ffff"], 6);
    assert.ok(r.ok);
    const a = pickAddress(r.value, IntervalSet.empty(6), "p", 16);
    assert.ok(a !== undefined && a >= 0xfd00n << 112n);
  });

  it("always picks a free address among the lowest `window` free ones, deterministically", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 63 })), fc.string(), fc.integer({ min: 1, max: 20 }), (takenHosts, seed, window) => {
        const usable = set(["10.0.0.0-10.0.0.63"]);
        const taken = IntervalSet.fromAddresses(4, takenHosts.map((h) => v4("10.0.0.0") + BigInt(h)));
        const a = pickAddress(usable, taken, seed, window);
        const free = usable.firstFreeAddresses(taken, window);
        if (free.length === 0) return a === undefined;
        return a !== undefined && free.includes(a) && !taken.contains(a) && pickAddress(usable, taken, seed, window) === a;
      }),
    );
  });

  it("spreads different seeds over the window", () => {
    const usable = set(["10.0.0.1-10.0.0.254"]);
    const picks = new Set(Array.from({ length: 200 }, (_, i) => pickAddress(usable, IntervalSet.empty(4), `pod-${i}/eth0`, 16)));
    assert.ok(picks.size >= 12, `only ${picks.size} distinct picks out of a window of 16`);
  });
});

describe("fnv1a", () => {
  it("matches the published FNV-1a test vectors", () => {
    assert.equal(fnv1a(""), 0x811c9dc5);
    assert.equal(fnv1a("a"), 0xe40c292c);
    assert.equal(fnv1a("foobar"), 0xbf9cf968);
  });
});
