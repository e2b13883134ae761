import assert from "node:assert/strict";
import { SpiderMultusConfigSchema, type SpiderMultusConfig } from "../../schemas/multus-config.js";
import { defaultMultusConfig } from "../admission/multus-config-defaulting.js";
import { nadContentOf, nadNameOf } from "./nad-config.js";

/** An SMC as stored: parsed (CRD defaults) after our defaulting webhook. */
function smc(
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
): SpiderMultusConfig {
  const raw = { metadata: { name: "net-a", namespace: "ns1", annotations }, spec };
  return SpiderMultusConfigSchema.parse(defaultMultusConfig(raw));
}

function configOf(s: SpiderMultusConfig): Record<string, unknown> {
  const r = nadContentOf(s);
  assert.ok(r.ok, JSON.stringify(r));
  assert.ok(r.value.config !== undefined);
  return JSON.parse(r.value.config) as Record<string, unknown>;
}

describe("nad-config", () => {
  it("macvlan: Spiderpool's text byte for byte, pools in the spiderpool IPAM, coordinator chained", () => {
    const r = nadContentOf(
      smc({
        cniType: "macvlan",
        macvlan: { master: ["eth0"], ippools: { ipv4: ["v4-a"], ipv6: ["v6-a"] } },
      }),
    );
    assert.ok(r.ok);
    assert.equal(r.value.name, "net-a");
    assert.equal(r.value.namespace, "ns1");
    assert.equal(
      r.value.config,
      '{"cniVersion":"0.3.1","name":"net-a","plugins":[' +
        '{"type":"macvlan","master":"eth0","mode":"bridge","mtu":0,"ipam":{"type":"spiderpool","default_ipv4_ippool":["v4-a"],"default_ipv6_ippool":["v6-a"]}},' +
        '{"tunePodRoutes":true,"mode":"auto","type":"coordinator"}]}',
    );
  });

  it("leaves the coordinator out when disabled and the IPAM section out with disableIPAM", () => {
    const c = configOf(
      smc({
        cniType: "ipvlan",
        enableCoordinator: false,
        disableIPAM: true,
        ipvlan: { master: ["eth1"] },
      }),
    );
    assert.deepEqual(c.plugins, [{ type: "ipvlan", master: "eth1", mtu: 0 }]);
  });

  it("a VLAN or two masters put ifacer first and hang the main plugin off <bond>.<vlan>", () => {
    const c = configOf(
      smc({
        cniType: "macvlan",
        enableCoordinator: false,
        macvlan: { master: ["eth0", "eth1"], vlanID: 100, bond: { mode: 1, name: "bond0" } },
      }),
    );
    const plugins = c.plugins as Record<string, unknown>[];
    assert.deepEqual(plugins[0], {
      vlanID: 100,
      type: "ifacer",
      interfaces: ["eth0", "eth1"],
      bond: { name: "bond0", mode: 1, options: "" },
    });
    assert.equal(plugins[1]?.master, "bond0.100");
    assert.equal(plugins.length, 2);
  });

  it("takes the NAD name, config name and cniVersion from the annotations", () => {
    const s = smc(
      { cniType: "macvlan", macvlan: { master: ["eth0"] } },
      {
        "multus.spidernet.io/cr-name": "other-name",
        "multus.spidernet.io/cni-version": "1.0.0",
        "cni.spidernet.io/cniconfig-name": "conf-name",
      },
    );
    assert.equal(nadNameOf(s), "other-name");
    const r = nadContentOf(s);
    assert.ok(r.ok);
    assert.equal(r.value.name, "other-name");
    assert.equal(r.value.annotations["multus.spidernet.io/cni-version"], "1.0.0");
    const c = JSON.parse(r.value.config!) as Record<string, unknown>;
    assert.equal(c.cniVersion, "1.0.0");
    assert.equal(c.name, "conf-name");
  });

  it("sriov: resourceName annotation, match_master_subnet, rdma and tuning around the main plugin", () => {
    const s = smc({
      cniType: "sriov",
      sriov: {
        resourceName: "vendor.io/vf",
        mtu: 9000,
        rdmaIsolation: true,
        ippools: { ipv4: ["v4"], matchMasterSubnet: true },
      },
    });
    const r = nadContentOf(s);
    assert.ok(r.ok);
    assert.equal(r.value.annotations["k8s.v1.cni.cncf.io/resourceName"], "vendor.io/vf");
    const plugins = (JSON.parse(r.value.config!) as { plugins: Record<string, unknown>[] }).plugins;
    assert.deepEqual(
      plugins.map(p => p.type),
      ["sriov", "rdma", "coordinator", "tuning"],
    );
    assert.deepEqual(plugins[0], {
      vlan: 0,
      min_tx_rate: 0,
      max_tx_rate: 0,
      type: "sriov",
      ipam: { type: "spiderpool", default_ipv4_ippool: ["v4"], match_master_subnet: true },
    });
    assert.deepEqual(plugins[3], { type: "tuning", mtu: 9000 });
  });

  it("ovs with a deviceID asks for the bridge's resource; trunk keeps Go's field order", () => {
    const r = nadContentOf(
      smc({
        cniType: "ovs",
        enableCoordinator: false,
        ovs: { bridge: "br1", deviceID: "0000:01:00.1", trunk: [{ id: 5, minID: 1, maxID: 3 }] },
      }),
    );
    assert.ok(r.ok);
    assert.equal(
      r.value.annotations["k8s.v1.cni.cncf.io/resourceName"],
      "ovs-cni.network.kubevirt.io/br1",
    );
    assert.equal(
      r.value.config,
      '{"cniVersion":"0.3.1","name":"net-a","plugins":[{"vlan":0,"type":"ovs","bridge":"br1","deviceID":"0000:01:00.1","ipam":{"type":"spiderpool"},"trunk":[{"minID":1,"maxID":3,"id":5}]}]}',
    );
  });

  it("chains chainCNIJsonData between the main plugin and the coordinator", () => {
    const c = configOf(
      smc({
        cniType: "macvlan",
        macvlan: { master: ["eth0"] },
        chainCNIJsonData: ['{"type":"bandwidth","ingressRate":100}'],
      }),
    );
    assert.deepEqual(
      (c.plugins as Record<string, unknown>[]).map(p => p.type),
      ["macvlan", "bandwidth", "coordinator"],
    );
  });

  it("custom: customCNI verbatim, no config at all when it is empty, never a coordinator", () => {
    const text = '{"cniVersion":"0.3.1","name":"x","type":"bridge"}';
    const r = nadContentOf(smc({ cniType: "custom", customCNI: text, enableCoordinator: true }));
    assert.ok(r.ok);
    assert.equal(r.value.config, text);
    const empty = nadContentOf(smc({}));
    assert.ok(empty.ok);
    assert.equal(empty.value.config, undefined);
  });

  it("copies the detections into the coordinator, and podRPFilter only with podCIDRType as Spiderpool does", () => {
    const c = configOf(
      smc({
        cniType: "macvlan",
        macvlan: { master: ["eth0"] },
        coordinator: { detectIPConflict: true, detectGateway: false, podRPFilter: 1 },
      }),
    );
    const coordinator = (c.plugins as Record<string, unknown>[])[1];
    assert.deepEqual(coordinator, {
      txQueueLen: 0,
      detectIPConflict: true,
      detectGateway: false,
      tunePodRoutes: false,
      mode: "auto",
      type: "coordinator",
    });
  });

  it("reports an SMC without the block its cniType needs instead of writing a NAD", () => {
    const raw: SpiderMultusConfig = {
      metadata: { name: "x", namespace: "n" },
      spec: { cniType: "macvlan", enableCoordinator: true, disableIPAM: false },
    };
    const r = nadContentOf(raw);
    assert.ok(!r.ok);
    assert.equal(r.error.code, "missing_cni_block");
    assert.match(r.error.message, /spec\.macvlan/);
  });
});
