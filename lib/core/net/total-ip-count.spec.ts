import assert from "node:assert/strict";
import { parseCidr, type Cidr } from "./cidr.js";
import {
  countToJsonNumber,
  MAX_INT64,
  MAX_INT64_AS_NUMBER,
  totalIPCount,
} from "./total-ip-count.js";

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

describe("total-ip-count", () => {
  const cases: [string, string, string[], string[], bigint][] = [
    [
      "ips minus excludeIPs",
      "10.6.0.0/16",
      ["10.6.0.1-10.6.0.10", "10.6.0.20"],
      ["10.6.0.5-10.6.0.6"],
      9n,
    ],
    ["nothing", "10.6.0.0/16", [], [], 0n],
    ["/31", "10.6.0.0/31", ["10.6.0.0-10.6.0.1"], [], 2n],
    ["/32", "10.6.0.7/32", ["10.6.0.7"], [], 1n],
    ["/127", "fd00::2/127", ["fd00::2-fd00::3"], [], 2n],
    ["/128", "fd00::3/128", ["fd00::3"], ["fd00::3"], 0n],
    ["a whole /80", "fd00::/80", ["fd00::-fd00::ffff:ffff:ffff"], [], 1n << 48n],
    ["2^63 - 1 exactly", "fd00::/64", ["fd00::-fd00::7fff:ffff:ffff:fffe"], [], MAX_INT64],
    ["a whole /64 saturates", "fd00::/64", ["fd00::-fd00::ffff:ffff:ffff:ffff"], [], MAX_INT64],
    [
      "a stored reversed range counts, as in Spiderpool",
      "10.6.0.0/16",
      ["10.6.0.20-10.6.0.11"],
      [],
      10n,
    ],
    // Spiderpool e2e D00017.
    [
      "saturates at 2^63 - 1",
      "fd12:3456:789a::/48",
      ["fd12:3456:789a:baba::1-fd12:3456:789a:ffff:ffff:ffff:ffff:ffff"],
      ["fd12:3456:789a:baba::1-fd12:3456:789a:baba::10"],
      MAX_INT64,
    ],
  ];
  for (const [name, subnet, ips, excludeIPs, expected] of cases) {
    it(name, () => assert.equal(totalIPCount(cidr(subnet), ips, excludeIPs), expected));
  }

  it("converts to a JSON number that always fits an int64", () => {
    assert.equal(countToJsonNumber(42n), 42);
    assert.equal(countToJsonNumber(MAX_INT64), MAX_INT64_AS_NUMBER);
    assert.equal(JSON.stringify(countToJsonNumber(MAX_INT64)), "9223372036854775000");
    assert.ok(BigInt(JSON.stringify(countToJsonNumber(MAX_INT64 - 100n))) <= MAX_INT64);
    // What a naive conversion would write: above int64, rejected by Go clients.
    assert.ok(BigInt(JSON.stringify(Number(MAX_INT64))) > MAX_INT64);
    assert.throws(() => countToJsonNumber(-1n), RangeError);
  });
});
