import assert from "node:assert/strict";
import { usableAddresses } from "./usable-addresses.js";

describe("usableAddresses", () => {
  it("is ips minus excludeIPs", () => {
    const s = usableAddresses({ ips: ["10.0.0.1-10.0.0.5"], excludeIPs: ["10.0.0.2-10.0.0.3"] }, 4);
    assert.deepEqual(s.toRangeStrings(), ["10.0.0.1", "10.0.0.4-10.0.0.5"]);
  });

  it("offers nothing when ips do not parse, and excludes nothing when excludeIPs do not", () => {
    assert.equal(usableAddresses({ ips: ["10.0.0.x"], excludeIPs: [] }, 4).size(), 0n);
    const s = usableAddresses({ ips: ["fd00::1-fd00::2"], excludeIPs: ["nonsense"] }, 6);
    assert.deepEqual(s.toRangeStrings(), ["fd00::1-fd00::2"]);
  });

  it("an object without lists offers nothing", () => {
    assert.equal(usableAddresses({}, 4).size(), 0n);
  });
});
