import assert from "node:assert/strict";
import { pool } from "../../testing/admission-fixtures.js";
import { parseCidr } from "./cidr.js";
import { IntervalSet } from "./interval-set.js";
import { describeStored, lazyStoredRanges, readStoredRanges } from "./stored-objects.js";

const parsed = parseCidr("10.0.0.0/24");
if (!parsed.ok) throw new Error("bad fixture");
const cidr = parsed.value;

describe("stored-objects", () => {
  it("describes a stored object, inferring a missing family", () => {
    assert.deepEqual(describeStored(pool("a", { subnet: "10.0.0.0/24", ipVersion: undefined })), {
      name: "a",
      family: 4,
      subnetText: "10.0.0.0/24",
      cidr,
    });
    assert.equal(describeStored(pool("b", { subnet: "junk", ipVersion: undefined })), undefined);
    assert.equal(describeStored(pool("c", { subnet: "junk", ipVersion: 6 }))?.cidr, undefined);
  });

  it("reads valid lists like NewCIDR, with raw-labelled pieces", () => {
    const ranges = readStoredRanges(cidr, ["10.0.0.1-10.0.0.9"], ["10.0.0.5"]);
    assert.deepEqual(ranges.usable.toRangeStrings(), ["10.0.0.1-10.0.0.4", "10.0.0.6-10.0.0.9"]);
    assert.deepEqual(
      ranges.pieces.map(p => p.raw),
      ["10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9"],
    );
  });

  it("over-approximates broken lists: clashing entries united, bad excludes ignored", () => {
    const ranges = readStoredRanges(
      cidr,
      ["10.0.0.1-10.0.0.5", "10.0.0.3-10.0.0.7", "junk"],
      ["bad", "10.0.0.2"],
    );
    assert.deepEqual(ranges.usable.toRangeStrings(), ["10.0.0.1", "10.0.0.3-10.0.0.7"]);
    assert.deepEqual(
      ranges.pieces.map(p => p.raw),
      ["10.0.0.1", "10.0.0.3-10.0.0.7"],
    );
  });

  it("computes lazy pieces once and only on demand", () => {
    const usable = IntervalSet.fromRanges(["10.0.0.1"], 4);
    assert.ok(usable.ok);
    const lazy = lazyStoredRanges(cidr, ["10.0.0.1"], [], usable.value);
    assert.equal(lazy.usable, usable.value);
    assert.equal(lazy.pieces, lazy.pieces);
    assert.deepEqual(
      lazy.pieces.map(p => p.raw),
      ["10.0.0.1"],
    );
  });
});
