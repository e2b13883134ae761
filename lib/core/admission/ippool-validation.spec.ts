import assert from "node:assert/strict";
import {
  ControlledIPPoolsJsonSchema,
  SpiderIPPoolSchema,
  SpiderSubnetSchema,
} from "../../schemas/index.js";
import type { IPPoolObject, OwnerSubnet } from "./admission-objects.js";
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
  validateIPPoolCreate,
  validateIPPoolDelete,
  validateIPPoolUpdate,
} from "./ippool-validation.js";

const HEAD = 'SpiderIPPool.spiderpool.spidernet.io "p1" is invalid: ';
const JOINTLY =
  "total IP addresses of an IPPool are jointly determined by 'spec.ips' and 'spec.excludeIPs'";

function create(
  p: IPPoolObject,
  peers: IPPoolObject[] = [],
  ownerSubnet?: OwnerSubnet,
  config = ALL_ON,
) {
  return validateIPPoolCreate({ pool: p, peers, config, ...(ownerSubnet ? { ownerSubnet } : {}) });
}

describe("ippool-validation", () => {
  describe("CREATE: one problem, Spiderpool's exact message", () => {
    const peer = pool("p0", { subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.10"] });
    const cases: [string, IPPoolObject, IPPoolObject[], string][] = [
      [
        "ipVersion missing",
        pool("p1", { subnet: "10.6.0.0/33", ipVersion: undefined }),
        [],
        `spec.ipVersion: Invalid value: "null": is not generated correctly, 'spec.subnet' may be invalid`,
      ],
      [
        "ipVersion unsupported",
        pool("p1", { subnet: "10.6.0.0/16", ipVersion: 5 as unknown as 4 }),
        [],
        `spec.ipVersion: Unsupported value: 5: supported values: "4", "6"`,
      ],
      [
        "subnet not a CIDR of the family",
        pool("p1", { subnet: "fd00::/64", ipVersion: 4 }),
        [],
        `spec.subnet: Invalid value: "fd00::/64": invalid CIDR format in IPv4 'fd00::/64'`,
      ],
      [
        "subnet not canonical",
        pool("p1", { subnet: "10.6.0.1/16" }),
        [],
        `spec.subnet: Invalid value: "10.6.0.1/16": unformatted subnet 10.6.0.1/16, please change it to 10.6.0.0/16`,
      ],
      [
        "IPv6 subnet not canonical",
        pool("p1", { subnet: "FD00::/64" }),
        [],
        `spec.subnet: Invalid value: "FD00::/64": unformatted subnet FD00::/64, please change it to fd00::/64`,
      ],
      [
        "different but overlapping subnet of another pool",
        pool("p1", { subnet: "10.6.1.0/24" }),
        [peer],
        `spec.subnet: Invalid value: "10.6.1.0/24": overlap with IPPool p0 which 'spec.subnet' is 10.6.0.0/16`,
      ],
      [
        "entry outside the subnet",
        pool("p1", { subnet: "10.6.0.0/16", ips: ["10.7.0.1"] }),
        [],
        `spec.subnet: Invalid value: "10.6.0.0/16": not match base subnet: 10.7.0.1`,
      ],
      [
        "entry not an address",
        pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.300"] }),
        [],
        `spec.subnet: Invalid value: "10.6.0.0/16": invalid IP address: 10.6.0.300`,
      ],
      [
        "entry with two dashes",
        pool("p1", { subnet: "10.6.0.0/16", excludeIPs: ["10.6.0.1-10.6.0.2-10.6.0.3"] }),
        [],
        `spec.subnet: Invalid value: "10.6.0.0/16": invalid range: 10.6.0.1-10.6.0.2-10.6.0.3`,
      ],
      [
        "entry in CIDR notation",
        pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.0/24"] }),
        [],
        `spec.subnet: Invalid value: "10.6.0.0/16": invalid range: 10.6.0.0/24`,
      ],
      [
        "entry covered by an earlier one",
        pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.10", "10.6.0.2-10.6.0.3"] }),
        [],
        `spec.subnet: Invalid value: "10.6.0.0/16": range 10.6.0.2-10.6.0.3 is already covered by 10.6.0.1-10.6.0.10`,
      ],
      [
        "entry covering an earlier one",
        pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.2-10.6.0.3", "10.6.0.1-10.6.0.10"] }),
        [],
        `spec.subnet: Invalid value: "10.6.0.0/16": range 10.6.0.1-10.6.0.10 covers 10.6.0.2-10.6.0.3`,
      ],
      [
        "entry overlapping an earlier one",
        pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.5", "10.6.0.4-10.6.0.8"] }),
        [],
        `spec.subnet: Invalid value: "10.6.0.0/16": range 10.6.0.4-10.6.0.8 overlaps with 10.6.0.1-10.6.0.5`,
      ],
      [
        "usable set shared with a pool of the same CIDR",
        pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.5-10.6.0.20"] }),
        [peer],
        `spec.ips: Forbidden: overlap with IPPool p0 in IP ranges [10.6.0.1-10.6.0.10], ${JOINTLY}`,
      ],
      [
        "gateway outside the subnet",
        pool("p1", { subnet: "10.6.0.0/16", gateway: "10.7.0.1" }),
        [],
        `spec.gateway: Invalid value: "10.7.0.1": not pertains to the 'spec.subnet' 10.6.0.0/16 of IPPool`,
      ],
      [
        "gateway not an address of the family",
        pool("p1", { subnet: "10.6.0.0/16", gateway: "fd00::1" }),
        [],
        `spec.gateway: Invalid value: "fd00::1": invalid IP format in IPv4 'fd00::1'`,
      ],
      [
        "gateway allocatable",
        pool("p1", { subnet: "10.6.0.0/16", gateway: "10.6.0.1", ips: ["10.6.0.1-10.6.0.10"] }),
        [],
        `spec.ips[0]: Invalid value: "10.6.0.1-10.6.0.10": conflicts with 'spec.gateway' 10.6.0.1, add the gateway IP address to 'spec.excludeIPs' or remove it from 'spec.ips'`,
      ],
      [
        "default route",
        pool("p1", { subnet: "10.6.0.0/16", routes: [{ dst: "0.0.0.0/0", gw: "10.6.0.1" }] }),
        [],
        `spec.routes[0].dst: Invalid value: "0.0.0.0/0": please specify 'spec.gateway' to configure the default route`,
      ],
      [
        "duplicate route",
        pool("p1", {
          subnet: "10.6.0.0/16",
          routes: [
            { dst: "10.7.0.0/16", gw: "10.6.0.1" },
            { dst: "10.7.0.0/16", gw: "10.6.0.2" },
          ],
        }),
        [],
        `spec.routes[1].dst: Invalid value: "10.7.0.0/16": duplicate route with the same dst`,
      ],
      [
        "route dst not a CIDR of the family",
        pool("p1", { subnet: "10.6.0.0/16", routes: [{ dst: "fd00::/64", gw: "10.6.0.1" }] }),
        [],
        `spec.routes[0].dst: Invalid value: "fd00::/64": invalid CIDR format in IPv4 'fd00::/64'`,
      ],
      [
        "route gw outside the subnet",
        pool("p1", { subnet: "10.6.0.0/16", routes: [{ dst: "10.7.0.0/16", gw: "10.7.0.1" }] }),
        [],
        `spec.routes[0].gw: Invalid value: "10.7.0.1": not pertains to the 'spec.subnet' 10.6.0.0/16 of IPPool`,
      ],
      [
        "empty podAffinity",
        pool("p1", { subnet: "10.6.0.0/16", podAffinity: {} }),
        [],
        "spec.podAffinity: Invalid value: {}: empty podAffinity is invalid for SpiderIPPool",
      ],
      [
        "extra matchLabels on an auto-created pool",
        pool(
          "p1",
          {
            subnet: "10.6.0.0/16",
            podAffinity: { matchLabels: { "ipam.spidernet.io/app-name": "web", team: "a" } },
          },
          { labels: { "ipam.spidernet.io/owner-application-name": "web" } },
        ),
        [],
        `spec.podAffinity.matchLabels: Invalid value: "team": it's invalid to add additional podAffinity matchLabels for auto-created SpiderIPPool`,
      ],
      [
        "matchExpressions on an auto-created pool",
        pool(
          "p1",
          {
            subnet: "10.6.0.0/16",
            podAffinity: { matchExpressions: [{ key: "a", operator: "Exists" }] },
          },
          { labels: { "ipam.spidernet.io/owner-application-name": "web" } },
        ),
        [],
        `spec.podAffinity.matchExpressions: Invalid value: [{"key":"a","operator":"Exists"}]: it's invalid to add additional podAffinity matchExpressions for auto-created SpiderIPPool`,
      ],
      [
        "reversed range (ours; Spiderpool accepts it)",
        pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.20-10.6.0.10"] }),
        [],
        `spec.ips[0]: Invalid value: "10.6.0.20-10.6.0.10": invalid IP range: the start 10.6.0.20 is greater than the end 10.6.0.10, write it as 10.6.0.10-10.6.0.20`,
      ],
      [
        "range with whitespace (ours)",
        pool("p1", { subnet: "10.6.0.0/16", excludeIPs: ["10.6.0.1 - 10.6.0.5"] }),
        [],
        `spec.excludeIPs[0]: Invalid value: "10.6.0.1 - 10.6.0.5": invalid IP range: whitespace is not allowed`,
      ],
    ];
    for (const [name, p, peers, expected] of cases) {
      it(name, () => assert.equal(messageOf(create(p, peers)), HEAD + expected));
    }

    it("a disabled family", () => {
      const v4off = { ...ALL_ON, enableIPv4: false };
      const v6off = { ...ALL_ON, enableIPv6: false };
      assert.equal(
        messageOf(create(pool("p1", { subnet: "10.6.0.0/16" }), [], undefined, v4off)),
        `${HEAD}spec.ipVersion: Forbidden: IPv4 is disabled`,
      );
      assert.equal(
        messageOf(create(pool("p1", { subnet: "fd00::/64" }), [], undefined, v6off)),
        `${HEAD}spec.ipVersion: Forbidden: IPv6 is disabled`,
      );
    });

    it("a name taken by a pool of the same family is 409 AlreadyExists", () => {
      const verdict = create(pool("p1", { subnet: "10.6.0.0/16" }), [
        pool("p1", { subnet: "10.8.0.0/16" }),
      ]);
      assert.deepEqual(verdict, {
        allowed: false,
        reason: "AlreadyExists",
        status: 409,
        code: "already_exists",
        message: 'SpiderIPPool.spiderpool.spidernet.io "p1" already exists',
      });
    });

    it("a name taken in the other family is left to the API server", () => {
      assertAllowed(
        create(pool("p1", { subnet: "10.6.0.0/16" }), [pool("p1", { subnet: "fd00::/64" })]),
      );
    });
  });

  describe("CREATE: accepted pools, IPv4 and IPv6 edge prefixes", () => {
    const cases: [string, IPPoolObject][] = [
      ["/31 whole", pool("p1", { subnet: "10.6.0.0/31", ips: ["10.6.0.0-10.6.0.1"] })],
      ["/32 single", pool("p1", { subnet: "10.6.0.7/32", ips: ["10.6.0.7"] })],
      ["/127 whole", pool("p1", { subnet: "fd00::2/127", ips: ["fd00::2-fd00::3"] })],
      ["/128 single", pool("p1", { subnet: "fd00::3/128", ips: ["fd00::3"] })],
      [
        "excluded gateway inside ips, routes, selector",
        pool("p1", {
          subnet: "fd00:6::/64",
          ips: ["fd00:6::1-fd00:6::ff"],
          excludeIPs: ["fd00:6::1"],
          gateway: "fd00:6::1",
          routes: [{ dst: "fd00:7::/64", gw: "fd00:6::1" }],
          podAffinity: { matchLabels: { app: "web" } },
        }),
      ],
      [
        "unsorted disjoint entries",
        pool("p1", { subnet: "10.6.0.0/24", ips: ["10.6.0.9", "10.6.0.1-10.6.0.4", "10.6.0.6"] }),
      ],
      ["no ips at all", pool("p1", { subnet: "10.6.0.0/24" })],
      [
        "auto-created pool with only the app labels",
        pool(
          "p1",
          {
            subnet: "10.6.0.0/24",
            podAffinity: { matchLabels: { "ipam.spidernet.io/app-kind": "Deployment" } },
          },
          { labels: { "ipam.spidernet.io/owner-application-name": "web" } },
        ),
      ],
    ];
    for (const [name, p] of cases) it(name, () => assertAllowed(create(p)));

    it("rejects entries outside /32 and /128", () => {
      assert.deepEqual(codesOf(create(pool("p1", { subnet: "10.6.0.7/32", ips: ["10.6.0.8"] }))), [
        "outside_subnet",
      ]);
      assert.deepEqual(
        codesOf(create(pool("p1", { subnet: "fd00::3/128", ips: ["fd00::2-fd00::3"] }))),
        ["outside_subnet"],
      );
    });

    it("flags a /32 gateway that is the only address", () => {
      assert.deepEqual(
        codesOf(
          create(pool("p1", { subnet: "10.6.0.7/32", ips: ["10.6.0.7"], gateway: "10.6.0.7" })),
        ),
        ["gateway_in_ips"],
      );
    });

    it("allows identical subnets and honours excludeIPs between pools", () => {
      const peer = pool("p0", {
        subnet: "10.6.0.0/16",
        ips: ["10.6.0.1-10.6.0.20"],
        excludeIPs: ["10.6.0.11-10.6.0.20"],
      });
      assertAllowed(
        create(pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.11-10.6.0.20"] }), [peer]),
      );
      assertAllowed(
        create(
          pool("p1", {
            subnet: "10.6.0.0/16",
            ips: ["10.6.0.1-10.6.0.20"],
            excludeIPs: ["10.6.0.1-10.6.0.10"],
          }),
          [peer],
        ),
      );
    });

    it("ignores pools of other families and other, disjoint subnets", () => {
      const peers = [
        pool("a", { subnet: "fd00::/8", ips: ["fd00::1"] }),
        pool("b", { subnet: "10.7.0.0/16", ips: ["10.7.0.1"] }),
      ];
      assertAllowed(create(pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.1"] }), peers));
    });
  });

  describe("CREATE: every problem is reported", () => {
    it("lists all bad entries, overlaps, gateway, routes and selector problems", () => {
      const p = pool("p1", {
        subnet: "10.6.0.0/24",
        ips: [
          "10.6.0.1-10.6.0.10",
          "10.7.0.1",
          "10.6.0.5",
          "10.6.0.30-10.6.0.20",
          "10.6.0.1-10.6.0.10",
        ],
        excludeIPs: ["bad"],
        gateway: "10.6.1.1",
        routes: [
          { dst: "0.0.0.0/0", gw: "10.6.0.1" },
          { dst: "10.8.0.0/16", gw: "10.9.0.1" },
        ],
        podAffinity: { matchExpressions: [{ key: "a", operator: "In" }] },
      });
      const denial = invalid(create(p));
      assert.deepEqual(
        denial.errors.map(e => [e.code, e.path]),
        [
          ["outside_subnet", "spec.subnet"],
          ["range_reversed", "spec.ips[3]"],
          ["range_overlap", "spec.subnet"],
          ["range_overlap", "spec.subnet"],
          ["invalid_address", "spec.subnet"],
          ["gateway_outside_subnet", "spec.gateway"],
          ["default_route", "spec.routes[0].dst"],
          ["route_gateway_outside_subnet", "spec.routes[1].gw"],
          ["selector_values_required", "spec.podAffinity.matchExpressions[0].values"],
        ],
      );
      assert.equal(
        denial.message,
        HEAD +
          "[" +
          [
            `spec.subnet: Invalid value: "10.6.0.0/24": not match base subnet: 10.7.0.1`,
            `spec.ips[3]: Invalid value: "10.6.0.30-10.6.0.20": invalid IP range: the start 10.6.0.30 is greater than the end 10.6.0.20, write it as 10.6.0.20-10.6.0.30`,
            `spec.subnet: Invalid value: "10.6.0.0/24": range 10.6.0.5 is already covered by 10.6.0.1-10.6.0.10`,
            `spec.subnet: Invalid value: "10.6.0.0/24": range 10.6.0.1-10.6.0.10 is already covered by 10.6.0.1-10.6.0.10`,
            `spec.subnet: Invalid value: "10.6.0.0/24": invalid IP address: bad`,
            `spec.gateway: Invalid value: "10.6.1.1": not pertains to the 'spec.subnet' 10.6.0.0/24 of IPPool`,
            `spec.routes[0].dst: Invalid value: "0.0.0.0/0": please specify 'spec.gateway' to configure the default route`,
            `spec.routes[1].gw: Invalid value: "10.9.0.1": not pertains to the 'spec.subnet' 10.6.0.0/24 of IPPool`,
            "spec.podAffinity.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
          ].join(", ") +
          "]",
      );
    });

    it("reports every overlapping peer and every subnet overlap", () => {
      const peers = [
        pool("a", { subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.3", "10.6.0.9"] }),
        pool("b", { subnet: "10.6.0.0/16", ips: ["10.6.0.5"] }),
        pool("c", { subnet: "10.6.0.0/16", ips: ["10.6.0.100"] }),
      ];
      const p = pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.2-10.6.0.9"] });
      const denial = invalid(create(p, peers));
      assert.deepEqual(
        denial.errors.map(e => e.detail),
        [
          `overlap with IPPool a in IP ranges [10.6.0.1-10.6.0.3 10.6.0.9], ${JOINTLY}`,
          `overlap with IPPool b in IP ranges [10.6.0.5], ${JOINTLY}`,
        ],
      );
      const nested = [pool("x", { subnet: "10.0.0.0/8" }), pool("y", { subnet: "10.6.0.0/24" })];
      assert.deepEqual(codesOf(create(pool("p1", { subnet: "10.6.0.0/16" }), nested)), [
        "cidr_overlaps_pool",
        "cidr_overlaps_pool",
      ]);
    });

    it("finds same-CIDR peers by label even without their subnet matching textually, and skips unreadable peers", () => {
      const labelled = pool(
        "a",
        { subnet: "10.6.0.0/16", ips: ["10.6.0.1"] },
        { labels: { "ipam.spidernet.io/ippool-cidr": "10-6-0-0-16" } },
      );
      const broken = pool("b", { subnet: "not-a-cidr", ips: ["10.6.0.1"] });
      assert.deepEqual(
        codesOf(
          create(pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.1"] }), [labelled, broken]),
        ),
        ["pool_ranges_overlap"],
      );
    });

    it("reads a legacy peer with a reversed or clashing entry leniently", () => {
      const legacy = pool("old", { subnet: "10.6.0.0/16", ips: ["10.6.0.9-10.6.0.1", "10.6.0.5"] });
      const denial = invalid(
        create(pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.5"] }), [legacy]),
      );
      assert.equal(
        denial.errors[0]?.detail,
        `overlap with IPPool old in IP ranges [10.6.0.1-10.6.0.9], ${JOINTLY}`,
      );
    });
  });

  describe("CREATE: the controlling SpiderSubnet", () => {
    const ref = {
      apiVersion: "spiderpool.spidernet.io/v2beta1",
      kind: "SpiderSubnet",
      name: "s1",
      uid: "u1",
      controller: true,
    };
    const owner: OwnerSubnet = {
      subnet: subnet("s1", {
        subnet: "10.6.0.0/16",
        ips: ["10.6.0.1-10.6.0.100"],
        excludeIPs: ["10.6.0.50"],
      }),
      controlledIPPools: { p1: { ips: ["10.6.0.1-10.6.0.10"] } },
    };
    const owned = (ips: string[], labels: Record<string, string> = {}) =>
      pool("p1", { subnet: "10.6.0.0/16", ips }, { ownerReferences: [ref], labels });

    it("accepts a pool inside the subnet's usable set", () =>
      assertAllowed(create(owned(["10.6.0.1-10.6.0.40"]), [], owner)));

    it("rejects addresses the subnet does not offer", () => {
      assert.equal(
        messageOf(create(owned(["10.6.0.45-10.6.0.55", "10.6.0.101"]), [], owner)),
        `${HEAD}spec.ips: Forbidden: add some IP ranges [10.6.0.50 10.6.0.101] that are not contained in controller Subnet s1, ${JOINTLY}`,
      );
    });

    it("requires an auto-created pool to equal its record", () => {
      const auto = { "ipam.spidernet.io/owner-application-name": "web" };
      assertAllowed(create(owned(["10.6.0.1-10.6.0.5", "10.6.0.6-10.6.0.10"], auto), [], owner));
      assert.equal(
        messageOf(create(owned(["10.6.0.1-10.6.0.11"], auto), [], owner)),
        `${HEAD}spec.ips: Forbidden: it's illegal to update AutoPool.Spec.IPs that are different from corresponding SpiderSubnet.Status.ControlledIPPools`,
      );
    });

    it("is an internal error when the caller could not find the subnet", () => {
      assert.equal(
        messageOf(create(owned(["10.6.0.1"]), [])),
        `${HEAD}spec.subnet: Internal error: failed to get controller Subnet s1`,
      );
    });

    it("is skipped with the subnet feature off, or for an empty usable set", () => {
      assertAllowed(
        create(owned(["10.6.0.200"]), [], owner, { ...ALL_ON, enableSpiderSubnet: false }),
      );
      assertAllowed(
        create(
          pool(
            "p1",
            { subnet: "10.6.0.0/16", ips: ["10.6.0.200"], excludeIPs: ["10.6.0.200"] },
            { ownerReferences: [ref] },
          ),
          [],
          owner,
        ),
      );
    });
  });

  describe("UPDATE", () => {
    const old = pool(
      "p1",
      { subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.10"] },
      { finalizers: ["spiderpool.spidernet.io"] },
    );
    const update = (
      p: IPPoolObject,
      inUse = [{ address: "10.6.0.5", pod: "default/web-0" }],
      peers: IPPoolObject[] = [],
    ) => validateIPPoolUpdate({ oldPool: old, pool: p, peers, inUse, config: ALL_ON });

    it("refuses an update of a terminating pool that still has the finalizer", () => {
      const terminating = {
        ...old,
        metadata: { ...old.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" },
      };
      assert.deepEqual(update(terminating), {
        allowed: false,
        reason: "Forbidden",
        status: 403,
        code: "terminating",
        message: "forbidden: cannot update a terminating IPPool",
      });
      assertAllowed(
        update({ ...terminating, metadata: { ...terminating.metadata, finalizers: [] } }),
      );
    });

    it("lets a terminating pool gain the migration import mark, and nothing else with it", () => {
      const terminating = {
        ...old,
        metadata: { ...old.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" },
      };
      const marked = (extra: object = {}, spec = terminating.spec) => ({
        ...terminating,
        spec,
        metadata: {
          ...terminating.metadata,
          annotations: { "ipam.pepr-spiderpool.io/allocations-imported": "3", ...extra },
        },
      });
      const v = (p: IPPoolObject) =>
        validateIPPoolUpdate({
          oldPool: terminating,
          pool: p,
          peers: [],
          inUse: [],
          config: ALL_ON,
        });
      assertAllowed(v(marked()));
      assert.equal(v(marked({ other: "x" })).allowed, false);
      assert.equal(
        v(marked({}, { ...terminating.spec, ips: ["10.6.0.1-10.6.0.11"] })).allowed,
        false,
      );
      assert.equal(
        v({ ...terminating, metadata: { ...terminating.metadata, labels: { a: "b" } } }).allowed,
        false,
      );
    });

    it("keeps ipVersion and subnet immutable, reporting both", () => {
      const moved = pool("p1", { subnet: "fd00::/64", ipVersion: 6 });
      assert.deepEqual(codesOf(update(moved, [])), ["ip_version_changed", "subnet_changed"]);
      assert.equal(
        messageOf(update(pool("p1", { subnet: "10.7.0.0/16" }), [])),
        `${HEAD}spec.subnet: Forbidden: is not changeable`,
      );
      assert.equal(
        messageOf(update(pool("p1", { subnet: "10.6.0.0/16", ipVersion: 6 }), [])),
        `${HEAD}[spec.ipVersion: Forbidden: is not changeable, spec.subnet: Invalid value: "10.6.0.0/16": invalid CIDR format in IPv6 '10.6.0.0/16']`,
      );
    });

    it("protects addresses in use, including from excludeIPs", () => {
      assertAllowed(update(pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.5-10.6.0.6"] })));
      assert.equal(
        messageOf(
          update(
            pool("p1", {
              subnet: "10.6.0.0/16",
              ips: ["10.6.0.1-10.6.0.10"],
              excludeIPs: ["10.6.0.5"],
            }),
          ),
        ),
        `${HEAD}spec.ips: Forbidden: remove an IP address 10.6.0.5 that is being used by Pod default/web-0, ${JOINTLY}`,
      );
    });

    it("reports every address in use that would be lost", () => {
      const inUse = [
        { address: "10.6.0.2", pod: "a/x" },
        { address: "10.6.0.3", pod: "a/y" },
        { address: "10.6.0.9", pod: "a/z" },
      ];
      const denial = invalid(
        update(pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.4-10.6.0.9"] }), inUse),
      );
      assert.deepEqual(
        denial.errors.map(e => e.value),
        ["10.6.0.2", "10.6.0.3"],
      );
    });

    it("re-checks pools of the same CIDR but not CIDR overlap", () => {
      const peers = [
        pool("p0", { subnet: "10.6.0.0/16", ips: ["10.6.0.10"] }),
        pool("big", { subnet: "10.0.0.0/8" }),
      ];
      assert.deepEqual(
        codesOf(
          update(pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.10"] }), [], peers),
        ),
        ["pool_ranges_overlap"],
      );
    });

    it("accepts a legacy non-canonical subnet that did not change", () => {
      const legacy = pool("p1", { subnet: "10.6.0.1/16", ips: ["10.6.0.5"] });
      assertAllowed(
        validateIPPoolUpdate({
          oldPool: legacy,
          pool: legacy,
          peers: [],
          inUse: [],
          config: ALL_ON,
        }),
      );
    });

    it("skips in-use protection while entries are invalid (their own errors explain)", () => {
      assert.deepEqual(
        codesOf(update(pool("p1", { subnet: "10.6.0.0/16", ips: ["10.6.0.10-10.6.0.1"] }))),
        ["range_reversed"],
      );
    });
  });

  describe("DELETE", () => {
    const busy = pool("p1", { subnet: "10.6.0.0/16" }, {}, { allocatedIPCount: 3 });

    it("refuses a pool with allocations when the delete webhook is on", () => {
      assert.deepEqual(validateIPPoolDelete({ pool: busy, config: ALL_ON }), {
        allowed: false,
        reason: "Forbidden",
        status: 403,
        code: "allocated_ips",
        message:
          'spiderippools.spiderpool.spidernet.io "p1" is forbidden: cannot delete an IPPool with allocated IPs(3)',
      });
    });

    it("counts the caller's in-use list too", () => {
      const idle = pool("p1", { subnet: "10.6.0.0/16" });
      const inUse = [{ address: "10.6.0.1", pod: "a/b" }];
      assert.equal(validateIPPoolDelete({ pool: idle, inUse, config: ALL_ON }).allowed, false);
      assertAllowed(validateIPPoolDelete({ pool: idle, inUse: [], config: ALL_ON }));
    });

    it("allows everything when the delete webhook is off", () => {
      assertAllowed(
        validateIPPoolDelete({
          pool: busy,
          config: { ...ALL_ON, enableValidatingResourcesDeletedWebhook: false },
        }),
      );
    });
  });

  it("takes objects parsed by lib/schemas as they are", () => {
    const stored = SpiderSubnetSchema.parse({
      metadata: { name: "s1", uid: "u1" },
      spec: { ipVersion: 4, subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.9"] },
      status: {
        controlledIPPools:
          '{"p1":{"ips":["10.6.0.1-10.6.0.3"],"application":"apps_v1_Deployment_default_web"}}',
      },
    });
    const parsed = SpiderIPPoolSchema.parse({
      apiVersion: "spiderpool.spidernet.io/v2beta1",
      kind: "SpiderIPPool",
      metadata: {
        name: "p1",
        labels: { "ipam.spidernet.io/owner-application-name": "web" },
        ownerReferences: [
          {
            apiVersion: "spiderpool.spidernet.io/v2beta1",
            kind: "SpiderSubnet",
            name: "s1",
            uid: "u1",
            controller: true,
          },
        ],
      },
      spec: { ipVersion: 4, subnet: "10.6.0.0/16", ips: ["10.6.0.1-10.6.0.3"] },
    });
    const ownerSubnet = {
      subnet: stored,
      controlledIPPools: ControlledIPPoolsJsonSchema.parse(
        stored.status?.controlledIPPools ?? "{}",
      ),
    };
    assertAllowed(validateIPPoolCreate({ pool: parsed, peers: [], ownerSubnet, config: ALL_ON }));
  });
});
