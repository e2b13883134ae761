import assert from "node:assert/strict";
import { pool, subnet } from "../../testing/admission-fixtures.js";
import { parseCidr } from "../net/cidr.js";
import { IntervalSet } from "../net/interval-set.js";
import {
  checkSubnetAgainstPools,
  checkSubnetCidrAgainstSubnets,
  type SubnetIdentity,
} from "./subnet-peer-rules.js";

const parsed = parseCidr("fd00::/64");
if (!parsed.ok) throw new Error("bad fixture");
const identity: SubnetIdentity = {
  name: "s1",
  family: 6,
  cidr: parsed.value,
  subnetText: "fd00::/64",
  ips: ["fd00::1-fd00::ff"],
};

describe("subnet-peer-rules", () => {
  it("refuses overlapping and identical subnets of the family, and spots a taken name", () => {
    const check = checkSubnetCidrAgainstSubnets(identity, [
      subnet("a", { subnet: "fd00::/64" }),
      subnet("b", { subnet: "fd00::/48" }),
      subnet("c", { subnet: "fd01::/64" }),
      subnet("d", { subnet: "10.0.0.0/8" }),
    ]);
    assert.equal(check.nameTaken, false);
    assert.deepEqual(
      check.errors.map(e => e.detail),
      [
        "overlap with Subnet a which 'spec.subnet' is fd00::/64",
        "overlap with Subnet b which 'spec.subnet' is fd00::/48",
      ],
    );
    assert.equal(
      checkSubnetCidrAgainstSubnets(identity, [subnet("s1", { subnet: "fd09::/64" })]).nameTaken,
      true,
    );
  });

  it("checks pools: overlap refused, identical adopted only if covered", () => {
    const usable = IntervalSet.fromRanges(["fd00::1-fd00::ff"], 6);
    assert.ok(usable.ok);
    const pools = [
      pool("inside", { subnet: "fd00::/64", ips: ["fd00::1-fd00::10"] }),
      pool("outside", { subnet: "fd00::/64", ips: ["fd00::f0-fd00::100"] }),
      pool("narrow", { subnet: "fd00::/80" }),
      pool("elsewhere", { subnet: "fd01::/64", ips: ["fd01::1"] }),
    ];
    assert.deepEqual(
      checkSubnetAgainstPools(identity, usable.value, pools).map(e => [e.code, e.detail]),
      [
        [
          "subnet_cannot_control_pool",
          "SpiderIPPool 'outside' owns some IP addresses that SpiderSubnet 's1' can't control",
        ],
        [
          "cidr_overlaps_pool",
          "overlap with SpiderIPPool 'narrow' resource 'spec.subnet' fd00::/80",
        ],
      ],
    );
    assert.deepEqual(
      checkSubnetAgainstPools(identity, undefined, pools).map(e => e.code),
      ["cidr_overlaps_pool"],
    );
  });
});
