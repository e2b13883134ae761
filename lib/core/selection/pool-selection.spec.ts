import assert from "node:assert/strict";
import fc from "fast-check";
import {
  describeSelectionError,
  selectPools,
  type NicPlan,
  type PoolSpecView,
  type PoolView,
  type SelectionError,
  type SelectionInput,
} from "./pool-selection.js";
import type { Result } from "../base/result.js";

type Overrides = Partial<Omit<SelectionInput, "pod" | "config" | "namespace">> & {
  pod?: Partial<SelectionInput["pod"]>;
  config?: Partial<SelectionInput["config"]>;
  namespace?: Partial<SelectionInput["namespace"]>;
};

function pool(
  name: string,
  family: 4 | 6,
  spec: PoolSpecView = {},
  extra: Partial<PoolView> = {},
): PoolView {
  return {
    name,
    spec: { ipVersion: family, ...spec },
    labels: {},
    terminating: false,
    free: 10n,
    total: 10n,
    used: 0n,
    ...extra,
  };
}

const deployment = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  namespace: "ns",
  name: "web",
  uid: "deploy-uid",
};

function input(o: Overrides = {}): SelectionInput {
  const base: SelectionInput = {
    pod: {
      namespace: "ns",
      name: "web-1",
      uid: "pod-uid",
      labels: { app: "web" },
      annotations: {},
      nodeName: "worker-1",
    },
    top: deployment,
    namespace: { name: "ns", labels: {}, annotations: {} },
    node: { name: "worker-1", labels: { zone: "a" } },
    ifName: "eth0",
    netconf: {},
    pools: [],
    config: {
      enableIPv4: true,
      enableIPv6: true,
      enableSpiderSubnet: true,
      enableAutoPoolForApplication: true,
    },
    agentNamespace: "spiderpool",
    clusterNetwork: "kube-system/calico",
  };
  return {
    ...base,
    ...o,
    pod: { ...base.pod, ...o.pod },
    config: { ...base.config, ...o.config },
    namespace: { ...base.namespace, ...o.namespace },
  };
}

function plans(result: Result<NicPlan[], SelectionError>): NicPlan[] {
  if (!result.ok) assert.fail(`unexpected error: ${result.error.message}`);
  return result.value;
}

function failure(result: Result<NicPlan[], SelectionError>): SelectionError {
  if (result.ok) assert.fail(`unexpected success: ${JSON.stringify(result.value)}`);
  return result.error;
}

/** `[nic, source, [family, pools]...]` for compact assertions. */
function summary(
  result: Result<NicPlan[], SelectionError>,
): Array<[string, string, Array<[number, string[]]>]> {
  return plans(result).map(p => [
    p.nic,
    p.source,
    p.families.map((f): [number, string[]] => [f.family, f.pools]),
  ]);
}

const IPPOOL = "ipam.spidernet.io/ippool";
const IPPOOLS = "ipam.spidernet.io/ippools";
const SUBNET = "ipam.spidernet.io/subnet";
const SUBNETS = "ipam.spidernet.io/subnets";
const NS_V4 = "ipam.spidernet.io/default-ipv4-ippool";
const NS_V6 = "ipam.spidernet.io/default-ipv6-ippool";
const NETWORKS = "k8s.v1.cni.cncf.io/networks";

const autoAffinity = {
  matchLabels: {
    "ipam.spidernet.io/app-api-group": "apps",
    "ipam.spidernet.io/app-api-version": "v1",
    "ipam.spidernet.io/app-kind": "Deployment",
    "ipam.spidernet.io/app-namespace": "ns",
    "ipam.spidernet.io/app-name": "web",
  },
};
function autoLabels(
  subnet: string,
  family: 4 | 6,
  nic = "eth0",
  uid = "deploy-uid",
): Record<string, string> {
  return {
    "ipam.spidernet.io/owner-spider-subnet": subnet,
    "ipam.spidernet.io/owner-application-gv": "apps_v1",
    "ipam.spidernet.io/owner-application-kind": "Deployment",
    "ipam.spidernet.io/owner-application-namespace": "ns",
    "ipam.spidernet.io/owner-application-name": "web",
    "ipam.spidernet.io/owner-application-uid": uid,
    "ipam.spidernet.io/interface": nic,
    "ipam.spidernet.io/ip-version": `IPv${family}`,
    "ipam.spidernet.io/ippool-reclaim": "true",
  };
}
function autoPool(
  name: string,
  subnet: string,
  family: 4 | 6,
  extra: Partial<PoolView> = {},
): PoolView {
  return pool(
    name,
    family,
    { podAffinity: autoAffinity },
    { labels: autoLabels(subnet, family), ...extra },
  );
}

describe("pool-selection", () => {
  describe("sources in strict priority (A00004-A00006)", () => {
    const pools = [
      pool("def-v4", 4, { default: true }),
      pool("def-v6", 6, { default: true }),
      pool("conf-v4", 4),
      pool("ns-v4", 4),
      pool("pod-v4", 4),
      pool("multi-v4", 4),
      autoPool("auto4-web-eth0-1", "subnet-a", 4),
    ];
    const conf = { defaultIPv4IPPool: ["conf-v4"] };
    const ns = { annotations: { [NS_V4]: '["ns-v4"]' } };
    const ippool = { [IPPOOL]: '{"ipv4":["pod-v4"]}' };
    const ippools = { [IPPOOLS]: '[{"interface":"eth0","ipv4":["multi-v4"]}]' };
    const subnet = { [SUBNET]: '{"ipv4":["subnet-a"]}' };
    const cases: Array<
      [why: string, o: Overrides, source: string, expected: Array<[number, string[]]>]
    > = [
      [
        "cluster defaults, split by family",
        { pools },
        "cluster-default",
        [
          [4, ["def-v4"]],
          [6, ["def-v6"]],
        ],
      ],
      ["netconf beats cluster defaults", { pools, netconf: conf }, "netconf", [[4, ["conf-v4"]]]],
      [
        "namespace beats netconf (A00006)",
        { pools, netconf: conf, namespace: ns },
        "namespace",
        [[4, ["ns-v4"]]],
      ],
      [
        "ippool beats namespace (A00004)",
        { pools, netconf: conf, namespace: ns, pod: { annotations: ippool } },
        "ippool",
        [[4, ["pod-v4"]]],
      ],
      [
        "ippools beats ippool (A00005)",
        { pools, netconf: conf, namespace: ns, pod: { annotations: { ...ippool, ...ippools } } },
        "ippools",
        [[4, ["multi-v4"]]],
      ],
      [
        "subnet beats ippools",
        { pools, pod: { annotations: { ...ippools, ...subnet } } },
        "subnet",
        [[4, ["auto4-web-eth0-1"]]],
      ],
      [
        "subnet ignored when the feature is off",
        {
          pools,
          pod: { annotations: { ...ippool, ...subnet } },
          config: { enableSpiderSubnet: false },
        },
        "ippool",
        [[4, ["pod-v4"]]],
      ],
      [
        "empty namespace lists do not apply",
        { pools, netconf: conf, namespace: { annotations: { [NS_V4]: "[]", [NS_V6]: "[]" } } },
        "netconf",
        [[4, ["conf-v4"]]],
      ],
    ];
    for (const [why, o, source, expected] of cases) {
      it(why, () => assert.deepEqual(summary(selectPools(input(o))), [["eth0", source, expected]]));
    }
    it("cleanGateway comes from netconf outside ippools", () => {
      assert.equal(
        plans(selectPools(input({ pools, netconf: { ...conf, cleanGateway: true } })))[0]
          ?.cleanGateway,
        true,
      );
    });
    it("subnet annotation with auto pools turned off fails", () => {
      assert.deepEqual(
        failure(
          selectPools(
            input({
              pools,
              pod: { annotations: { ...ippool, ...subnet } },
              config: { enableAutoPoolForApplication: false },
            }),
          ),
        ),
        {
          code: "auto_pool_disabled",
          message:
            "it's invalid to use 'ipam.spidernet.io/subnets' or 'ipam.spidernet.io/subnet' annotation when Auto-Pool feature is disabled",
        },
      );
    });
    it("nothing applies and no default pool exists", () => {
      const error = failure(selectPools(input({ pools: [pool("p", 4)] })));
      assert.deepEqual(error, {
        code: "no_pool_rules",
        message: "no IPPool available, no pool selection rules of any type are specified",
      });
      assert.equal(
        describeSelectionError(error),
        "no IPPool available, no pool selection rules of any type are specified",
      );
    });
  });

  describe("no fall-through", () => {
    const pools = [
      pool("def-v4", 4, { default: true }),
      pool("conf-v4", 4),
      pool("ns-v4", 4, { disable: true }),
    ];
    it("a namespace whose pools are all filtered out does not fall back to netconf or defaults", () => {
      const error = failure(
        selectPools(
          input({
            pools,
            netconf: { defaultIPv4IPPool: ["conf-v4"] },
            namespace: { annotations: { [NS_V4]: '["ns-v4"]' } },
          }),
        ),
      );
      assert.equal(
        error.message,
        "no IPPool available, all IPv4 IPPools [ns-v4] of eth0 filtered out: [pool ns-v4: disabled IPPool ns-v4]",
      );
    });
    it("a namespace glob matching nothing still claims the source", () => {
      const error = failure(
        selectPools(input({ pools, namespace: { annotations: { [NS_V4]: '["nothing-*"]' } } })),
      );
      assert.equal(error.code, "no_family_candidates");
      assert.match(
        error.message,
        /^no IPPool available, no IPPool of an enabled IP family specified for NIC eth0 by Namespace annotations/,
      );
    });
    it("an ippool annotation with unknown keys only names no pool (A00003)", () => {
      const error = failure(
        selectPools(
          input({
            pools,
            pod: { annotations: { [IPPOOL]: '{"IPamNotExistedPoolKey":["def-v4"]}' } },
          }),
        ),
      );
      assert.deepEqual(error, {
        code: "no_family_candidates",
        nic: "eth0",
        source: "ippool",
        message:
          "no IPPool available, no IPPool of an enabled IP family specified for NIC eth0 by Pod annotation 'ipam.spidernet.io/ippool'",
      });
    });
    it("a broken namespace annotation fails even though defaults exist", () => {
      const error = failure(
        selectPools(input({ pools, namespace: { annotations: { [NS_V4]: "ns-v4" } } })),
      );
      // Go's scanner reads `n` as the start of `null`.
      assert.equal(
        error.message,
        "invalid format of Namespace annotation 'ipam.spidernet.io/default-ipv4-ippool': invalid character 's' in literal null (expecting 'u')",
      );
    });
    it("a broken namespace annotation does not matter when a Pod annotation applies", () => {
      assert.deepEqual(
        summary(
          selectPools(
            input({
              pools,
              namespace: { annotations: { [NS_V4]: "ns-v4" } },
              pod: { annotations: { [IPPOOL]: '{"ipv4":["conf-v4"]}' } },
            }),
          ),
        ),
        [["eth0", "ippool", [[4, ["conf-v4"]]]]],
      );
    });
  });

  describe("wildcards", () => {
    const pools = [
      pool("blue-2", 4),
      pool("red-1", 4),
      pool("blue-1", 4),
      pool("blue-6", 6),
      pool("blue-10", 4),
      pool("green", 4),
    ];
    const via = (ipv4: string[], ipv6: string[] = []): Result<NicPlan[], SelectionError> =>
      selectPools(
        input({ pools, pod: { annotations: { [IPPOOL]: JSON.stringify({ ipv4, ipv6 }) } } }),
      );
    const cases: Array<[ipv4: string[], expected: string[]]> = [
      [["blue-*"], ["blue-2", "blue-1", "blue-10"]],
      [
        ["green", "blue-?"],
        ["green", "blue-2", "blue-1"],
      ],
      [
        ["blue-[1-2]", "red-1"],
        ["blue-2", "blue-1", "red-1"],
      ],
      [["nothing-*", "green"], ["green"]],
      [["*"], ["blue-2", "red-1", "blue-1", "blue-10", "green"]],
      [["blue-\\*", "green"], ["green"]],
    ];
    for (const [ipv4, expected] of cases) {
      it(JSON.stringify(ipv4), () =>
        assert.deepEqual(summary(via(ipv4)), [["eth0", "ippool", [[4, expected]]]]),
      );
    }
    it("matches only pools of the list's family", () => {
      assert.deepEqual(summary(via([], ["blue-*"])), [["eth0", "ippool", [[6, ["blue-6"]]]]]);
    });
    it("a malformed pattern fails the ADD", () => {
      assert.deepEqual(failure(via(["blue-[z-]"])), {
        code: "invalid_wildcard",
        pattern: "blue-[z-]",
        family: 4,
        message:
          "failed to match wildcard: IPv4 PoolName pattern 'blue-[z-]', character 'blue-2', error: syntax error in pattern",
      });
      assert.deepEqual(failure(via(["[]x]"])).code, "invalid_wildcard");
    });
    it("a name with `[` but no `]` is a literal name", () => {
      assert.equal(
        failure(via(["blue-["])).message,
        "failed to get original IPPool blue-[: not found",
      );
    });
    it("a malformed pattern in a family without pools is never tried", () => {
      const onlyV4 = pools.filter(p => p.spec.ipVersion === 4);
      const annotations = { [IPPOOL]: '{"ipv4":["green"],"ipv6":["[]"]}' };
      assert.deepEqual(summary(selectPools(input({ pools: onlyV4, pod: { annotations } }))), [
        ["eth0", "ippool", [[4, ["green"]]]],
      ]);
    });
    it("a literal overlapping a glob is a duplicate", () => {
      assert.equal(
        failure(via(["blue-1", "blue-*"])).message,
        "wrong input, duplicate IPPool blue-1 specified for NIC eth0",
      );
    });
    it("expands globs in ippools, namespace and netconf lists too (A00007, A00015)", () => {
      const ippools = { [IPPOOLS]: '[{"interface":"eth0","ipv4":["red-*"]}]' };
      assert.deepEqual(summary(selectPools(input({ pools, pod: { annotations: ippools } }))), [
        ["eth0", "ippools", [[4, ["red-1"]]]],
      ]);
      assert.deepEqual(
        summary(
          selectPools(input({ pools, namespace: { annotations: { [NS_V4]: '["gr??n"]' } } })),
        ),
        [["eth0", "namespace", [[4, ["green"]]]]],
      );
      assert.deepEqual(
        summary(selectPools(input({ pools, netconf: { defaultIPv4IPPool: ["red*"] } }))),
        [["eth0", "netconf", [[4, ["red-1"]]]]],
      );
    });
  });

  describe("pre-check", () => {
    const pools = [pool("a", 4), pool("b", 4)];
    it("duplicate pool", () => {
      assert.deepEqual(
        failure(selectPools(input({ pools, netconf: { defaultIPv4IPPool: ["a", "b", "a"] } }))),
        {
          code: "duplicate_pool",
          pool: "a",
          nic: "eth0",
          message: "wrong input, duplicate IPPool a specified for NIC eth0",
        },
      );
    });
    it("unknown pool", () => {
      assert.deepEqual(
        failure(selectPools(input({ pools, netconf: { defaultIPv4IPPool: ["a", "nope"] } }))),
        {
          code: "pool_not_found",
          pool: "nope",
          nic: "eth0",
          message: "failed to get original IPPool nope: not found",
        },
      );
    });
    it("runs after the family filter: a disabled family is not checked", () => {
      const o = {
        pools,
        netconf: { defaultIPv4IPPool: ["a"], defaultIPv6IPPool: ["nope", "nope"] },
        config: { enableIPv6: false },
      };
      assert.deepEqual(summary(selectPools(input(o))), [["eth0", "netconf", [[4, ["a"]]]]]);
    });
    it("reports a missing pool of another NIC before a filtered-out current NIC", () => {
      const annotations = {
        [IPPOOLS]: '[{"interface":"eth0","ipv4":["a"]},{"interface":"net1","ipv4":["ghost"]}]',
      };
      const error = failure(
        selectPools(input({ pools: [pool("a", 4, { disable: true })], pod: { annotations } })),
      );
      assert.equal(error.code, "pool_not_found");
    });
  });

  describe("filtering and the all-filtered error", () => {
    it("carries every reason, Spiderpool's prefix first", () => {
      const pools = [
        pool("v4-a", 4, { nodeAffinity: { matchLabels: { zone: "b" } } }),
        pool("v4-b", 4, {}, { free: 0n, used: 254n, total: 254n }),
      ];
      const error = failure(
        selectPools(
          input({
            pools,
            pod: { nodeName: "worker-2" },
            node: { name: "worker-2", labels: {} },
            netconf: { defaultIPv4IPPool: ["v4-a", "v4-b"] },
          }),
        ),
      );
      assert.equal(
        describeSelectionError(error),
        "no IPPool available, all IPv4 IPPools [v4-a v4-b] of eth0 filtered out: [pool v4-a: unmatched Node affinity of IPPool v4-a (node worker-2); pool v4-b: 254/254 addresses used]",
      );
      assert.equal(error.code === "all_pools_filtered" && error.exhausted, false);
      assert.doesNotMatch(error.message, /all IP addresses used out/);
    });
    it("says `all IP addresses used out` when exhaustion is the only reason", () => {
      const pools = [
        pool("v4-a", 4, {}, { free: 0n, used: 1n, total: 1n }),
        pool("v4-b", 4, {}, { free: 0n, used: 2n, total: 3n }),
      ];
      const error = failure(
        selectPools(input({ pools, netconf: { defaultIPv4IPPool: ["v4-a", "v4-b"] } })),
      );
      assert.equal(
        error.message,
        "no IPPool available, all IPv4 IPPools [v4-a v4-b] of eth0 filtered out: all IP addresses used out: [pool v4-a: 1/1 addresses used; pool v4-b: 2/3 addresses used, 1 reserved]",
      );
      assert.equal(error.code === "all_pools_filtered" && error.exhausted, true);
    });
    it("keeps a full pool that already holds this Pod's address (A00016 retry)", () => {
      const pools = [pool("one-ip", 4, {}, { free: 0n, used: 1n, total: 1n })];
      const o = { pools, netconf: { defaultIPv4IPPool: ["one-ip"] }, reusablePools: ["one-ip"] };
      assert.deepEqual(summary(selectPools(input(o))), [["eth0", "netconf", [[4, ["one-ip"]]]]]);
    });
    it("records skipped pools and orders the rest by affinity, ties in source order", () => {
      const pools = [
        pool("plain-1", 4),
        pool("gone", 4, {}, { terminating: true }),
        pool("multus", 4, { multusName: ["kube-system/calico"] }),
        pool("plain-2", 4),
        pool("node", 4, { nodeName: ["worker-1"] }),
        pool("pod", 4, { podAffinity: { matchLabels: { app: "web" } } }),
        pool("other-ns", 4, { namespaceName: ["elsewhere"] }),
      ];
      const names = pools.map(p => p.name);
      const [plan] = plans(selectPools(input({ pools, netconf: { defaultIPv4IPPool: names } })));
      assert.deepEqual(plan?.families, [
        {
          family: 4,
          pools: ["pod", "node", "multus", "plain-1", "plain-2"],
          original: names,
          skipped: [
            { pool: "gone", rule: "terminating", reason: "terminating IPPool gone" },
            {
              pool: "other-ns",
              rule: "namespace",
              reason: "unmatched Namespace name of IPPool other-ns (namespace ns)",
            },
          ],
        },
      ]);
    });
    it("checks multusName against the default network", () => {
      const pools = [pool("a", 4, { multusName: ["macvlan"] })];
      const o = {
        pools,
        netconf: { defaultIPv4IPPool: ["a"] },
        clusterNetwork: "spiderpool/macvlan",
      };
      assert.deepEqual(summary(selectPools(input(o))), [["eth0", "netconf", [[4, ["a"]]]]]);
      const error = failure(selectPools(input({ ...o, clusterNetwork: undefined })));
      assert.equal(
        error.message,
        "no IPPool available, all IPv4 IPPools [a] of eth0 filtered out: [pool a: cluster-network multus isn't set, the IPPool a specified multusName [macvlan] unmatched]",
      );
    });
  });

  describe("dual stack", () => {
    const pools = [pool("v4", 4), pool("v6", 6), pool("v6-off", 6, { disable: true })];
    const annotations = { [IPPOOL]: '{"ipv4":["v4"],"ipv6":["v6"]}' };
    it("independent lists per family", () => {
      assert.deepEqual(summary(selectPools(input({ pools, pod: { annotations } }))), [
        [
          "eth0",
          "ippool",
          [
            [4, ["v4"]],
            [6, ["v6"]],
          ],
        ],
      ]);
    });
    it("IPv6-only cluster drops the IPv4 list silently", () => {
      assert.deepEqual(
        summary(selectPools(input({ pools, pod: { annotations }, config: { enableIPv4: false } }))),
        [["eth0", "ippool", [[6, ["v6"]]]]],
      );
    });
    it("IPv4-only cluster drops the IPv6 list silently", () => {
      assert.deepEqual(
        summary(selectPools(input({ pools, pod: { annotations }, config: { enableIPv6: false } }))),
        [["eth0", "ippool", [[4, ["v4"]]]]],
      );
    });
    it("a single family is enough in a dual-stack cluster (E00009)", () => {
      assert.deepEqual(
        summary(
          selectPools(input({ pools, pod: { annotations: { [IPPOOL]: '{"ipv6":["v6"]}' } } })),
        ),
        [["eth0", "ippool", [[6, ["v6"]]]]],
      );
    });
    it("only a disabled family named: nothing to allocate", () => {
      const error = failure(
        selectPools(
          input({
            pools,
            pod: { annotations: { [IPPOOL]: '{"ipv6":["v6"]}' } },
            config: { enableIPv6: false },
          }),
        ),
      );
      assert.equal(error.code, "no_family_candidates");
    });
    it("an IPv6 list filtered out fails with IPv6 in the text", () => {
      const error = failure(
        selectPools(
          input({
            pools,
            pod: { annotations: { [IPPOOL]: '{"ipv4":["v4"],"ipv6":["v6-off","v4"]}' } },
          }),
        ),
      );
      assert.equal(
        error.message,
        "no IPPool available, all IPv6 IPPools [v6-off v4] of eth0 filtered out: [pool v6-off: disabled IPPool v6-off; pool v4: expect an IPv6 IPPool, but the version of the IPPool v4 is IPv4]",
      );
    });
  });

  describe("multiple NICs", () => {
    const pools = [pool("e4", 4), pool("n4", 4, { multusName: ["ns/macvlan"] }), pool("n6", 6)];
    it("named: every NIC, per-item cleangateway, keys folded, NADs from the networks annotation (A00010a)", () => {
      const annotations = {
        [IPPOOLS]:
          '[{"Interface":"eth0","IPv4":["e4"]},{"interface":"net1","ipv4":["n4"],"ipv6":["n6"],"cleanGateway":true}]',
        [NETWORKS]: "ns/macvlan",
      };
      const result = plans(selectPools(input({ pools, pod: { annotations } })));
      assert.deepEqual(
        result.map(p => [p.nic, p.mode, p.cleanGateway, p.families.map(f => f.pools)]),
        [
          ["eth0", "named", false, [["e4"]]],
          ["net1", "named", true, [["n4"], ["n6"]]],
        ],
      );
    });
    it("unnamed: NICs are indices and index k uses the k-th network (A00010b)", () => {
      const annotations = {
        [IPPOOLS]: '[{"ipv4":["e4"]},{"ipv4":["n4"]}]',
        [NETWORKS]: "ns/macvlan",
      };
      const result = plans(selectPools(input({ pools, pod: { annotations } })));
      assert.deepEqual(
        result.map(p => [p.nic, p.mode, p.families.map(f => f.pools)]),
        [
          ["0", "unnamed", [["e4"]]],
          ["1", "unnamed", [["n4"]]],
        ],
      );
    });
    it("a NIC the networks annotation does not cover has every pool rejected", () => {
      const annotations = {
        [IPPOOLS]: '[{"interface":"eth0","ipv4":["e4"]},{"interface":"net2","ipv4":["n4"]}]',
        [NETWORKS]: "ns/macvlan",
      };
      assert.equal(
        failure(selectPools(input({ pools, pod: { annotations } }))).message,
        "no IPPool available, all IPv4 IPPools [n4] of net2 filtered out: [pool n4: unknown: no matched multus object for NIC 'net2'. The multus network-attachments: ns/macvlan]",
      );
    });
    const invalid: Array<[why: string, value: string, ifName: string, detail: string]> = [
      ["empty", "[]", "eth0", "value requires at least one item"],
      [
        "mixed",
        '[{"interface":"eth0","ipv4":["e4"]},{"ipv4":["n4"]}]',
        "eth0",
        "NIC should be either all specified or all unspecified",
      ],
      [
        "duplicate interface (A00014)",
        '[{"interface":"net1","ipv4":["e4"]},{"interface":"net1","ipv4":["n4"]}]',
        "eth0",
        "duplicate interface net1",
      ],
      [
        "current NIC not listed (A00013)",
        '[{"interface":"net1","ipv4":["n4"]}]',
        "eth0",
        "interface eth0 must be specified",
      ],
      [
        "cleangateway not a bool",
        '[{"interface":"eth0","ipv4":["e4"],"cleangateway":"yes"}]',
        "eth0",
        "json: cannot unmarshal string into Go struct field AnnoIPPoolItem.cleangateway of type bool",
      ],
    ];
    for (const [why, value, ifName, detail] of invalid) {
      it(why, () => {
        assert.deepEqual(
          failure(
            selectPools(input({ pools, ifName, pod: { annotations: { [IPPOOLS]: value } } })),
          ),
          {
            code: "invalid_annotation",
            owner: "Pod",
            annotation: IPPOOLS,
            message: `wrong input, invalid format of Pod annotation 'ipam.spidernet.io/ippools': ${detail}`,
          },
        );
      });
    }
    it("expands wildcards before validating items", () => {
      const error = failure(
        selectPools(
          input({
            pools,
            pod: { annotations: { [IPPOOLS]: '[{"interface":"net1","ipv4":["[]x]"]}]' } },
          }),
        ),
      );
      assert.equal(error.code, "invalid_wildcard");
    });
    it("another NIC may have no family; the current NIC may not", () => {
      const other = {
        [IPPOOLS]: '[{"interface":"eth0","ipv4":["e4"]},{"interface":"net1","ipv6":["n6"]}]',
      };
      assert.deepEqual(
        summary(
          selectPools(input({ pools, pod: { annotations: other }, config: { enableIPv6: false } })),
        ),
        [
          ["eth0", "ippools", [[4, ["e4"]]]],
          ["net1", "ippools", []],
        ],
      );
      const error = failure(
        selectPools(
          input({
            pools,
            ifName: "net1",
            pod: { annotations: other },
            config: { enableIPv6: false },
          }),
        ),
      );
      assert.deepEqual(
        [error.code, error.code === "no_family_candidates" && error.nic],
        ["no_family_candidates", "net1"],
      );
    });
  });

  describe("subnet annotation: auto pools", () => {
    const subnet = { [SUBNET]: '{"ipv4":["subnet-a"],"ipv6":["subnet-a6"]}' };
    const v4 = autoPool("auto4-web-eth0-1", "subnet-a", 4);
    const v6 = autoPool("auto6-web-eth0-1", "subnet-a6", 6);
    it("finds the workload's pool per family", () => {
      assert.deepEqual(
        summary(selectPools(input({ pools: [v4, v6], pod: { annotations: subnet } }))),
        [
          [
            "eth0",
            "subnet",
            [
              [4, ["auto4-web-eth0-1"]],
              [6, ["auto6-web-eth0-1"]],
            ],
          ],
        ],
      );
    });
    it("looks nothing up for a disabled family", () => {
      assert.deepEqual(
        summary(
          selectPools(
            input({ pools: [v4], pod: { annotations: subnet }, config: { enableIPv6: false } }),
          ),
        ),
        [["eth0", "subnet", [[4, ["auto4-web-eth0-1"]]]]],
      );
    });
    it("missing pool: retryable auto_pool_not_ready with the lookup labels", () => {
      const error = failure(selectPools(input({ pools: [v6], pod: { annotations: subnet } })));
      const labels = autoLabels("subnet-a", 4);
      delete labels["ipam.spidernet.io/ippool-reclaim"];
      assert.deepEqual(error, {
        code: "auto_pool_not_ready",
        subnet: "subnet-a",
        family: 4,
        nic: "eth0",
        matchLabels: labels,
        thirdParty: false,
        reclaim: true,
        message:
          "failed to get IPPool candidates from Subnet: no matching auto-created IPPool candidate with matchLables 'map[" +
          "ipam.spidernet.io/interface:eth0 ipam.spidernet.io/ip-version:IPv4 ipam.spidernet.io/owner-application-gv:apps_v1 " +
          "ipam.spidernet.io/owner-application-kind:Deployment ipam.spidernet.io/owner-application-name:web " +
          "ipam.spidernet.io/owner-application-namespace:ns ipam.spidernet.io/owner-application-uid:deploy-uid " +
          "ipam.spidernet.io/owner-spider-subnet:subnet-a]'",
      });
    });
    it("a pool of a previous incarnation (other UID) does not match", () => {
      const old = { ...v4, labels: autoLabels("subnet-a", 4, "eth0", "old-uid") };
      assert.equal(
        failure(
          selectPools(
            input({ pools: [old], pod: { annotations: subnet }, config: { enableIPv6: false } }),
          ),
        ).code,
        "auto_pool_not_ready",
      );
    });
    it("two matching pools are an error", () => {
      const twin = { ...v4, name: "auto4-web-eth0-2" };
      const error = failure(
        selectPools(
          input({ pools: [v4, twin], pod: { annotations: subnet }, config: { enableIPv6: false } }),
        ),
      );
      assert.equal(error.code, "multiple_auto_pools");
      assert.match(
        error.message,
        /^failed to get IPPool candidates from Subnet: it's invalid for 'Deployment\/ns\/web' corresponding SpiderSubnet 'subnet-a' owns multiple matchLables 'map\[.*\]' corresponding IPPools '\[auto4-web-eth0-1 auto4-web-eth0-2\]' for one specify application$/,
      );
    });
    it("orphan Pods are refused", () => {
      const top = {
        group: "",
        version: "v1",
        kind: "Pod",
        namespace: "ns",
        name: "web-1",
        uid: "pod-uid",
      };
      assert.deepEqual(
        failure(selectPools(input({ pools: [v4], top, pod: { annotations: subnet } }))),
        {
          code: "orphan_pod",
          message:
            "failed to get IPPool candidates from Subnet: SpiderSubnet feature doesn't support no-controller pod",
        },
      );
    });
    it("subnets picks the item of the current NIC", () => {
      const net1 = {
        ...autoPool("auto4-web-net1-1", "subnet-b", 4),
        labels: autoLabels("subnet-b", 4, "net1"),
      };
      const annotations = {
        [SUBNETS]:
          '[{"interface":"eth0","ipv4":["subnet-a"]},{"interface":"net1","ipv4":["subnet-b"]}]',
      };
      assert.deepEqual(
        summary(selectPools(input({ pools: [v4, net1], ifName: "net1", pod: { annotations } }))),
        [["net1", "subnet", [[4, ["auto4-web-net1-1"]]]]],
      );
      const error = failure(
        selectPools(input({ pools: [v4, net1], ifName: "net2", pod: { annotations } })),
      );
      assert.equal(error.code, "no_family_candidates");
    });
    it("the auto pool still goes through the filter", () => {
      const gone = { ...v4, terminating: true };
      assert.equal(
        failure(
          selectPools(
            input({ pools: [gone], pod: { annotations: subnet }, config: { enableIPv6: false } }),
          ),
        ).message,
        "no IPPool available, all IPv4 IPPools [auto4-web-eth0-1] of eth0 filtered out: [pool auto4-web-eth0-1: terminating IPPool auto4-web-eth0-1]",
      );
    });
    it("is exempt from the Multus check once its affinity matches", () => {
      const o = {
        pools: [v4],
        pod: { annotations: subnet },
        config: { enableIPv6: false },
        clusterNetwork: undefined,
      };
      assert.deepEqual(summary(selectPools(input(o))), [
        ["eth0", "subnet", [[4, ["auto4-web-eth0-1"]]]],
      ]);
    });
    it("bad subnet annotation errors carry the subnet prefix", () => {
      const error = failure(
        selectPools(input({ pools: [v4], pod: { annotations: { [SUBNET]: "[" } } })),
      );
      assert.equal(
        error.message,
        "failed to get IPPool candidates from Subnet: failed to parse anntation 'ipam.spidernet.io/subnet' value '[', error: unexpected end of JSON input",
      );
    });

    describe("size check with sizing facts", () => {
      const sized = (size: bigint): PoolView => ({ ...v4, total: size, free: size });
      const base = { pod: { annotations: subnet }, config: { enableIPv6: false } };
      const cases: Array<
        [why: string, ipNumber: string | undefined, replicas: number, size: bigint, ready: boolean]
      > = [
        ["absent number: replicas + 0", undefined, 2, 2n, true],
        ["absent number, pool too small", undefined, 3, 2n, false],
        ["flexible: replicas + N", "+1", 2, 3n, true],
        ["flexible, pool too big", "+1", 1, 3n, false],
        ["fixed N ignores replicas", "5", 9, 5n, true],
      ];
      for (const [why, ipNumber, replicas, size, ready] of cases) {
        it(why, () => {
          const annotations = {
            ...subnet,
            ...(ipNumber === undefined ? {} : { "ipam.spidernet.io/ippool-ip-number": ipNumber }),
          };
          const result = selectPools(
            input({ ...base, pools: [sized(size)], pod: { annotations }, autoPool: { replicas } }),
          );
          assert.equal(result.ok, ready);
          if (!result.ok) {
            assert.equal(result.error.code, "auto_pool_not_ready");
            assert.equal(
              result.error.code === "auto_pool_not_ready" && result.error.pool,
              "auto4-web-eth0-1",
            );
          }
        });
      }
      it("without sizing facts any size is accepted", () => {
        assert.equal(selectPools(input({ ...base, pools: [sized(1n)] })).ok, true);
      });
    });

    describe("third-party controllers", () => {
      const kruise = {
        group: "apps.kruise.io",
        version: "v1alpha1",
        kind: "CloneSet",
        namespace: "ns",
        name: "web",
        uid: "cs-uid",
      };
      const kruiseAffinity = {
        matchLabels: {
          "ipam.spidernet.io/app-api-group": "apps.kruise.io",
          "ipam.spidernet.io/app-api-version": "v1alpha1",
          "ipam.spidernet.io/app-kind": "CloneSet",
          "ipam.spidernet.io/app-namespace": "ns",
          "ipam.spidernet.io/app-name": "web",
        },
      };
      const kruisePool = (name: string, uid: string, reclaim: string): PoolView =>
        pool(
          name,
          4,
          { podAffinity: kruiseAffinity },
          {
            labels: {
              ...autoLabels("subnet-a", 4, "eth0", uid),
              "ipam.spidernet.io/owner-application-gv": "apps.kruise.io_v1alpha1",
              "ipam.spidernet.io/owner-application-kind": "CloneSet",
              "ipam.spidernet.io/ippool-reclaim": reclaim,
            },
          },
        );
      const annotations = {
        [SUBNET]: '{"ipv4":["subnet-a"]}',
        "ipam.spidernet.io/ippool-ip-number": "+2",
      };
      it("require a pool size annotation", () => {
        const error = failure(
          selectPools(
            input({ top: kruise, pod: { annotations: { [SUBNET]: '{"ipv4":["subnet-a"]}' } } }),
          ),
        );
        assert.deepEqual(error, {
          code: "auto_pool_ip_number_required",
          controller: "CloneSet/ns/web",
          message:
            "failed to get IPPool candidates from Subnet: CloneSet/ns/web only supports fixed auto-created IPPool IP Number",
        });
      });
      it("adopt a retained pool of another UID, skip a reclaimable one", () => {
        const pools = [
          kruisePool("reclaimable-old", "old", "true"),
          kruisePool("retained-old", "older", "false"),
        ];
        assert.deepEqual(
          summary(selectPools(input({ top: kruise, pools, pod: { annotations } }))),
          [["eth0", "subnet", [[4, ["retained-old"]]]]],
        );
      });
      it("missing pool: the agent must create it; `+N` means N", () => {
        const error = failure(
          selectPools(
            input({
              top: kruise,
              pools: [kruisePool("reclaimable-old", "old", "true")],
              pod: { annotations },
              autoPool: { replicas: 7 },
            }),
          ),
        );
        assert.equal(error.code, "auto_pool_not_ready");
        if (error.code !== "auto_pool_not_ready") return;
        assert.equal(error.thirdParty, true);
        assert.equal(error.desiredIPNumber, 2);
        assert.equal("ipam.spidernet.io/owner-application-uid" in error.matchLabels, false);
        assert.match(
          error.message,
          /no matching third-party controller auto-created IPPool candidate/,
        );
      });
    });
  });

  describe("Go JSON semantics through selection", () => {
    const pools = [pool("a", 4), pool("b", 6)];
    it("case-insensitive keys and unknown keys ignored", () => {
      const annotations = {
        [IPPOOL]: '{"IPV4":["a"],"iPv6":["b"],"interface":"eth0","comment":"x"}',
      };
      assert.deepEqual(summary(selectPools(input({ pools, pod: { annotations } }))), [
        [
          "eth0",
          "ippool",
          [
            [4, ["a"]],
            [6, ["b"]],
          ],
        ],
      ]);
    });
    const broken: Array<[key: string, owner: "pod" | "namespace", value: string]> = [
      [IPPOOL, "pod", '{"ipv4":["a"'],
      [IPPOOLS, "pod", "{}"],
      [SUBNET, "pod", "x"],
      [SUBNETS, "pod", '{"interface":"eth0"}'],
      [NS_V4, "namespace", '{"a":1}'],
      [NS_V6, "namespace", "[1]"],
    ];
    for (const [key, owner, value] of broken) {
      it(`bad JSON in ${key} names it`, () => {
        const annotations = { [key]: value };
        const o = owner === "pod" ? { pod: { annotations } } : { namespace: { annotations } };
        const error = failure(selectPools(input({ pools, ...o })));
        assert.equal(error.code, "invalid_annotation");
        assert.ok(error.message.includes(`'${key}'`), error.message);
      });
    }
  });

  describe("properties", () => {
    const poolArb = fc.record({
      family: fc.constantFrom<4 | 6>(4, 6),
      terminating: fc.boolean(),
      disable: fc.boolean(),
      node: fc.constantFrom("none", "match", "miss"),
      podAffinity: fc.constantFrom("none", "match", "miss"),
      multus: fc.constantFrom("none", "match", "miss"),
      full: fc.boolean(),
    });
    const scenarioArb = fc.array(poolArb, { minLength: 1, maxLength: 12 }).chain(specs => {
      const pools = specs.map(
        (s, i): PoolView =>
          pool(
            `p${i}`,
            s.family,
            {
              disable: s.disable,
              ...(s.node === "none"
                ? {}
                : { nodeName: [s.node === "match" ? "worker-1" : "worker-9"] }),
              ...(s.podAffinity === "none"
                ? {}
                : {
                    podAffinity: { matchLabels: { app: s.podAffinity === "match" ? "web" : "db" } },
                  }),
              ...(s.multus === "none"
                ? {}
                : {
                    multusName: [s.multus === "match" ? "kube-system/calico" : "kube-system/other"],
                  }),
            },
            { terminating: s.terminating, ...(s.full ? { free: 0n, used: 10n } : {}) },
          ),
      );
      const names = pools.map(p => p.name);
      return fc.record({
        pools: fc.constant(pools),
        v4: fc.shuffledSubarray(names),
        v6: fc.shuffledSubarray(names),
      });
    });

    it("pools and skipped partition the original list; pools are ordered stably", () => {
      fc.assert(
        fc.property(scenarioArb, ({ pools, v4, v6 }) => {
          const result = selectPools(
            input({ pools, netconf: { defaultIPv4IPPool: v4, defaultIPv6IPPool: v6 } }),
          );
          const check = (
            original: readonly string[],
            kept: readonly string[],
            skipped: readonly { pool: string }[],
          ): void => {
            const skippedNames = skipped.map(s => s.pool);
            for (const name of kept)
              assert.ok(!skippedNames.includes(name), `${name} both kept and skipped`);
            assert.deepEqual([...kept, ...skippedNames].sort(), [...original].sort());
            assert.deepEqual(
              skippedNames,
              original.filter(n => skippedNames.includes(n)),
              "skipped in source order",
            );
            const byName = new Map(pools.map(p => [p.name, p]));
            const keys = kept.map(n => {
              const s = byName.get(n)?.spec ?? {};
              return [
                s.podAffinity,
                s.nodeName,
                s.nodeAffinity,
                s.namespaceName,
                s.namespaceAffinity,
                s.multusName,
              ]
                .map(x => (x === undefined ? "1" : "0"))
                .join("");
            });
            for (let i = 1; i < kept.length; i++) {
              const [ka, kb] = [keys[i - 1] ?? "", keys[i] ?? ""];
              assert.ok(
                ka < kb ||
                  (ka === kb &&
                    original.indexOf(kept[i - 1] ?? "") < original.indexOf(kept[i] ?? "")),
                "stable priority order",
              );
            }
          };
          if (result.ok) {
            for (const f of result.value[0]?.families ?? []) check(f.original, f.pools, f.skipped);
          } else if (result.error.code === "all_pools_filtered") {
            check(result.error.original, [], result.error.skipped);
          } else {
            // Empty netconf lists do not apply; with no default pool nothing does.
            assert.equal(result.error.code, "no_pool_rules");
            assert.equal(v4.length + v6.length, 0);
          }
        }),
      );
    });

    it("is deterministic: equal input, equal output", () => {
      fc.assert(
        fc.property(scenarioArb, ({ pools, v4, v6 }) => {
          const made = input({ pools, netconf: { defaultIPv4IPPool: v4, defaultIPv6IPPool: v6 } });
          assert.deepEqual(selectPools(made), selectPools(structuredClone(made)));
        }),
      );
    });
  });
});
