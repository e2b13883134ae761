import assert from "node:assert/strict";
import { formatFieldError } from "./field-error.js";
import { checkPoolInUse, checkSubnetInUse } from "./in-use-rules.js";
import { IntervalSet } from "../net/interval-set.js";

const usable4 = IntervalSet.fromRanges(["10.0.0.1-10.0.0.10"], 4);
const usable6 = IntervalSet.fromRanges(["fd00::1-fd00::ff"], 6);

describe("in-use-rules", () => {
  describe("checkPoolInUse", () => {
    it("accepts addresses that stay usable, however spelled", () => {
      assert.ok(usable6.ok);
      assert.deepEqual(checkPoolInUse(usable6.value, [{ address: "FD00:0::0A", pod: "ns/a" }]), []);
    });
    it("reports each lost address, an unparsable one, and one of the other family", () => {
      assert.ok(usable4.ok);
      const errors = checkPoolInUse(usable4.value, [
        { address: "10.0.0.5", pod: "ns/a" },
        { address: "10.0.0.11", pod: "ns/b" },
        { address: "nope", pod: "ns/c" },
        { address: "::ffff:10.0.0.5", pod: "ns/d" },
      ]);
      assert.deepEqual(
        errors.map(e => e.value),
        ["10.0.0.11", "nope", "::ffff:10.0.0.5"],
      );
      assert.equal(
        formatFieldError(errors[0]!),
        "spec.ips: Forbidden: remove an IP address 10.0.0.11 that is being used by Pod ns/b, total IP addresses of an IPPool are jointly determined by 'spec.ips' and 'spec.excludeIPs'",
      );
    });
  });

  describe("checkSubnetInUse", () => {
    it("lists the lost part of each pool's record as merged ranges", () => {
      assert.ok(usable4.ok);
      const errors = checkSubnetInUse(usable4.value, 4, {
        a: { ips: ["10.0.0.1-10.0.0.2"] },
        b: { ips: ["10.0.0.12", "10.0.0.9-10.0.0.11", "10.0.0.13"] },
        c: { ips: [] },
      });
      assert.deepEqual(
        errors.map(e => e.value),
        [["10.0.0.11-10.0.0.13"]],
      );
    });
    it("reports a record it cannot read as an internal error", () => {
      assert.ok(usable6.ok);
      assert.deepEqual(
        checkSubnetInUse(usable6.value, 6, { a: { ips: ["10.0.0.1"] } }).map(e => [
          e.reason,
          e.path,
        ]),
        [["Internal error", "status.controlledIPPools"]],
      );
    });
  });
});
