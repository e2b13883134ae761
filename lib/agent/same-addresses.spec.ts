import assert from "node:assert/strict";
import { sameAddresses } from "./same-addresses.js";

describe("sameAddresses", () => {
  const cases: [string, (string | undefined)[], string[], boolean][] = [
    ["the same IPv4 address with its prefix", ["10.6.0.5/16", undefined], ["10.6.0.5"], true],
    ["both families, in any order", ["10.6.0.5/16", "fd00::5/64"], ["fd00::5", "10.6.0.5"], true],
    ["IPv6 spelled differently", ["fd00:0:0::0005/64"], ["fd00::5"], true],
    ["a recorded address without a claim", ["10.6.0.5/16", "fd00::5/64"], ["10.6.0.5"], false],
    ["a claim without a record", ["10.6.0.5/16"], ["10.6.0.5", "fd00::5"], false],
    ["another address", ["10.6.0.5/16"], ["10.6.0.6"], false],
    ["nothing on either side", [undefined, undefined], [], true],
  ];
  for (const [what, recorded, claimed, want] of cases) {
    it(`${want ? "matches" : "does not match"}: ${what}`, () =>
      assert.equal(sameAddresses(recorded, claimed), want));
  }
});
