import assert from "node:assert/strict";
import { deploymentObject, planWorkload, poolObjects } from "./cluster-workload.js";

describe("bench:cluster workload", () => {
  it("spreads every replica over Deployments, namespaces and pools, a third dual stack", () => {
    const w = planWorkload("ab12", 1030, 50, 6);
    assert.equal(
      w.deployments.reduce((s, d) => s + d.replicas, 0),
      1030,
    );
    assert.equal(w.deployments.length, 21);
    assert.equal(w.deployments.at(-1)!.replicas, 30);
    assert.equal(new Set(w.deployments.map(d => d.namespace)).size, 6);
    assert.equal(w.deployments.filter(d => d.pools.v6).length, 7);
    assert.equal(new Set(w.deployments.map(d => d.pools.v4)).size, 16);
  });

  it("gives each pool its own range, IPv4 /20s and IPv6 /116s", () => {
    const pools = poolObjects(planWorkload("ab12", 10, 5, 2)) as {
      spec: { ipVersion: number; subnet: string; ips: string[] };
    }[];
    assert.equal(pools.length, 20);
    assert.equal(new Set(pools.map(p => p.spec.subnet)).size, 20);
    assert.deepEqual(pools[1]!.spec, {
      ipVersion: 4,
      subnet: "10.220.16.0/20",
      ips: ["10.220.16.1-10.220.31.254"],
    });
    const v6 = pools.filter(p => p.spec.ipVersion === 6);
    assert.equal(v6.length, 4);
    assert.equal(v6[0]!.spec.subnet, "fd22:220::/116");
    assert.deepEqual(v6[1]!.spec.ips, ["fd22:220:0:1::1-fd22:220:0:1::ffe"]);
  });

  it("names the pools by annotation and keeps the Pods on the benchmark's nodes", () => {
    const w = planWorkload("ab12", 30, 10, 2);
    const d = deploymentObject("ab12", w.deployments[2]!) as {
      spec: { template: { metadata: { annotations: Record<string, string> }; spec: object } };
    };
    const pools = JSON.parse(d.spec.template.metadata.annotations["ipam.spidernet.io/ippool"]!);
    assert.deepEqual(Object.keys(pools), ["ipv4", "ipv6"]);
    assert.deepEqual(d.spec.template.spec, {
      ...d.spec.template.spec,
      nodeSelector: { "bench.spiderpool.io/storm": "true" },
    });
  });

  it("with racks, binds each pool to one rack's nodes and each Deployment to its pool's rack", () => {
    const w = planWorkload("ab12", 200, 10, 2, 4);
    const pools = poolObjects(w) as { spec: { nodeAffinity?: { matchLabels: object } } }[];
    assert.deepEqual(pools[5]!.spec.nodeAffinity, {
      matchLabels: { "bench.spiderpool.io/rack": "r1" },
    });
    assert.equal(new Set(w.pools.map(p => p.rack)).size, 4);
    for (const d of w.deployments) {
      const o = deploymentObject("ab12", d) as {
        spec: { template: { spec: { nodeSelector: Record<string, string> } } };
      };
      assert.equal(o.spec.template.spec.nodeSelector["bench.spiderpool.io/rack"], d.pools.rack);
    }
    const flat = poolObjects(planWorkload("ab12", 10, 5, 2)) as { spec: object }[];
    assert.ok(
      flat.every(p => !("nodeAffinity" in p.spec)),
      "one rack: cluster-wide pools",
    );
  });
});
