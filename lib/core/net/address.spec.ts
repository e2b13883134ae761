import assert from "node:assert/strict";
import fc from "fast-check";
import {
  addressBits,
  formatAddress,
  isIpv4Mapped,
  maxAddress,
  parseAddress,
  readAddress,
  type IpFamily,
} from "./address.js";

const V6_MAX = (1n << 128n) - 1n;

describe("address", () => {
  describe("parseAddress / formatAddress, accepted input", () => {
    const cases: Array<[text: string, family: IpFamily, value: bigint, canonical: string]> = [
      ["0.0.0.0", 4, 0n, "0.0.0.0"],
      ["255.255.255.255", 4, 0xffffffffn, "255.255.255.255"],
      ["10.6.0.1", 4, 0x0a060001n, "10.6.0.1"],
      ["172.18.40.10", 4, 0xac12280an, "172.18.40.10"],
      ["::", 6, 0n, "::"],
      ["::1", 6, 1n, "::1"],
      ["1::", 6, 1n << 112n, "1::"],
      [
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        6,
        V6_MAX,
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      ],
      [
        "FD00:0DB8:0000:0000:0000:0000:0000:0001",
        6,
        0xfd000db8000000000000000000000001n,
        "fd00:db8::1",
      ],
      ["2001:db8:0:0:1:0:0:1", 6, 0x20010db8000000000001000000000001n, "2001:db8::1:0:0:1"],
      ["2001:db8::0:1", 6, 0x20010db8000000000000000000000001n, "2001:db8::1"],
      ["2001:0:0:1:0:0:0:1", 6, 0x20010000000000010000000000000001n, "2001:0:0:1::1"],
      ["2001:db8:0:1:1:1:1:1", 6, 0x20010db8000000010001000100010001n, "2001:db8:0:1:1:1:1:1"],
      ["1:2:3:4:5:6:7::", 6, 0x00010002000300040005000600070000n, "1:2:3:4:5:6:7:0"],
      ["::2:3:4:5:6:7:8", 6, 0x00000002000300040005000600070008n, "0:2:3:4:5:6:7:8"],
      ["fd00:1::", 6, 0xfd000001000000000000000000000000n, "fd00:1::"],
      ["::ffff:1.2.3.4", 6, 0xffff01020304n, "::ffff:1.2.3.4"],
      ["::FFFF:102:304", 6, 0xffff01020304n, "::ffff:1.2.3.4"],
      ["::1.2.3.4", 6, 0x01020304n, "::102:304"],
      ["1:2:3:4:5:6:1.2.3.4", 6, 0x00010002000300040005000601020304n, "1:2:3:4:5:6:102:304"],
    ];
    for (const [text, family, value, canonical] of cases) {
      it(`${text} -> IPv${family} ${canonical}`, () => {
        assert.deepEqual(parseAddress(text), { ok: true, value: { family, value } });
        assert.equal(formatAddress(value, family), canonical);
      });
    }
  });

  describe("parseAddress, rejected input", () => {
    const rejected = [
      "",
      " ",
      " 10.0.0.1",
      "10.0.0.1 ",
      "10.0.0.1\n",
      "01.2.3.4",
      "10.06.0.1",
      "10.0.0.00",
      "256.0.0.1",
      "1.2.3",
      "1.2.3.4.5",
      "1..2.3",
      "1.2.3.-4",
      "+1.2.3.4",
      "0x1.2.3.4",
      "10.0.0.1/32",
      ":",
      ":::",
      "1::2::3",
      ":1::",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::8",
      "::1:2:3:4:5:6:7:8",
      "12345::",
      "fe80::1%eth0",
      "[::1]",
      "::g",
      "1.2.3.4::",
      "1.2.3.4:1::",
      "::1.2.3.4:5",
      "::ffff:01.2.3.4",
      "::ffff:1.2.3.256",
      "1:2:3:4:5:6:7:1.2.3.4",
      "fd00::/64",
      "fd00:: 1",
    ];
    for (const text of rejected) {
      it(JSON.stringify(text), () => {
        assert.equal(readAddress(text), undefined);
        assert.deepEqual(parseAddress(text), {
          ok: false,
          error: { code: "invalid_address", message: `invalid IP address: ${text}`, value: text },
        });
      });
    }
  });

  describe("parseAddress with a family", () => {
    it("accepts an address of that family", () => {
      assert.deepEqual(parseAddress("10.0.0.1", 4), {
        ok: true,
        value: { family: 4, value: 0x0a000001n },
      });
      assert.deepEqual(parseAddress("fd00::1", 6), {
        ok: true,
        value: { family: 6, value: (0xfd00n << 112n) | 1n },
      });
    });
    it("rejects the other family with Spiderpool's IsIP text", () => {
      assert.deepEqual(parseAddress("fd00::1", 4), {
        ok: false,
        error: {
          code: "invalid_address",
          message: "invalid IP format in IPv4 'fd00::1'",
          value: "fd00::1",
        },
      });
      assert.deepEqual(parseAddress("10.0.0.1", 6), {
        ok: false,
        error: {
          code: "invalid_address",
          message: "invalid IP format in IPv6 '10.0.0.1'",
          value: "10.0.0.1",
        },
      });
    });
    it("keeps IPv4-mapped text in the IPv6 family", () => {
      assert.equal(parseAddress("::ffff:10.0.0.1", 4).ok, false);
      assert.equal(parseAddress("::ffff:10.0.0.1", 6).ok, true);
    });
  });

  describe("formatAddress bounds and helpers", () => {
    it("throws on values outside the family", () => {
      assert.throws(() => formatAddress(1n << 32n, 4), RangeError);
      assert.throws(() => formatAddress(-1n, 6), RangeError);
      assert.throws(() => formatAddress(1n << 128n, 6), RangeError);
    });
    it("reports bits and maxima", () => {
      assert.equal(addressBits(4), 32);
      assert.equal(addressBits(6), 128);
      assert.equal(maxAddress(4), 0xffffffffn);
      assert.equal(maxAddress(6), V6_MAX);
    });
    it("recognises the IPv4-mapped block only", () => {
      assert.equal(isIpv4Mapped(0xffff00000000n), true);
      assert.equal(isIpv4Mapped(0xffffffffffffn), true);
      assert.equal(isIpv4Mapped(0xfffe_ffff_ffffn), false);
      assert.equal(isIpv4Mapped(0x1_ffff_0000_0000n), false);
    });
  });

  describe("properties", () => {
    const v4 = fc.bigInt({ min: 0n, max: 0xffffffffn });
    // Biased towards zero groups so that "::" compression is exercised often.
    const v6 = fc
      .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
        minLength: 8,
        maxLength: 8,
      })
      .map(groups => groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n));

    it("IPv4: format then parse returns the value, and the text is canonical", () => {
      fc.assert(
        fc.property(v4, value => {
          const text = formatAddress(value, 4);
          assert.deepEqual(readAddress(text), { family: 4, value });
          assert.equal(formatAddress((readAddress(text) as { value: bigint }).value, 4), text);
        }),
      );
    });

    it("IPv6: format then parse returns the value, and the text is canonical", () => {
      fc.assert(
        fc.property(fc.oneof(v6, fc.bigInt({ min: 0n, max: V6_MAX })), value => {
          const text = formatAddress(value, 6);
          assert.deepEqual(readAddress(text), { family: 6, value });
          assert.equal(text, text.toLowerCase());
        }),
      );
    });

    it("IPv6 text equals the WHATWG URL serializer (an independent RFC 5952 implementation)", () => {
      fc.assert(
        fc.property(v6, value => {
          fc.pre(!isIpv4Mapped(value)); // URL does not use mixed notation
          const text = formatAddress(value, 6);
          assert.equal(`[${text}]`, new URL(`http://[${text}]/`).hostname);
        }),
      );
    });

    it("IPv6: any full spelling (padding, case) parses to the same value", () => {
      const spelling = fc.tuple(
        v6,
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.boolean(),
      );
      fc.assert(
        fc.property(spelling, ([value, pad, upper]) => {
          const groups = Array.from({ length: 8 }, (_, i) =>
            Number((value >> BigInt(112 - 16 * i)) & 0xffffn),
          );
          let text = groups
            .map((g, i) => (pad[i] ? g.toString(16).padStart(4, "0") : g.toString(16)))
            .join(":");
          if (upper) text = text.toUpperCase();
          assert.deepEqual(readAddress(text), { family: 6, value });
        }),
      );
    });
  });
});
