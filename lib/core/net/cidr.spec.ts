import assert from "node:assert/strict";
import fc from "fast-check";
import type { IpFamily } from "./address.js";
import {
  cidrContains,
  cidrLabelValue,
  cidrLast,
  cidrOf,
  cidrsEqual,
  cidrsOverlap,
  formatCidr,
  parseCidr,
  parseCidrLenient,
  type Cidr,
} from "./cidr.js";

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

describe("cidr", () => {
  describe("parseCidr, canonical input", () => {
    const cases: Array<
      [text: string, family: IpFamily, network: bigint, prefix: number, size: bigint]
    > = [
      ["0.0.0.0/0", 4, 0n, 0, 1n << 32n],
      ["10.6.0.0/16", 4, 0x0a060000n, 16, 65536n],
      ["10.6.1.0/24", 4, 0x0a060100n, 24, 256n],
      ["192.168.1.2/31", 4, 0xc0a80102n, 31, 2n],
      ["192.168.1.3/32", 4, 0xc0a80103n, 32, 1n],
      ["::/0", 6, 0n, 0, 1n << 128n],
      ["fd00:1::/64", 6, 0xfd000001n << 96n, 64, 1n << 64n],
      ["fd00::2/127", 6, (0xfd00n << 112n) | 2n, 127, 2n],
      ["fd00::3/128", 6, (0xfd00n << 112n) | 3n, 128, 1n],
      ["::ffff:10.0.0.0/104", 6, 0xffff0a000000n, 104, 1n << 24n],
    ];
    for (const [text, family, network, prefix, size] of cases) {
      it(text, () => {
        assert.deepEqual(parseCidr(text), { ok: true, value: { family, network, prefix, size } });
        assert.deepEqual(parseCidr(text, family), {
          ok: true,
          value: { family, network, prefix, size },
        });
        assert.equal(formatCidr({ family, network, prefix, size }), text);
      });
    }
  });

  describe("parseCidr, invalid input gives Spiderpool's IsCIDR text", () => {
    const cases: Array<[text: string, family: IpFamily | undefined, named: IpFamily]> = [
      ["10.6.0.0", 4, 4],
      ["10.6.0.0/33", 4, 4],
      ["10.6.0.0/-1", 4, 4],
      ["10.6.0.0/", 4, 4],
      ["10.6.0.0/ 16", 4, 4],
      [" 10.6.0.0/16", 4, 4],
      ["10.6.0.0/16 ", 4, 4],
      ["010.6.0.0/16", 4, 4],
      ["10.6.0.0/16/1", 4, 4],
      ["fd00::/64", 4, 4],
      ["10.6.0.0/16", 6, 6],
      ["fd00::/129", 6, 6],
      ["fd00::%eth0/64", 6, 6],
      ["fd00::/0x40", undefined, 6],
      ["abc", undefined, 4],
      ["", undefined, 4],
    ];
    for (const [text, family, named] of cases) {
      it(`${JSON.stringify(text)} as IPv${family ?? "?"}`, () => {
        assert.deepEqual(parseCidr(text, family), {
          ok: false,
          error: {
            code: "invalid_cidr",
            message: `invalid CIDR format in IPv${named} '${text}'`,
            value: text,
            family: named,
          },
        });
      });
    }
  });

  describe("parseCidr, non-canonical input", () => {
    const cases: Array<[text: string, canonical: string]> = [
      ["10.6.1.1/24", "10.6.1.0/24"],
      ["10.6.0.0/016", "10.6.0.0/16"],
      ["10.6.255.255/16", "10.6.0.0/16"],
      ["192.168.1.3/31", "192.168.1.2/31"],
      ["1.2.3.4/0", "0.0.0.0/0"],
      ["FD00:1::/64", "fd00:1::/64"],
      ["fd00:0001::/64", "fd00:1::/64"],
      ["fd00:1:0:0:0:0:0:0/64", "fd00:1::/64"],
      ["fd00::1/64", "fd00::/64"],
      ["fd00::3/127", "fd00::2/127"],
      ["::ffff:0a00:0/104", "::ffff:10.0.0.0/104"],
    ];
    for (const [text, canonical] of cases) {
      it(`${text} -> ${canonical}`, () => {
        assert.deepEqual(parseCidr(text), {
          ok: false,
          error: {
            code: "unformatted_cidr",
            message: `unformatted subnet ${text}, please change it to ${canonical}`,
            value: text,
            canonical,
          },
        });
      });
    }
  });

  it("parseCidrLenient keeps the written address and masks the block", () => {
    assert.deepEqual(parseCidrLenient("10.6.1.7/16", 4), {
      ok: true,
      value: { cidr: cidr("10.6.0.0/16"), address: { family: 4, value: 0x0a060107n } },
    });
    assert.equal(parseCidrLenient("10.6.1.7/16", 6).ok, false);
  });

  describe("containment and overlap", () => {
    const containment: Array<[block: string, address: string, family: IpFamily, inside: boolean]> =
      [
        ["10.6.0.0/16", "10.6.0.0", 4, true],
        ["10.6.0.0/16", "10.6.255.255", 4, true],
        ["10.6.0.0/16", "10.7.0.0", 4, false],
        ["10.6.0.0/16", "10.5.255.255", 4, false],
        ["0.0.0.0/0", "255.255.255.255", 4, true],
        ["192.168.1.2/31", "192.168.1.3", 4, true],
        ["192.168.1.2/31", "192.168.1.4", 4, false],
        ["192.168.1.3/32", "192.168.1.3", 4, true],
        ["192.168.1.3/32", "192.168.1.2", 4, false],
        ["::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6, true],
        ["fd00::2/127", "fd00::3", 6, true],
        ["fd00::2/127", "fd00::4", 6, false],
        ["fd00::3/128", "fd00::3", 6, true],
        ["fd00:1::/64", "fd00:1::ffff:ffff:ffff:ffff", 6, true],
        ["fd00:1::/64", "fd00:1:0:1::", 6, false],
      ];
    for (const [block, address, family, inside] of containment) {
      it(`${address} ${inside ? "in" : "not in"} ${block}`, () => {
        const value = parseCidr(`${address}/${family === 4 ? 32 : 128}`);
        assert.ok(value.ok);
        assert.equal(cidrContains(cidr(block), { family, value: value.value.network }), inside);
      });
    }

    it("an address of the other family is never contained", () => {
      assert.equal(cidrContains(cidr("0.0.0.0/0"), { family: 6, value: 1n }), false);
      assert.equal(cidrContains(cidr("::/0"), { family: 4, value: 1n }), false);
    });

    const overlaps: Array<[a: string, b: string, overlap: boolean]> = [
      ["10.6.0.0/16", "10.6.0.0/16", true],
      ["10.6.0.0/16", "10.6.1.0/24", true],
      ["10.6.1.0/24", "10.6.0.0/16", true],
      ["10.6.0.0/16", "10.7.0.0/16", false],
      ["10.6.0.0/31", "10.6.0.2/31", false],
      ["0.0.0.0/0", "10.6.0.0/32", true],
      ["fd00::/64", "fd00::/127", true],
      ["fd00::/127", "fd00::2/127", false],
      ["fd00::/128", "::/0", true],
      ["::/0", "0.0.0.0/0", false],
    ];
    for (const [a, b, overlap] of overlaps) {
      it(`${a} ${overlap ? "overlaps" : "does not overlap"} ${b}`, () => {
        assert.equal(cidrsOverlap(cidr(a), cidr(b)), overlap);
        assert.equal(cidrsOverlap(cidr(b), cidr(a)), overlap);
      });
    }

    it("cidrsEqual compares family, network and prefix", () => {
      assert.equal(cidrsEqual(cidr("10.6.0.0/16"), cidr("10.6.0.0/16")), true);
      assert.equal(cidrsEqual(cidr("10.6.0.0/16"), cidr("10.6.0.0/17")), false);
      assert.equal(cidrsEqual(cidr("0.0.0.0/0"), cidr("::/0")), false);
    });
  });

  describe("cidrOf and cidrLast", () => {
    it("masks host bits and finds the last address", () => {
      const block = cidrOf(4, 0x0a060107n, 16);
      assert.equal(formatCidr(block), "10.6.0.0/16");
      assert.equal(cidrLast(block), 0x0a06ffffn);
      assert.equal(cidrLast(cidr("::/0")), (1n << 128n) - 1n);
      assert.equal(cidrLast(cidr("10.0.0.1/32")), 0x0a000001n);
    });
    it("throws on impossible prefixes or values", () => {
      assert.throws(() => cidrOf(4, 0n, 33), RangeError);
      assert.throws(() => cidrOf(6, 0n, -1), RangeError);
      assert.throws(() => cidrOf(4, 1n << 32n, 8), RangeError);
    });
  });

  describe("cidrLabelValue", () => {
    const cases: Array<[string, string]> = [
      ["10.6.0.0/16", "10-6-0-0-16"],
      ["fd00:1::/64", "fd00-1---64"],
      ["::/0", "---0"],
      ["1:2:3:4:5:6:7:8/128", "1-2-3-4-5-6-7-8-128"],
      ["::ffff:10.0.0.0/104", "--ffff-10-0-0-0-104"],
    ];
    for (const [subnet, label] of cases) {
      it(`${subnet} -> ${label}`, () => assert.equal(cidrLabelValue(subnet), label));
    }
    it("replaces at most 3 dots, 7 colons and 1 slash, like strings.Replace(n)", () => {
      assert.equal(cidrLabelValue("1.2.3.4.5/6/7"), "1-2-3-4.5-6/7");
      assert.equal(cidrLabelValue("a:b:c:d:e:f:g:h:i"), "a-b-c-d-e-f-g-h:i");
    });
  });

  it("property: every prefix of every address gives a canonical block that contains it", () => {
    const v6 = fc.tuple(
      fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
      fc.integer({ min: 0, max: 128 }),
    );
    fc.assert(
      fc.property(v6, ([value, prefix]) => {
        const block = cidrOf(6, value, prefix);
        assert.deepEqual(parseCidr(formatCidr(block), 6), { ok: true, value: block });
        assert.equal(cidrContains(block, { family: 6, value }), true);
        assert.equal(cidrLast(block) - block.network + 1n, 1n << BigInt(128 - prefix));
      }),
    );
  });
});
