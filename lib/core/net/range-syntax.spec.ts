import assert from "node:assert/strict";
import type { IpFamily } from "./address.js";
import { formatIpRange, parseIpRange } from "./range-syntax.js";

describe("range-syntax", () => {
  describe("parseIpRange, accepted", () => {
    const cases: Array<[text: string, family: IpFamily, start: bigint, end: bigint]> = [
      ["172.18.40.10", 4, 0xac12280an, 0xac12280an],
      ["172.18.40.10-172.18.40.20", 4, 0xac12280an, 0xac122814n],
      ["10.0.0.1-10.0.0.1", 4, 0x0a000001n, 0x0a000001n],
      ["0.0.0.0-255.255.255.255", 4, 0n, 0xffffffffn],
      ["fd00::1", 6, (0xfd00n << 112n) | 1n, (0xfd00n << 112n) | 1n],
      ["fd00::1-fd00::ff", 6, (0xfd00n << 112n) | 1n, (0xfd00n << 112n) | 0xffn],
      ["FD00::1-fd00:0::00ff", 6, (0xfd00n << 112n) | 1n, (0xfd00n << 112n) | 0xffn],
      ["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6, 0n, (1n << 128n) - 1n],
      ["::ffff:1.2.3.4-::ffff:1.2.3.5", 6, 0xffff01020304n, 0xffff01020305n],
    ];
    for (const [text, family, start, end] of cases) {
      it(text, () =>
        assert.deepEqual(parseIpRange(text, family), { ok: true, value: { start, end } }),
      );
    }
  });

  describe("parseIpRange, rejected with Spiderpool's IsIPRange text", () => {
    const cases: Array<[text: string, family: IpFamily, why: string]> = [
      ["10.0.0.5-10.0.0.1", 4, "reversed"],
      ["fd00::5-fd00::1", 6, "reversed"],
      ["10.0.0.1 - 10.0.0.5", 4, "spaces around the dash"],
      ["10.0.0.1-10.0.0.5 ", 4, "trailing space"],
      ["\t10.0.0.1", 4, "leading tab"],
      ["10.0.0.1-10.0.0.2-10.0.0.3", 4, "two dashes"],
      ["10.0.0.1-", 4, "missing end"],
      ["-10.0.0.1", 4, "missing start"],
      ["", 4, "empty"],
      ["10.0.0.0/24", 4, "CIDR"],
      ["fd00::/64", 6, "CIDR"],
      ["10.0.0.1-fd00::1", 4, "mixed families"],
      ["fd00::1-10.0.0.1", 6, "mixed families"],
      ["fd00::1", 4, "wrong family"],
      ["10.0.0.1", 6, "wrong family"],
      ["::ffff:10.0.0.1", 4, "IPv4-mapped is IPv6"],
      ["010.0.0.1", 4, "leading zero"],
      ["10.0.0.1-10.0.0.010", 4, "leading zero in the end"],
      ["fe80::1%eth0", 6, "zone"],
    ];
    for (const [text, family, why] of cases) {
      it(`${JSON.stringify(text)} (${why})`, () => {
        assert.deepEqual(parseIpRange(text, family), {
          ok: false,
          error: {
            code: "invalid_range",
            message: `invalid IP range format in IPv${family} '${text}'`,
            value: text,
          },
        });
      });
    }
  });

  describe("formatIpRange", () => {
    it("prints single addresses bare and runs as a-b", () => {
      assert.equal(formatIpRange({ start: 0x0a000001n, end: 0x0a000001n }, 4), "10.0.0.1");
      assert.equal(formatIpRange({ start: 0x0a000001n, end: 0x0a000002n }, 4), "10.0.0.1-10.0.0.2");
      assert.equal(formatIpRange({ start: 0n, end: 0xffffn }, 6), "::-::ffff");
    });
  });
});
