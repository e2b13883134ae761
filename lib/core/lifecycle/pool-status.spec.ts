import assert from "node:assert/strict";
import { IntervalSet } from "../net/interval-set.js";
import { poolStatusOf, statusDiffers } from "./pool-status.js";

const usable = (ranges: string[], fam: 4 | 6 = 4) => {
  const r = IntervalSet.fromRanges(ranges, fam);
  assert.ok(r.ok);
  return r.value;
};
const claim = (address: string, name = "p", uid = "u") => ({
  address,
  podNamespace: "ns",
  podName: name,
  podUID: uid,
});

describe("poolStatusOf", () => {
  it("counts the usable set and the claims, and writes Spiderpool's allocatedIPs view", () => {
    const s = poolStatusOf(usable(["10.0.0.10-10.0.0.19"]), [
      claim("10.0.0.11", "b", "2"),
      claim("10.0.0.10", "a", "1"),
    ]);
    assert.equal(s.totalIPCount, 10);
    assert.equal(s.allocatedIPCount, 2);
    assert.deepEqual(JSON.parse(s.allocatedIPs!), {
      "10.0.0.10": { pod: "ns/a", podUid: "1" },
      "10.0.0.11": { pod: "ns/b", podUid: "2" },
    });
  });

  it("leaves allocatedIPs out when the pool holds nothing", () => {
    const s = poolStatusOf(usable(["10.0.0.1"]), []);
    assert.equal(s.allocatedIPs, undefined);
    assert.equal(s.allocatedIPCount, 0);
  });

  it("keeps the count exact but drops the view above the limit", () => {
    const claims = Array.from({ length: 5 }, (_, i) => claim(`10.0.0.${i + 1}`));
    const s = poolStatusOf(usable(["10.0.0.0/24".replace("/24", "-10.0.0.255")]), claims, 4);
    assert.equal(s.allocatedIPCount, 5);
    assert.equal(s.allocatedIPs, undefined);
  });

  it("saturates totalIPCount of a huge IPv6 pool at int64 max", () => {
    const s = poolStatusOf(usable(["fd00::-fd00::ffff:ffff:ffff:ffff:ffff:ffff"], 6), []);
    assert.equal(s.totalIPCount, Number(9223372036854775807n));
  });
});

describe("statusDiffers", () => {
  it("detects a change of any owned field and ignores equal statuses", () => {
    const a = poolStatusOf(usable(["10.0.0.1-10.0.0.4"]), [claim("10.0.0.1")]);
    assert.equal(statusDiffers(a, { ...a }), false);
    assert.equal(statusDiffers(undefined, a), true);
    assert.equal(statusDiffers(a, { ...a, allocatedIPCount: 2 }), true);
    assert.equal(statusDiffers(a, { ...a, allocatedIPs: undefined }), true);
  });
});
