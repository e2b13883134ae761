import assert from "node:assert/strict";
import type { NicNetwork, NicNetworkError } from "./multus-networks.js";
import { filterPool, type FilterContext } from "./pool-filter.js";
import type { PoolSpecView, PoolView } from "./pool-view.js";
import { err, ok, type Result } from "../base/result.js";

function pool(name: string, spec: PoolSpecView = {}, extra: Partial<PoolView> = {}): PoolView {
  return {
    name,
    spec: { ipVersion: 4, ...spec },
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
  uid: "u1",
};
const context: FilterContext = {
  family: 4,
  nic: "eth0",
  podNamespace: "ns",
  podLabels: { app: "web" },
  nodeName: "worker-1",
  nodeLabels: { zone: "a" },
  namespaceLabels: { team: "blue" },
  top: deployment,
  agentNamespace: "spiderpool",
  nicNetwork: () => ok({ namespace: "kube-system", name: "macvlan" }),
  reusablePools: new Set(),
};
const autoLabels = { "ipam.spidernet.io/owner-application-name": "web" };
const autoAffinity = {
  matchLabels: {
    "ipam.spidernet.io/app-api-group": "apps",
    "ipam.spidernet.io/app-api-version": "v1",
    "ipam.spidernet.io/app-kind": "Deployment",
    "ipam.spidernet.io/app-namespace": "ns",
    "ipam.spidernet.io/app-name": "web",
  },
};

describe("pool-filter", () => {
  const accepted: Array<[why: string, p: PoolView, ctx?: Partial<FilterContext>]> = [
    ["plain pool", pool("p")],
    ["node name listed", pool("p", { nodeName: ["worker-0", "worker-1"] })],
    ["node affinity matches", pool("p", { nodeAffinity: { matchLabels: { zone: "a" } } })],
    [
      "node name wins over a non-matching affinity",
      pool("p", { nodeName: ["worker-1"], nodeAffinity: { matchLabels: { zone: "b" } } }),
    ],
    ["namespace name listed", pool("p", { namespaceName: ["ns"] })],
    [
      "namespace affinity matches",
      pool("p", {
        namespaceAffinity: {
          matchExpressions: [{ key: "team", operator: "In", values: ["blue"] }],
        },
      }),
    ],
    [
      "namespace name wins over a non-matching affinity",
      pool("p", { namespaceName: ["ns"], namespaceAffinity: { matchLabels: { team: "red" } } }),
    ],
    ["pod affinity matches", pool("p", { podAffinity: { matchLabels: { app: "web" } } })],
    ["multusName ns/name", pool("p", { multusName: ["kube-system/macvlan"] })],
    [
      "bare multusName in the agent namespace",
      pool("p", { multusName: ["macvlan"] }),
      { nicNetwork: () => ok({ namespace: "spiderpool", name: "macvlan" }) },
    ],
    ["empty lists are unset", pool("p", { nodeName: [], namespaceName: [], multusName: [] })],
    [
      "auto pool of the workload skips the Multus check",
      pool("auto4-web", { podAffinity: autoAffinity, multusName: ["x/y"] }, { labels: autoLabels }),
      {
        nicNetwork: () => err({ code: "cluster_network_unset" }),
      },
    ],
    ["IPv6 pool for the IPv6 family", pool("p6", { ipVersion: 6 }), { family: 6 }],
    [
      "full but already holding this Pod's address",
      pool("p", {}, { free: 0n, used: 10n }),
      { reusablePools: new Set(["p"]) },
    ],
    [
      "match_master_subnet: the master has an address in the pool's subnet",
      pool("p", { subnet: "10.20.0.0/16" }),
      { master: { name: "enp1s0f0", addresses: ["172.30.0.1", "10.20.0.5"] } },
    ],
    [
      "match_master_subnet: a pool naming the NIC's network is accepted before the master is looked at",
      pool("p", { subnet: "10.99.0.0/16", multusName: ["kube-system/macvlan"] }),
      { master: { name: "enp1s0f0", addresses: ["10.20.0.5"] } },
    ],
    [
      "match_master_subnet: the workload's own auto pool",
      pool(
        "auto4-web",
        { subnet: "10.99.0.0/16", podAffinity: autoAffinity },
        { labels: autoLabels },
      ),
      { master: { problem: "no master" } },
    ],
  ];
  for (const [why, p, ctx] of accepted)
    it(`accepts: ${why}`, () => assert.equal(filterPool(p, { ...context, ...ctx }), undefined));

  const clusterUnset = (): Result<NicNetwork, NicNetworkError> =>
    err({ code: "cluster_network_unset" });
  const rejected: Array<
    [why: string, p: PoolView, rule: string, reason: string, ctx?: Partial<FilterContext>]
  > = [
    [
      "a: terminating",
      pool("p", { disable: true }, { terminating: true }),
      "terminating",
      "terminating IPPool p",
    ],
    ["b: disabled", pool("p", { disable: true, ipVersion: 6 }), "disabled", "disabled IPPool p"],
    ["c: no ipVersion", { ...pool("p"), spec: {} }, "ip_version", "nil ippool ipVersion"],
    [
      "c: other family",
      pool("p", { ipVersion: 6 }),
      "ip_version",
      "expect an IPv4 IPPool, but the version of the IPPool p is IPv6",
    ],
    [
      "c: other family, IPv6 list",
      pool("p"),
      "ip_version",
      "expect an IPv6 IPPool, but the version of the IPPool p is IPv4",
      { family: 6 },
    ],
    [
      "d: node name",
      pool("p", { nodeName: ["worker-2"] }),
      "node",
      "unmatched Node name of IPPool p (node worker-1)",
    ],
    [
      "d: node affinity",
      pool("p", { nodeAffinity: { matchLabels: { zone: "b" } } }),
      "node",
      "unmatched Node affinity of IPPool p (node worker-1)",
    ],
    [
      "d: invalid node affinity",
      pool("p", {
        nodeAffinity: { matchExpressions: [{ key: "zone", operator: "In", values: [] }] },
      }),
      "node",
      "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      "e: namespace name",
      pool("p", { namespaceName: ["other"] }),
      "namespace",
      "unmatched Namespace name of IPPool p (namespace ns)",
    ],
    [
      "e: namespace affinity",
      pool("p", { namespaceAffinity: { matchLabels: { team: "red" } } }),
      "namespace",
      "unmatched Namespace affinity of IPPool p (namespace ns)",
    ],
    [
      "f: pod affinity",
      pool("p", { podAffinity: { matchLabels: { app: "db" } } }),
      "pod_affinity",
      "unmatched Pod affinity of IPPool p",
    ],
    [
      "f: auto pool of another workload",
      pool(
        "auto4-db",
        {
          podAffinity: {
            matchLabels: { ...autoAffinity.matchLabels, "ipam.spidernet.io/app-name": "db" },
          },
        },
        { labels: autoLabels },
      ),
      "pod_affinity",
      "unmatched Pod annifity of auto-created IPool auto4-db (application apps/v1 Deployment ns/web)",
    ],
    [
      "g: multusName",
      pool("p", { multusName: ["kube-system/ipvlan", "macvlan"] }),
      "multus",
      "the spec.multusName [kube-system/ipvlan macvlan] in the IPPool p used by the Pod interface eth0 is not matched with the multusCR kube-system/macvlan specified by the Pod",
    ],
    [
      "g: cluster network unset, with multusName",
      pool("p", { multusName: ["a", "b/c"] }),
      "multus",
      "cluster-network multus isn't set, the IPPool p specified multusName [a b/c] unmatched",
      { nicNetwork: clusterUnset },
    ],
    [
      "g: no NAD for the NIC",
      pool("p", { multusName: ["a"] }),
      "multus",
      "unknown: no matched multus object for NIC 'net2'. The multus network-attachments: a",
      {
        nic: "net2",
        nicNetwork: () =>
          err({
            code: "no_network_for_nic",
            message:
              "unknown: no matched multus object for NIC 'net2'. The multus network-attachments: a",
          }),
      },
    ],
    [
      "ours: exhausted",
      pool("p", {}, { free: 0n, used: 254n, total: 254n }),
      "exhausted",
      "254/254 addresses used",
    ],
    [
      "ours: exhausted by reservations",
      pool("p", {}, { free: 0n, used: 250n, total: 254n }),
      "exhausted",
      "250/254 addresses used, 4 reserved",
    ],
    [
      "ours: exhausted auto pool",
      pool(
        "auto4-web",
        { podAffinity: autoAffinity },
        { labels: autoLabels, free: 0n, used: 3n, total: 3n },
      ),
      "exhausted",
      "3/3 addresses used",
    ],
    [
      "match_master_subnet: no address of the master in the pool's subnet",
      pool("p", { subnet: "10.99.0.0/16" }),
      "master_subnet",
      `filterPoolCandidatesByPfSubnet: the ippool's subnet "10.99.0.0/16" not found on pod's PF "enp1s0f0" (addresses of enp1s0f0: 10.20.0.5)`,
      { master: { name: "enp1s0f0", addresses: ["10.20.0.5"] } },
    ],
    [
      "match_master_subnet: the master could not be read",
      pool("p", { subnet: "10.20.0.0/16" }),
      "master_subnet",
      'filterPoolCandidatesByPfSubnet: failed to get link "enp9" on the host',
      { master: { problem: 'failed to get link "enp9" on the host' } },
    ],
  ];
  for (const [why, p, rule, reason, ctx] of rejected) {
    it(`rejects: ${why}`, () =>
      assert.deepEqual(filterPool(p, { ...context, ...ctx }), { pool: p.name, rule, reason }));
  }

  it("resolves the NIC's NAD only for pools that reach the Multus rule", () => {
    let calls = 0;
    const counting = {
      ...context,
      nicNetwork: () => (calls++, ok({ namespace: "kube-system", name: "macvlan" })),
    };
    filterPool(pool("p", { disable: true }), counting);
    filterPool(pool("auto4-web", { podAffinity: autoAffinity }, { labels: autoLabels }), counting);
    // Without multusName the attachment does not matter (ours; Spiderpool rejects without Multus).
    filterPool(pool("p"), counting);
    assert.equal(calls, 0);
    assert.equal(filterPool(pool("p"), { ...context, nicNetwork: clusterUnset }), undefined);
    filterPool(pool("p", { multusName: ["macvlan"] }), counting);
    assert.equal(calls, 1);
  });
});
