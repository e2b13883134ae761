import assert from "node:assert/strict";
import {
  invalidAddress,
  invalidCidr,
  invalidRangeEntry,
  invalidRangeFormat,
  outsideSubnet,
  rangeOverlap,
  unformattedCidr,
} from "./address-errors.js";

describe("address-errors", () => {
  // The texts are Spiderpool's, byte for byte; users and e2e suites match on them.
  const cases: Array<
    [
      name: string,
      actual: { code: string; message: string; value: string },
      code: string,
      message: string,
    ]
  > = [
    ["invalidAddress", invalidAddress("1.2.3"), "invalid_address", "invalid IP address: 1.2.3"],
    [
      "invalidAddress v4",
      invalidAddress("1.2.3", 4),
      "invalid_address",
      "invalid IP format in IPv4 '1.2.3'",
    ],
    [
      "invalidAddress v6",
      invalidAddress("x", 6),
      "invalid_address",
      "invalid IP format in IPv6 'x'",
    ],
    [
      "invalidRangeFormat",
      invalidRangeFormat("a-b", 4),
      "invalid_range",
      "invalid IP range format in IPv4 'a-b'",
    ],
    ["invalidRangeEntry", invalidRangeEntry("a-b-c"), "invalid_range", "invalid range: a-b-c"],
    ["invalidCidr", invalidCidr("x/1", 6), "invalid_cidr", "invalid CIDR format in IPv6 'x/1'"],
    [
      "unformattedCidr",
      unformattedCidr("10.6.1.1/24", "10.6.1.0/24"),
      "unformatted_cidr",
      "unformatted subnet 10.6.1.1/24, please change it to 10.6.1.0/24",
    ],
    [
      "rangeOverlap covered_by",
      rangeOverlap("A", "B", "covered_by"),
      "range_overlap",
      "range A is already covered by B",
    ],
    ["rangeOverlap covers", rangeOverlap("A", "B", "covers"), "range_overlap", "range A covers B"],
    [
      "rangeOverlap overlaps",
      rangeOverlap("A", "B", "overlaps"),
      "range_overlap",
      "range A overlaps with B",
    ],
    [
      "outsideSubnet",
      outsideSubnet("10.7.0.1", "10.6.0.0/16"),
      "outside_subnet",
      "not match base subnet: 10.7.0.1",
    ],
  ];
  for (const [name, actual, code, message] of cases) {
    it(name, () => {
      assert.equal(actual.code, code);
      assert.equal(actual.message, message);
    });
  }

  it("keeps the offending value and the context fields", () => {
    assert.deepEqual(rangeOverlap("A", "B", "covers"), {
      code: "range_overlap",
      message: "range A covers B",
      value: "A",
      other: "B",
      relation: "covers",
    });
    assert.deepEqual(outsideSubnet("10.7.0.1", "10.6.0.0/16"), {
      code: "outside_subnet",
      message: "not match base subnet: 10.7.0.1",
      value: "10.7.0.1",
      subnet: "10.6.0.0/16",
    });
  });
});
