import assert from "node:assert/strict";
import { familyOfCidr, familyOfRange } from "./family-inference.js";

describe("family-inference", () => {
  const cidrs: [string, number | undefined][] = [
    ["10.6.0.0/16", 4],
    ["10.6.0.1/16", 4],
    ["fd00::/64", 6],
    ["::ffff:10.0.0.0/104", 6],
    ["10.6.0.0", undefined],
    ["10.6.0.0/33", undefined],
    ["", undefined],
  ];
  for (const [text, family] of cidrs)
    it(`cidr ${JSON.stringify(text)}`, () => assert.equal(familyOfCidr(text), family));

  const ranges: [string, number | undefined][] = [
    ["10.0.0.1", 4],
    ["10.0.0.1-10.0.0.9", 4],
    ["fd00::1-fd00::2", 6],
    ["10.0.0.9-10.0.0.1", undefined],
    ["10.0.0.1-fd00::1", undefined],
    ["10.0.0.0/24", undefined],
    [" 10.0.0.1", undefined],
  ];
  for (const [text, family] of ranges)
    it(`range ${JSON.stringify(text)}`, () => assert.equal(familyOfRange(text), family));
});
