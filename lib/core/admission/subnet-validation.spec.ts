import assert from "node:assert/strict";
import type { PoolIPPreAllocations } from "../../schemas/index.js";
import type { IPPoolObject, SubnetObject } from "./admission-objects.js";
import {
  ALL_ON,
  assertAllowed,
  codesOf,
  invalid,
  messageOf,
  pool,
  subnet,
} from "../../testing/admission-fixtures.js";
import {
  validateSubnetCreate,
  validateSubnetDelete,
  validateSubnetUpdate,
} from "./subnet-validation.js";

const HEAD = 'SpiderSubnet.spiderpool.spidernet.io "s1" is invalid: ';

function create(
  s: SubnetObject,
  peerSubnets: SubnetObject[] = [],
  pools: IPPoolObject[] = [],
  config = ALL_ON,
) {
  return validateSubnetCreate({ subnet: s, peerSubnets, pools, config });
}

describe("subnet-validation", () => {
  describe("CREATE: one problem, Spiderpool's exact message", () => {
    const cases: [string, SubnetObject, SubnetObject[], IPPoolObject[], string][] = [
      [
        "ipVersion missing",
        subnet("s1", { subnet: "nonsense", ipVersion: undefined }),
        [],
        [],
        `spec.ipVersion: Invalid value: "null": is not generated correctly, 'spec.subnet' may be invalid`,
      ],
      [
        "ipVersion unsupported",
        subnet("s1", { subnet: "10.6.0.0/16", ipVersion: 7 as unknown as 4 }),
        [],
        [],
        `spec.ipVersion: Unsupported value: 7: supported values: "4", "6"`,
      ],
      [
        "invalid CIDR",
        subnet("s1", { subnet: "fd00::/129" }),
        [],
        [],
        `spec.subnet: Invalid value: "fd00::/129": invalid CIDR format in IPv6 'fd00::/129'`,
      ],
      [
        "unformatted CIDR",
        subnet("s1", { subnet: "fd00::1/64" }),
        [],
        [],
        `spec.subnet: Invalid value: "fd00::1/64": unformatted subnet fd00::1/64, please change it to fd00::/64`,
      ],
      [
        "identical subnet",
        subnet("s1", { subnet: "10.6.0.0/16" }),
        [subnet("s0", { subnet: "10.6.0.0/16" })],
        [],
        `spec.subnet: Invalid value: "10.6.0.0/16": overlap with Subnet s0 which 'spec.subnet' is 10.6.0.0/16`,
      ],
      [
        "overlapping subnet",
        subnet("s1", { subnet: "10.6.0.0/16" }),
        [subnet("s0", { subnet: "10.0.0.0/8" })],
        [],
        `spec.subnet: Invalid value: "10.6.0.0/16": overlap with Subnet s0 which 'spec.subnet' is 10.0.0.0/8`,
      ],
      [
        "pool with a different but overlapping subnet",
        subnet("s1", { subnet: "10.6.0.0/16" }),
        [],
        [pool("p0", { subnet: "10.6.1.0/24" })],
        `spec.subnet: Invalid value: "10.6.0.0/16": overlap with SpiderIPPool 'p0' resource 'spec.subnet' 10.6.1.0/24`,
      ],
      [
        "pool of the same subnet using addresses the subnet does not offer",
        subnet("s1", { subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.10"] }),
        [],
        [pool("p0", { subnet: "10.6.0.0/16", ips: ["10.6.0.5-10.6.0.15"] })],
        `spec.ips: Invalid value: ["10.6.0.1-10.6.0.10"]: SpiderIPPool 'p0' owns some IP addresses that SpiderSubnet 's1' can't control`,
      ],
      [
        "ips entry outside the subnet",
        subnet("s1", { subnet: "10.6.0.0/16", ips: ["10.6.0.1", "10.7.0.1"] }),
        [],
        [],
        `spec.ips[1]: Invalid value: "10.7.0.1": not pertains to the 'spec.subnet' 10.6.0.0/16 of IPPool`,
      ],
      [
        "excludeIPs entry outside the subnet",
        subnet("s1", { subnet: "10.6.0.0/16", excludeIPs: ["10.6.255.250-10.7.0.5"] }),
        [],
        [],
        `spec.excludeIPs[0]: Invalid value: "10.6.255.250-10.7.0.5": not pertains to the 'spec.subnet' 10.6.0.0/16 of IPPool`,
      ],
      [
        "malformed entry",
        subnet("s1", { subnet: "10.6.0.0/16", ips: ["10.6.0.1/24"] }),
        [],
        [],
        `spec.ips[0]: Invalid value: "10.6.0.1/24": invalid IP range format in IPv4 '10.6.0.1/24'`,
      ],
      [
        "reversed entry (ours)",
        subnet("s1", { subnet: "fd00::/64", ips: ["fd00::9-fd00::1"] }),
        [],
        [],
        `spec.ips[0]: Invalid value: "fd00::9-fd00::1": invalid IP range: the start fd00::9 is greater than the end fd00::1, write it as fd00::1-fd00::9`,
      ],
      [
        "entry with whitespace (ours)",
        subnet("s1", { subnet: "10.6.0.0/16", ips: [" 10.6.0.1"] }),
        [],
        [],
        `spec.ips[0]: Invalid value: " 10.6.0.1": invalid IP range: whitespace is not allowed`,
      ],
      [
        "gateway allocatable",
        subnet("s1", { subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.9"], gateway: "10.6.0.1" }),
        [],
        [],
        `spec.ips[0]: Invalid value: "10.6.0.1-10.6.0.9": conflicts with 'spec.gateway' 10.6.0.1, add the gateway IP address to 'spec.excludeIPs' or remove it from 'spec.ips'`,
      ],
      [
        "route gw outside",
        subnet("s1", { subnet: "10.6.0.0/16", routes: [{ dst: "10.9.0.0/16", gw: "10.8.0.1" }] }),
        [],
        [],
        `spec.routes[0].gw: Invalid value: "10.8.0.1": not pertains to the 'spec.subnet' 10.6.0.0/16 of IPPool`,
      ],
    ];
    for (const [name, s, subnets, pools, expected] of cases) {
      it(name, () => assert.equal(messageOf(create(s, subnets, pools)), HEAD + expected));
    }

    it("a disabled family", () => {
      assert.equal(
        messageOf(
          create(subnet("s1", { subnet: "fd00::/64" }), [], [], { ...ALL_ON, enableIPv6: false }),
        ),
        `${HEAD}spec.ipVersion: Forbidden: IPv6 is disabled`,
      );
    });

    it("a name taken by a subnet of the same family is 409 AlreadyExists", () => {
      const verdict = create(subnet("s1", { subnet: "10.6.0.0/16" }), [
        subnet("s1", { subnet: "10.9.0.0/16" }),
      ]);
      assert.equal(verdict.allowed, false);
      assert.equal(!verdict.allowed && verdict.status, 409);
      assert.equal(
        !verdict.allowed && verdict.message,
        'SpiderSubnet.spiderpool.spidernet.io "s1" already exists',
      );
    });
  });

  describe("CREATE: accepted subnets", () => {
    it("adopts pools of the same subnet whose addresses it offers, edge prefixes included", () => {
      const pools = [
        pool("p0", { subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.5"] }),
        pool("p6", { subnet: "fd00::/64", ips: ["fd00::1"] }),
        pool("far", { subnet: "10.8.0.0/16" }),
      ];
      assertAllowed(
        create(
          subnet("s1", {
            subnet: "10.6.0.0/16",
            ips: ["10.6.0.1-10.6.0.10"],
            gateway: "10.6.0.254",
          }),
          [],
          pools,
        ),
      );
      assertAllowed(create(subnet("s1", { subnet: "10.6.0.0/31", ips: ["10.6.0.0-10.6.0.1"] })));
      assertAllowed(create(subnet("s1", { subnet: "10.6.0.9/32", ips: ["10.6.0.9"] })));
      assertAllowed(create(subnet("s1", { subnet: "fd00::4/127", ips: ["fd00::4-fd00::5"] })));
      assertAllowed(create(subnet("s1", { subnet: "fd00::4/128", ips: ["fd00::4"] })));
    });

    it("does not compare with subnets of the other family", () => {
      assertAllowed(
        create(subnet("s1", { subnet: "10.6.0.0/16" }), [subnet("s6", { subnet: "::/0" })]),
      );
    });
  });

  it("CREATE reports every problem", () => {
    const denial = invalid(
      create(
        subnet("s1", {
          subnet: "10.6.0.0/16",
          ips: ["10.7.0.1", "x"],
          excludeIPs: ["10.6.0.9-10.6.0.1"],
          gateway: "1.1.1.1",
        }),
        [subnet("s0", { subnet: "10.6.0.0/24" })],
        [pool("p0", { subnet: "10.6.0.0/20" })],
      ),
    );
    assert.deepEqual(
      denial.errors.map(e => [e.code, e.path]),
      [
        ["cidr_overlaps_subnet", "spec.subnet"],
        ["cidr_overlaps_pool", "spec.subnet"],
        ["outside_subnet", "spec.ips[0]"],
        ["invalid_range_format", "spec.ips[1]"],
        ["range_reversed", "spec.excludeIPs[0]"],
        ["gateway_outside_subnet", "spec.gateway"],
      ],
    );
  });

  describe("UPDATE", () => {
    const old = subnet(
      "s1",
      { subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.100"] },
      { finalizers: ["spiderpool.spidernet.io"] },
    );
    const update = (
      s: SubnetObject,
      controlledIPPools: PoolIPPreAllocations = { p0: { ips: ["10.6.0.5-10.6.0.6"] } },
    ) => validateSubnetUpdate({ oldSubnet: old, subnet: s, controlledIPPools, config: ALL_ON });

    it("refuses an update of a terminating subnet with the product's typo", () => {
      const terminating = {
        ...old,
        metadata: { ...old.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" },
      };
      const verdict = update(terminating);
      assert.equal(!verdict.allowed && verdict.status, 403);
      assert.equal(
        !verdict.allowed && verdict.message,
        "forbidden: cannot update a terminaing Subnet",
      );
      assertAllowed(
        update({ ...terminating, metadata: { ...terminating.metadata, finalizers: ["other"] } }),
      );
    });

    it("keeps ipVersion and subnet immutable", () => {
      assert.equal(
        messageOf(update(subnet("s1", { subnet: "10.6.0.0/24", ips: ["10.6.0.1-10.6.0.100"] }))),
        `${HEAD}spec.subnet: Forbidden: is not changeable`,
      );
      assert.deepEqual(codesOf(update(subnet("s1", { subnet: "fd00::/64" }), {})), [
        "ip_version_changed",
        "subnet_changed",
      ]);
    });

    it("protects ranges held by controlled pools", () => {
      assertAllowed(
        update(
          subnet("s1", { subnet: "10.6.0.0/16", ips: ["10.6.0.5-10.6.0.6"], gateway: "10.6.0.1" }),
        ),
      );
      assert.equal(
        messageOf(
          update(
            subnet("s1", {
              subnet: "10.6.0.0/16",
              ips: ["10.6.0.1-10.6.0.100"],
              excludeIPs: ["10.6.0.4-10.6.0.6"],
            }),
          ),
        ),
        `${HEAD}spec.ips: Forbidden: remove some IP ranges [10.6.0.5-10.6.0.6] that is being used by IPPool p0, total IP addresses of an Subnet are jointly determined by 'spec.ips' and 'spec.excludeIPs'`,
      );
    });

    it("reports every pool that would lose addresses and unreadable records", () => {
      const controlled = {
        p0: { ips: ["10.6.0.1"] },
        p1: { ips: ["10.6.0.200", "10.6.0.50"] },
        p2: { ips: ["garbage"] },
      };
      const denial = invalid(
        update(subnet("s1", { subnet: "10.6.0.0/16", ips: ["10.6.0.2-10.6.0.100"] }), controlled),
      );
      assert.deepEqual(
        denial.errors.map(e => [e.code, e.path, e.value]),
        [
          ["ranges_in_use", "spec.ips", ["10.6.0.1"]],
          ["ranges_in_use", "spec.ips", ["10.6.0.200"]],
          ["unreadable_ranges", "status.controlledIPPools", undefined],
        ],
      );
      assert.equal(
        formatLast(denial.message),
        "status.controlledIPPools: Internal error: failed to parse the pre-allocation of the IPPool p2: invalid IP range format in IPv4 'garbage']",
      );
    });
  });

  describe("DELETE", () => {
    const busy = subnet("s1", { subnet: "10.6.0.0/16" }, {}, { allocatedIPCount: 2 });
    it("refuses a subnet with allocations when the delete webhook is on", () => {
      const verdict = validateSubnetDelete({ subnet: busy, config: ALL_ON });
      assert.equal(!verdict.allowed && verdict.status, 403);
      assert.equal(
        !verdict.allowed && verdict.message,
        'spidersubnets.spiderpool.spidernet.io "s1" is forbidden: cannot delete an Subnet with allocated IPs(2)',
      );
    });
    it("allows otherwise", () => {
      assertAllowed(
        validateSubnetDelete({
          subnet: busy,
          config: { ...ALL_ON, enableValidatingResourcesDeletedWebhook: false },
        }),
      );
      assertAllowed(
        validateSubnetDelete({ subnet: subnet("s1", { subnet: "10.6.0.0/16" }), config: ALL_ON }),
      );
    });
  });
});

function formatLast(message: string): string {
  return message.slice(message.lastIndexOf("status.controlledIPPools"));
}
