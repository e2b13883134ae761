import assert from "node:assert/strict";
import type { Subnet } from "./cluster-reads.js";
import { claim, pool } from "./fixtures.js";
import { subnetUsage } from "./subnet-usage.js";

describe("cli/subnet-usage", () => {
  const subnet = (name: string, spec: Partial<Subnet["spec"]>): Subnet =>
    ({ metadata: { name }, spec: { ipVersion: 4, subnet: "10.9.0.0/24", ...spec } }) as Subnet;

  it("counts what its pools hold and allocate, and lists the ranges no pool holds", () => {
    const [u] = subnetUsage(
      [subnet("s", { ips: ["10.9.0.10-10.9.0.29"], excludeIPs: ["10.9.0.29"] })],
      [
        pool("p1", { ips: ["10.9.0.10-10.9.0.14"] }),
        pool("p2", { ips: ["10.9.0.20", "10.9.0.22"] }),
        pool("elsewhere", { subnet: "10.8.0.0/24", ips: ["10.8.0.10"] }),
      ],
      [
        claim("10.9.0.11", "p1", "u1"),
        claim("10.9.0.22", "p2", "u2"),
        claim("10.8.0.10", "elsewhere", "u3"),
      ],
    );
    assert.deepEqual(
      {
        total: u?.total,
        inPools: u?.inPools,
        allocated: u?.allocated,
        free: u?.free,
        ranges: u?.freeRanges,
        pools: u?.pools,
      },
      {
        total: 19n,
        inPools: 7n,
        allocated: 2n,
        free: 12n,
        ranges: ["10.9.0.15-10.9.0.19", "10.9.0.21", "10.9.0.23-10.9.0.28"],
        pools: ["p1", "p2"],
      },
    );
  });

  it("matches a pool whose CIDR is written with host bits, and not one of the other family", () => {
    const [u] = subnetUsage(
      [subnet("s", { ips: ["10.9.0.1-10.9.0.4"] })],
      [
        pool("p", { subnet: "10.9.0.7/24", ips: ["10.9.0.1"] }),
        pool("v6", { ipVersion: 6, subnet: "fd00::/64", ips: ["fd00::1"] }),
      ],
      [],
    );
    assert.deepEqual([u?.pools, u?.freeRanges], [["p"], ["10.9.0.2-10.9.0.4"]]);
  });
});
