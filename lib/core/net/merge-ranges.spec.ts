import assert from "node:assert/strict";
import fc from "fast-check";
import { formatAddress, readAddress, type IpFamily } from "./address.js";
import { mergeIpRanges } from "./merge-ranges.js";
import { parseIpRange } from "./range-syntax.js";

describe("merge-ranges", () => {
  describe("mergeIpRanges examples", () => {
    const cases: Array<[input: string[], family: IpFamily, merged: string[]]> = [
      [["10.0.0.5", "10.0.0.1-10.0.0.4", "10.0.0.9"], 4, ["10.0.0.1-10.0.0.5", "10.0.0.9"]],
      [["10.0.0.1", "10.0.0.1", "10.0.0.1-10.0.0.1"], 4, ["10.0.0.1"]],
      [["10.0.0.3-10.0.0.8", "10.0.0.1-10.0.0.5"], 4, ["10.0.0.1-10.0.0.8"]],
      [["10.0.0.2", "10.0.0.1"], 4, ["10.0.0.1-10.0.0.2"]],
      [["10.0.0.255", "10.0.1.0"], 4, ["10.0.0.255-10.0.1.0"]],
      [[], 4, []],
      [["FD00::0001", "fd00:0:0:0:0:0:0:2"], 6, ["fd00::1-fd00::2"]],
      [["fd00::10", "fd00::1-fd00::f"], 6, ["fd00::1-fd00::10"]],
      [["fd00::1", "fd00::3"], 6, ["fd00::1", "fd00::3"]],
      [["::ffff:1.2.3.4", "::ffff:1.2.3.5"], 6, ["::ffff:1.2.3.4-::ffff:1.2.3.5"]],
    ];
    for (const [input, family, merged] of cases) {
      it(`${JSON.stringify(input)} -> ${JSON.stringify(merged)}`, () => {
        assert.deepEqual(mergeIpRanges(input, family), { ok: true, value: merged });
      });
    }

    it("returns the first bad entry instead of merging", () => {
      assert.deepEqual(mergeIpRanges(["10.0.0.1", "10.0.0.3-10.0.0.2", "x"], 4), {
        ok: false,
        error: {
          code: "invalid_range",
          message: "invalid IP range format in IPv4 '10.0.0.3-10.0.0.2'",
          value: "10.0.0.3-10.0.0.2",
        },
      });
    });
  });

  describe("properties", () => {
    const windows: Array<[IpFamily, bigint]> = [
      [4, 0x0a000000n],
      [6, (1n << 128n) - 48n],
    ];
    for (const [family, base] of windows) {
      const entry = fc
        .tuple(fc.integer({ min: 0, max: 47 }), fc.integer({ min: 0, max: 47 }), fc.boolean())
        .map(([x, y, single]) => {
          const start = formatAddress(base + BigInt(Math.min(x, y)), family);
          return single
            ? start
            : `${start}-${formatAddress(base + BigInt(Math.max(x, y)), family)}`;
        });
      const expand = (texts: readonly string[]) => {
        const out = new Set<bigint>();
        for (const text of texts) {
          const parsed = parseIpRange(text, family);
          assert.ok(parsed.ok, text);
          for (let v = parsed.value.start; v <= parsed.value.end; v++) out.add(v);
        }
        return [...out].sort((a, b) => (a < b ? -1 : 1));
      };

      it(`IPv${family}: merging preserves the address set, is idempotent and maximal`, () => {
        fc.assert(
          fc.property(fc.array(entry, { maxLength: 12 }), input => {
            const merged = mergeIpRanges(input, family);
            assert.ok(merged.ok);
            assert.deepEqual(expand(merged.value), expand(input));
            assert.deepEqual(mergeIpRanges(merged.value, family), merged);
            let previousEnd: bigint | undefined;
            for (const text of merged.value) {
              const [first, last = first] = text.split("-") as [string, string?];
              const start = readAddress(first)?.value as bigint;
              const end = readAddress(last)?.value as bigint;
              // Bare only for one address, and a gap before every run.
              assert.equal(text.includes("-"), start < end);
              if (previousEnd !== undefined) assert.ok(start > previousEnd + 1n);
              previousEnd = end;
            }
          }),
        );
      });
    }
  });
});
