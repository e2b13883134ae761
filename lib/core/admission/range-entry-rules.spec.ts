import assert from "node:assert/strict";
import { parseCidr, type Cidr } from "../net/cidr.js";
import { formatFieldError } from "./field-error.js";
import { checkEntriesDisjoint, checkPoolEntries, checkSubnetEntries } from "./range-entry-rules.js";

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

describe("range-entry-rules", () => {
  describe("pool flavour", () => {
    const net = cidr("10.6.0.0/24");
    it("keeps valid entries with their index and reports each bad one", () => {
      const check = checkPoolEntries(
        "spec.ips",
        ["10.6.0.1-10.6.0.3", "10.6.0.9-10.6.0.4", "10.6.0.7", "10.6.1.1", "a b"],
        net,
        "10.6.0.0/24",
      );
      assert.deepEqual(
        check.entries.map(e => [e.index, e.raw, e.start - 0x0a060000n, e.end - 0x0a060000n]),
        [
          [0, "10.6.0.1-10.6.0.3", 1n, 3n],
          [2, "10.6.0.7", 7n, 7n],
        ],
      );
      assert.deepEqual(check.errors.map(formatFieldError), [
        `spec.ips[1]: Invalid value: "10.6.0.9-10.6.0.4": invalid IP range: the start 10.6.0.9 is greater than the end 10.6.0.4, write it as 10.6.0.4-10.6.0.9`,
        `spec.subnet: Invalid value: "10.6.0.0/24": not match base subnet: 10.6.1.1`,
        `spec.ips[4]: Invalid value: "a b": invalid IP range: whitespace is not allowed`,
      ]);
    });

    it("accepts a one-address range written a-a", () => {
      assert.equal(
        checkPoolEntries("spec.excludeIPs", ["10.6.0.5-10.6.0.5"], net, "10.6.0.0/24").errors
          .length,
        0,
      );
    });

    it("reports each entry that meets an earlier one, against the earliest", () => {
      const { entries } = checkPoolEntries(
        "spec.ips",
        ["10.6.0.1-10.6.0.9", "10.6.0.20", "10.6.0.5-10.6.0.25", "10.6.0.20"],
        net,
        "s",
      );
      assert.deepEqual(
        checkEntriesDisjoint(entries, "s").map(e => e.detail),
        [
          "range 10.6.0.5-10.6.0.25 overlaps with 10.6.0.1-10.6.0.9",
          "range 10.6.0.20 is already covered by 10.6.0.20",
        ],
      );
    });
  });

  describe("subnet flavour", () => {
    const net = cidr("fd00::/120");
    it("reports each bad entry on its own path", () => {
      const check = checkSubnetEntries(
        "spec.excludeIPs",
        ["fd00::1", "fd00::1:1", "10.0.0.1", "fd00::5-fd00::2", "fd00::1\t"],
        net,
        "fd00::/120",
      );
      assert.deepEqual(
        check.entries.map(e => e.index),
        [0],
      );
      assert.deepEqual(
        check.errors.map(e => [e.code, e.path]),
        [
          ["outside_subnet", "spec.excludeIPs[1]"],
          ["invalid_range_format", "spec.excludeIPs[2]"],
          ["range_reversed", "spec.excludeIPs[3]"],
          ["range_whitespace", "spec.excludeIPs[4]"],
        ],
      );
    });
  });
});
