import assert from "node:assert/strict";
import fc from "fast-check";
import { claim, pool, reservedIP } from "./fixtures.js";
import { holdersOf, orphanClaims, poolUsage } from "./pool-usage.js";

describe("cli/pool-usage", () => {
  const a = pool("a", { ips: ["10.9.0.1-10.9.0.10"], excludeIPs: ["10.9.0.10"] });
  const b = pool(
    "b",
    { ips: ["10.9.0.20-10.9.0.21"] },
    { deletionTimestamp: "2026-01-01T00:00:00Z" },
  );

  it("counts total (ips − excludeIPs), reserved, used (claims) and free per pool, sorted by name", () => {
    const claims = [
      claim("10.9.0.1", "a", "u1"),
      claim("10.9.0.2", "a", "u2"),
      claim("10.9.0.20", "b", "u3"),
    ];
    const usage = poolUsage([b, a], claims, [reservedIP("r", ["10.9.0.3-10.9.0.4", "10.9.0.10"])]);
    assert.deepEqual(
      usage.map(u => [u.name, u.family, u.total, u.reserved, u.used, u.free, u.terminating]),
      [
        ["a", 4, 9n, 2n, 2n, 5n, false],
        ["b", 4, 2n, 0n, 1n, 1n, true],
      ],
    );
  });

  it("flags a pool whose Spiderpool records no claim covers until it is imported", () => {
    const records = JSON.stringify({
      "10.9.0.1": { pod: "ns/x", podUid: "u1" },
      "10.9.0.2": { pod: "ns/y", podUid: "u2" },
    });
    const waiting = { ...a, status: { allocatedIPs: records } } as typeof a;
    assert.match(
      poolUsage([waiting], [claim("10.9.0.1", "a", "u1")], [])[0]!.awaitingImport ?? "",
      /^1 of Spiderpool's allocation records/,
    );
    assert.equal(
      poolUsage([waiting], [claim("10.9.0.1", "a", "u1"), claim("10.9.0.2", "a", "u2")], [])[0]!
        .awaitingImport,
      undefined,
    );
    const marked = {
      ...waiting,
      metadata: {
        ...waiting.metadata,
        annotations: { "ipam.pepr-spiderpool.io/allocations-imported": "2" },
      },
    } as typeof a;
    assert.equal(poolUsage([marked], [], [])[0]!.awaitingImport, undefined);
  });

  it("counts quarantined addresses among the used ones and shows who answered for them", () => {
    const q = {
      podUID: "quarantine",
      quarantine: {
        until: "2026-12-07T16:10:00Z",
        since: "2026-12-07T16:00:00Z",
        mac: "02:00:00:00:00:99",
        podUID: "u1",
      },
    };
    const claims = [claim("10.9.0.1", "a", "u1", q), claim("10.9.0.2", "a", "u2")];
    const [u] = poolUsage([a], claims, []);
    assert.deepEqual([u?.used, u?.quarantined, u?.free], [2n, 1, 7n]);
    assert.deepEqual(holdersOf("a", claims)[0]?.quarantine, {
      until: "2026-12-07T16:10:00Z",
      mac: "02:00:00:00:00:99",
    });
    assert.equal(holdersOf("a", claims)[1]?.quarantine, undefined);
  });

  it("ignores reserved IPs being deleted and claims of other pools", () => {
    const usage = poolUsage(
      [a],
      [claim("10.9.0.5", "other", "u1")],
      [reservedIP("r", ["10.9.0.1"], { deletionTimestamp: "2026-01-01T00:00:00Z" })],
    );
    assert.deepEqual([usage[0]?.reserved, usage[0]?.used, usage[0]?.free], [0n, 0n, 9n]);
  });

  it("free + used + reserved never exceeds total (any claims and reservations)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 12 })),
        fc.uniqueArray(fc.integer({ min: 1, max: 12 })),
        (claimed, held) => {
          const claims = claimed.map(n => claim(`10.9.0.${n}`, "a", `u${n}`));
          const [u] = poolUsage([a], claims, [
            reservedIP(
              "r",
              held.map(n => `10.9.0.${n}`),
            ),
          ]);
          assert.ok(u);
          assert.ok(
            u.free >= 0n && u.free + u.reserved <= u.total,
            JSON.stringify(u, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
          );
          assert.equal(u.used, BigInt(claimed.length));
        },
      ),
    );
  });

  it("lists the holders of a pool in address order, with Pod, UID, NIC, node and static", () => {
    const claims = [
      claim("10.9.0.10", "a", "u2", { static: true }),
      claim("10.9.0.9", "a", "u1", { interface: "net1", node: "node-2" }),
      claim("10.9.0.1", "b", "u3"),
    ];
    assert.deepEqual(holdersOf("a", claims), [
      {
        address: "10.9.0.9",
        pod: "ns/pod-u1",
        podUID: "u1",
        nic: "net1",
        node: "node-2",
        static: false,
      },
      {
        address: "10.9.0.10",
        pod: "ns/pod-u2",
        podUID: "u2",
        nic: "eth0",
        node: "node-1",
        static: true,
      },
    ]);
  });

  it("finds claims whose pool is gone", () => {
    assert.deepEqual(
      orphanClaims([a], [claim("10.9.0.1", "a", "u1"), claim("10.8.0.1", "gone", "u2")]).map(
        c => c.spec.address,
      ),
      ["10.8.0.1"],
    );
  });
});
