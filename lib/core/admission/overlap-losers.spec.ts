import assert from "node:assert/strict";
import { findOverlapLosers } from "./overlap-losers.js";

const pool = (
  name: string,
  created: string,
  subnet: string,
  ips: string[],
  excludeIPs: string[] = [],
) => ({
  metadata: { name, creationTimestamp: created },
  spec: { subnet, ips, excludeIPs, ipVersion: (subnet.includes(":") ? 6 : 4) as 4 | 6 },
});

describe("findOverlapLosers", () => {
  it("keeps the older of two pools sharing addresses and names the newer with the admission reason", () => {
    const losers = findOverlapLosers([
      pool("b", "2026-01-01T00:00:02Z", "10.0.0.0/24", ["10.0.0.5-10.0.0.9"]),
      pool("a", "2026-01-01T00:00:01Z", "10.0.0.0/24", ["10.0.0.1-10.0.0.5"]),
    ]);
    assert.deepEqual(
      losers.map(l => l.name),
      ["b"],
    );
    assert.deepEqual(losers[0]!.winners, [
      { name: "a", creationTimestamp: "2026-01-01T00:00:01Z" },
    ]);
    assert.match(losers[0]!.reasons[0]!.detail, /overlap with IPPool a/);
  });

  it("breaks a creation-time tie by name, the same way every time", () => {
    const t = "2026-01-01T00:00:01Z";
    const x = [
      pool("y", t, "10.0.0.0/24", ["10.0.0.1"]),
      pool("x", t, "10.0.0.0/24", ["10.0.0.1"]),
    ];
    assert.deepEqual(
      findOverlapLosers(x).map(l => l.name),
      ["y"],
    );
    assert.deepEqual(
      findOverlapLosers([...x].reverse()).map(l => l.name),
      ["y"],
    );
  });

  it("judges only against survivors: of a chain a-b-c where only neighbours overlap, b goes and c stays", () => {
    const losers = findOverlapLosers([
      pool("a", "2026-01-01T00:00:01Z", "10.0.0.0/24", ["10.0.0.1-10.0.0.10"]),
      pool("b", "2026-01-01T00:00:02Z", "10.0.0.0/24", ["10.0.0.10-10.0.0.20"]),
      pool("c", "2026-01-01T00:00:03Z", "10.0.0.0/24", ["10.0.0.20-10.0.0.30"]),
    ]);
    assert.deepEqual(
      losers.map(l => l.name),
      ["b"],
    );
  });

  it("flags a different but overlapping CIDR, and leaves disjoint pools, excluded overlaps and other families alone", () => {
    const losers = findOverlapLosers([
      pool("a", "2026-01-01T00:00:01Z", "10.0.0.0/16", ["10.0.0.1"]),
      pool("b", "2026-01-01T00:00:02Z", "10.0.1.0/24", ["10.0.1.1"]),
      pool("c", "2026-01-01T00:00:03Z", "10.0.0.0/16", ["10.0.0.2-10.0.0.9"]),
      pool(
        "d",
        "2026-01-01T00:00:04Z",
        "10.0.0.0/16",
        ["10.0.0.1-10.0.0.20"],
        ["10.0.0.1-10.0.0.9"],
      ),
      pool("e", "2026-01-01T00:00:05Z", "fd00::/64", ["fd00::1"]),
    ]);
    assert.deepEqual(
      losers.map(l => l.name),
      ["b"],
    );
  });
});
