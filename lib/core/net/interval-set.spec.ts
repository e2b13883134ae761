import assert from "node:assert/strict";
import fc from "fast-check";
import { maxAddress, readAddress, type IpFamily } from "./address.js";
import { parseCidr } from "./cidr.js";
import { IntervalSet } from "./interval-set.js";

function ip(text: string): bigint {
  const address = readAddress(text);
  if (address === undefined) throw new Error(`bad test address ${text}`);
  return address.value;
}

function ranges(family: IpFamily, ...texts: string[]): IntervalSet {
  const set = IntervalSet.fromRanges(texts, family);
  if (!set.ok) throw new Error(set.error.message);
  return set.value;
}

function block(text: string): IntervalSet {
  const cidr = parseCidr(text);
  if (!cidr.ok) throw new Error(cidr.error.message);
  return IntervalSet.fromCidr(cidr.value);
}

describe("interval-set", () => {
  describe("normalization", () => {
    it("sorts, merges overlapping and adjacent input", () => {
      const set = ranges(
        4,
        "10.0.0.9",
        "10.0.0.5",
        "10.0.0.1-10.0.0.4",
        "10.0.0.3-10.0.0.4",
        "10.0.0.20-10.0.0.30",
        "10.0.0.25",
      );
      assert.deepEqual(set.toRangeStrings(), [
        "10.0.0.1-10.0.0.5",
        "10.0.0.9",
        "10.0.0.20-10.0.0.30",
      ]);
      assert.equal(set.intervals.length, 3);
      assert.equal(set.size(), 5n + 1n + 11n);
    });
    it("keeps a one-address gap", () => {
      assert.deepEqual(ranges(6, "fd00::1", "fd00::3").toRangeStrings(), ["fd00::1", "fd00::3"]);
      assert.deepEqual(ranges(6, "fd00::3", "fd00::2", "fd00::1").toRangeStrings(), [
        "fd00::1-fd00::3",
      ]);
    });
    it("is immutable", () => {
      const set = ranges(4, "10.0.0.1-10.0.0.3");
      assert.throws(
        () => (set.intervals as unknown as Array<unknown>).push({ start: 0n, end: 0n }),
        TypeError,
      );
      const other = set.union(ranges(4, "10.0.0.9"));
      assert.deepEqual(set.toRangeStrings(), ["10.0.0.1-10.0.0.3"]);
      assert.deepEqual(other.toRangeStrings(), ["10.0.0.1-10.0.0.3", "10.0.0.9"]);
    });
    it("throws on intervals that are no input error but a bug", () => {
      assert.throws(() => IntervalSet.of(4, [{ start: 5n, end: 1n }]), RangeError);
      assert.throws(() => IntervalSet.of(4, [{ start: 0n, end: 1n << 32n }]), RangeError);
      assert.throws(() => IntervalSet.of(6, [{ start: -1n, end: 1n }]), RangeError);
    });
    it("refuses to combine families", () => {
      const v4 = ranges(4, "10.0.0.1");
      const v6 = ranges(6, "::1");
      assert.throws(() => v4.union(v6), TypeError);
      assert.throws(() => v4.subtract(v6), TypeError);
      assert.throws(() => v4.intersect(v6), TypeError);
      assert.throws(() => v4.isSubsetOf(v6), TypeError);
      assert.throws(() => v4.firstFree(v6), TypeError);
      assert.equal(v4.equals(IntervalSet.fromAddresses(6, [ip("10.0.0.1")])), false);
    });
  });

  describe("fromRanges errors", () => {
    const cases: Array<[entries: string[], family: IpFamily, bad: string]> = [
      [["10.0.0.1", "10.0.0.9-10.0.0.2"], 4, "10.0.0.9-10.0.0.2"],
      [["10.0.0.1 - 10.0.0.3"], 4, "10.0.0.1 - 10.0.0.3"],
      [["10.0.0.1", "fd00::1"], 4, "fd00::1"],
      [["fd00::1", "10.0.0.1"], 6, "10.0.0.1"],
      [["10.0.0.0/24"], 4, "10.0.0.0/24"],
      [["10.0.0.01"], 4, "10.0.0.01"],
    ];
    for (const [entries, family, bad] of cases) {
      it(JSON.stringify(entries), () => {
        assert.deepEqual(IntervalSet.fromRanges(entries, family), {
          ok: false,
          error: {
            code: "invalid_range",
            message: `invalid IP range format in IPv${family} '${bad}'`,
            value: bad,
          },
        });
      });
    }
  });

  describe("CIDR edge prefixes", () => {
    const cases: Array<[cidr: string, size: bigint, first: string, last: string]> = [
      ["0.0.0.0/0", 1n << 32n, "0.0.0.0", "255.255.255.255"],
      ["192.168.1.2/31", 2n, "192.168.1.2", "192.168.1.3"],
      ["192.168.1.3/32", 1n, "192.168.1.3", "192.168.1.3"],
      ["::/0", 1n << 128n, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
      ["fd00::2/127", 2n, "fd00::2", "fd00::3"],
      ["fd00::3/128", 1n, "fd00::3", "fd00::3"],
    ];
    for (const [cidr, size, first, last] of cases) {
      it(cidr, () => {
        const set = block(cidr);
        assert.equal(set.size(), size);
        assert.equal(set.contains(ip(first)), true);
        assert.equal(set.contains(ip(last)), true);
        if (ip(first) > 0n) assert.equal(set.contains(ip(first) - 1n), false);
        if (ip(last) < maxAddress(set.family)) assert.equal(set.contains(ip(last) + 1n), false);
        assert.equal(set.firstFree(IntervalSet.empty(set.family)), ip(first));
        assert.equal(set.firstFree(set), undefined);
        assert.equal(set.subtract(set).isEmpty, true);
        assert.deepEqual(set.toRangeStrings(), [size === 1n ? first : `${first}-${last}`]);
      });
    }
  });

  describe("set operations", () => {
    const a = ranges(4, "10.0.0.1-10.0.0.10", "10.0.0.20-10.0.0.30");
    const b = ranges(4, "10.0.0.5-10.0.0.25");
    it("union", () => assert.deepEqual(a.union(b).toRangeStrings(), ["10.0.0.1-10.0.0.30"]));
    it("intersect", () =>
      assert.deepEqual(a.intersect(b).toRangeStrings(), [
        "10.0.0.5-10.0.0.10",
        "10.0.0.20-10.0.0.25",
      ]));
    it("subtract", () => {
      assert.deepEqual(a.subtract(b).toRangeStrings(), [
        "10.0.0.1-10.0.0.4",
        "10.0.0.26-10.0.0.30",
      ]);
      assert.deepEqual(b.subtract(a).toRangeStrings(), ["10.0.0.11-10.0.0.19"]);
    });
    it("subtract one cut spanning several intervals", () => {
      const many = ranges(4, "10.0.0.1", "10.0.0.3", "10.0.0.5", "10.0.0.7");
      assert.deepEqual(many.subtract(ranges(4, "10.0.0.2-10.0.0.6")).toRangeStrings(), [
        "10.0.0.1",
        "10.0.0.7",
      ]);
    });
    it("subset, overlap, equality", () => {
      assert.equal(ranges(4, "10.0.0.2-10.0.0.3", "10.0.0.21").isSubsetOf(a), true);
      assert.equal(ranges(4, "10.0.0.2-10.0.0.11").isSubsetOf(a), false);
      assert.equal(IntervalSet.empty(4).isSubsetOf(IntervalSet.empty(4)), true);
      assert.equal(a.overlaps(b), true);
      assert.equal(a.overlaps(ranges(4, "10.0.0.11-10.0.0.19")), false);
      assert.equal(a.equals(ranges(4, "10.0.0.20-10.0.0.30", "10.0.0.1-10.0.0.10")), true);
      assert.equal(a.equals(b), false);
    });
    it("lists addresses lazily and takes the first free ones", () => {
      const pool = ranges(6, "fd00::1-fd00::4", "fd00::a");
      assert.deepEqual(pool.toAddressStrings(), [
        "fd00::1",
        "fd00::2",
        "fd00::3",
        "fd00::4",
        "fd00::a",
      ]);
      const used = ranges(6, "fd00::1", "fd00::3");
      assert.deepEqual(pool.firstFreeAddresses(used, 10), [
        ip("fd00::2"),
        ip("fd00::4"),
        ip("fd00::a"),
      ]);
      assert.deepEqual(pool.firstFreeAddresses(used, 2), [ip("fd00::2"), ip("fd00::4")]);
      assert.deepEqual(pool.firstFreeAddresses(used, 0), []);
      assert.equal(pool.firstFree(ranges(6, "fd00::1-fd00::9")), ip("fd00::a"));
      assert.equal(pool.firstFree(pool), undefined);
    });
    it("iterating a /64 is lazy", () => {
      const it = block("fd00:1::/64").addresses();
      assert.equal(it.next().value, ip("fd00:1::"));
      assert.equal(it.next().value, ip("fd00:1::1"));
    });
  });

  describe("a /64 with thousands of ranges", () => {
    const base = ip("fd00:1::");
    const count = 5000;
    // Range i covers base+16i .. base+16i+9; listed in a scrambled order, with every tenth repeated.
    const texts: string[] = [];
    for (let k = 0; k < count; k++) {
      const i = (k * 7919) % count;
      const start = base + BigInt(i) * 16n;
      texts.push(`${hex(start)}-${hex(start + 9n)}`);
      if (k % 10 === 0) texts.push(hex(start + 3n));
    }
    const used = ranges(6, ...texts);
    const whole = block("fd00:1::/64");

    it("normalizes to one interval per range", () => {
      assert.equal(used.intervals.length, count);
      assert.equal(used.size(), BigInt(count) * 10n);
      assert.equal(used.toRangeStrings()[0], "fd00:1::-fd00:1::9");
      assert.equal(used.toRangeStrings()[count - 1], "fd00:1::1:3870-fd00:1::1:3879"); // 4999 * 16 = 0x13870
    });
    it("finds free addresses without expanding", () => {
      assert.equal(whole.firstFree(used), base + 10n);
      assert.deepEqual(
        whole.firstFreeAddresses(used, 8),
        [10n, 11n, 12n, 13n, 14n, 15n, 26n, 27n].map(o => base + o),
      );
      assert.equal(whole.subtract(used).size(), (1n << 64n) - BigInt(count) * 10n);
      assert.equal(used.isSubsetOf(whole), true);
      assert.equal(whole.isSubsetOf(used), false);
      assert.equal(used.subtract(used).isEmpty, true);
      const filled = used.union(
        ranges(
          6,
          ...Array.from(
            { length: count },
            (_, i) => hex(base + BigInt(i) * 16n + 10n) + "-" + hex(base + BigInt(i) * 16n + 15n),
          ),
        ),
      );
      assert.equal(filled.intervals.length, 1);
      assert.equal(whole.firstFree(filled), base + BigInt(count) * 16n);
      assert.equal(used.contains(base + 4999n * 16n + 9n), true);
      assert.equal(used.contains(base + 4999n * 16n + 10n), false);
    });
  });

  describe("properties against an explicit-set model", () => {
    // Small universes at the bottom and the very top of each family, so 2^32-1 and 2^128-1 are hit.
    const universes: Array<[IpFamily, bigint]> = [
      [4, ip("10.0.0.0")],
      [4, ip("255.255.255.192")],
      [6, ip("fd00::")],
      [6, ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffc0")],
    ];
    const WIDTH = 64;
    const offsets = fc.array(
      fc.tuple(fc.integer({ min: 0, max: WIDTH - 1 }), fc.integer({ min: 0, max: WIDTH - 1 })),
      { maxLength: 8 },
    );

    for (const [family, base] of universes) {
      const build = (pairs: Array<[number, number]>) =>
        IntervalSet.of(
          family,
          pairs.map(([x, y]) => ({
            start: base + BigInt(Math.min(x, y)),
            end: base + BigInt(Math.max(x, y)),
          })),
        );
      const model = (pairs: Array<[number, number]>) => {
        const out = new Set<bigint>();
        for (const [x, y] of pairs)
          for (let o = Math.min(x, y); o <= Math.max(x, y); o++) out.add(base + BigInt(o));
        return out;
      };
      const sorted = (s: Set<bigint>) => [...s].sort((x, y) => (x < y ? -1 : 1));

      it(`IPv${family} universe at ${base}: operations agree with the model`, () => {
        fc.assert(
          fc.property(offsets, offsets, fc.integer({ min: 0, max: 70 }), (pa, pb, n) => {
            const [a, b] = [build(pa), build(pb)];
            const [ma, mb] = [model(pa), model(pb)];
            assert.deepEqual([...a.addresses()], sorted(ma));
            assert.equal(a.size(), BigInt(ma.size));
            for (let o = -2; o < WIDTH + 2; o++) {
              const v = base + BigInt(o);
              if (v <= maxAddress(family)) assert.equal(a.contains(v), ma.has(v));
            }
            assert.deepEqual([...a.union(b).addresses()], sorted(new Set([...ma, ...mb])));
            assert.deepEqual(
              [...a.intersect(b).addresses()],
              sorted(new Set([...ma].filter(v => mb.has(v)))),
            );
            const diff = sorted(new Set([...ma].filter(v => !mb.has(v))));
            assert.deepEqual([...a.subtract(b).addresses()], diff);
            assert.deepEqual([...a.addressesNotIn(b)], diff);
            assert.deepEqual(a.firstFreeAddresses(b, n), diff.slice(0, n));
            assert.equal(a.firstFree(b), diff[0]);
            assert.equal(
              a.isSubsetOf(b),
              [...ma].every(v => mb.has(v)),
            );
            assert.equal(
              a.overlaps(b),
              [...ma].some(v => mb.has(v)),
            );
            assert.equal(a.equals(b), ma.size === mb.size && [...ma].every(v => mb.has(v)));
            assert.ok(a.equals(IntervalSet.fromAddresses(family, ma)));
            // Normal form: ascending, and separated by at least one missing address.
            a.intervals.forEach((x, i) => {
              assert.ok(x.start <= x.end);
              const prev = a.intervals[i - 1];
              if (prev !== undefined) assert.ok(x.start > prev.end + 1n);
            });
          }),
        );
      });
    }
  });
});

function hex(value: bigint): string {
  // Uncompressed, zero-padded spelling: the parser must normalize it.
  return Array.from({ length: 8 }, (_, i) =>
    ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16).padStart(4, "0"),
  ).join(":");
}
