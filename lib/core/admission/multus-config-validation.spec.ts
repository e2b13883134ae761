import assert from "node:assert/strict";
import { SpiderMultusConfigSchema, type SpiderMultusConfig } from "../../schemas/multus-config.js";
import { defaultMultusConfig, type MultusConfigObject } from "./multus-config-defaulting.js";
import { validateMultusConfig, type MultusConfigPeers } from "./multus-config-validation.js";

function smc(
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
  name = "smc-a",
): SpiderMultusConfig {
  const raw = { metadata: { name, namespace: "ns1", annotations }, spec };
  return SpiderMultusConfigSchema.parse(defaultMultusConfig(raw));
}

/** The denial message, or "allowed". */
function judge(s: SpiderMultusConfig, old?: SpiderMultusConfig, peers: MultusConfigPeers = {}) {
  const v = validateMultusConfig(s, old, peers);
  return v.allowed ? "allowed" : v.message;
}

const HEAD = 'SpiderMultusConfig.spiderpool.spidernet.io "smc-a" is invalid: ';

describe("multus-config-validation", () => {
  it("accepts a macvlan with one master, and custom with valid or empty JSON", () => {
    assert.equal(judge(smc({ cniType: "macvlan", macvlan: { master: ["eth0"] } })), "allowed");
    assert.equal(judge(smc({ cniType: "custom", customCNI: '{"type":"x"}' })), "allowed");
    assert.equal(judge(smc({})), "allowed");
  });

  it("refuses a missing block, an empty master, many masters without a bond, with Spiderpool's texts", () => {
    assert.equal(
      judge(smc({ cniType: "macvlan" })),
      `${HEAD}spec.macvlanConfig: Required value: no spec.macvlanConfig specified`,
    );
    assert.match(
      judge(smc({ cniType: "ipvlan", ipvlan: { master: [] } })),
      /^SpiderMultusConfig\.spiderpool\.spidernet\.io "smc-a" is invalid: spec\.ipvlanConfig: Invalid value: \{.*"master":\[\].*\}: master can't be empty$/,
    );
    assert.match(
      judge(smc({ cniType: "macvlan", macvlan: { master: ["eth0", "eth1"] } })),
      /: the bond property is nil with multiple Interfaces$/,
    );
    assert.match(
      judge(
        smc({
          cniType: "macvlan",
          macvlan: { master: ["eth0", "eth1"], bond: { name: "", mode: 0 } },
        }),
      ),
      /: bond name can't be empty$/,
    );
  });

  it("refuses a block of another type (the conflicting-fields rule)", () => {
    assert.equal(
      judge(
        smc({ cniType: "ipvlan", ipvlan: { master: ["eth0"] }, macvlan: { master: ["eth0"] } }),
      ),
      `${HEAD}spec.cniType: Forbidden: the cniType ipvlan only supports spec.ipvlanConfig, please remove other CNI configs`,
    );
    assert.equal(
      judge(smc({ cniType: "custom", sriov: { resourceName: "r" } })),
      `${HEAD}spec.cniType: Forbidden: the cniType custom only supports spec.customCniTypeConfig, please remove other CNI configs`,
    );
  });

  it("refuses matchMasterSubnet outside sriov, reversed rates, a missing sriov resource", () => {
    assert.match(
      judge(
        smc({
          cniType: "macvlan",
          macvlan: { master: ["e"], ippools: { matchMasterSubnet: true } },
        }),
      ),
      /: MatchMasterSubnet feature is not supported for macvlan$/,
    );
    assert.equal(
      judge(
        smc({
          cniType: "sriov",
          sriov: { resourceName: "r", minTxRateMbps: 10, maxTxRateMbps: 5 },
        }),
      ),
      `${HEAD}spec.sriovConfig: Invalid value: 10: minTxRateMbps must be less than maxTxRateMbps`,
    );
    assert.equal(
      judge(smc({ cniType: "sriov", sriov: {} })),
      `${HEAD}spec.sriovConfig: Required value: no spec.sriovConfig[resourceName] specified`,
    );
  });

  it("refuses vlan modes as Spiderpool does", () => {
    assert.match(
      judge(smc({ cniType: "vlan", vlan: { master: ["e"], vlanMode: "auto", vlanID: 3 } })),
      /: vlanId must not be specified when vlanMode is auto$/,
    );
    assert.equal(
      judge(smc({ cniType: "vlan", vlan: { master: ["e"], vlanMode: "auto" } })),
      "allowed",
    );
  });

  it("refuses invalid custom JSON and chained configs libcni would not load", () => {
    assert.equal(
      judge(smc({ cniType: "custom", customCNI: "{" })),
      `${HEAD}spec.customCniTypeConfig: Forbidden: customCniConfig isn't a valid JSON encoding`,
    );
    assert.equal(
      judge(
        smc({ cniType: "macvlan", macvlan: { master: ["e"] }, chainCNIJsonData: ['{"name":"x"}'] }),
      ),
      `${HEAD}spec.chainCNIJsonData: Forbidden: invalid {"name":"x"}: error parsing configuration: missing 'type'`,
    );
    assert.equal(
      judge(smc({ cniType: "macvlan", macvlan: { master: ["e"] }, chainCNIJsonData: ["{"] })),
      `${HEAD}spec.chainCNIJsonData: Forbidden: invalid {: error parsing configuration: unexpected end of JSON input`,
    );
  });

  it("refuses resource injection for ovs and custom, and RDMA injection without a resource or pools", () => {
    const inject = { "cni.spidernet.io/rdma-resource-inject": "group-a" };
    assert.equal(
      judge(smc({ cniType: "ovs", ovs: { bridge: "br0" } }, inject)),
      `${HEAD}spec.cniType: Forbidden: the cniType ovs does not support RDMA resource or network resource injected`,
    );
    assert.match(
      judge(smc({ cniType: "macvlan", macvlan: { master: ["e"] } }, inject)),
      /: rdmaResourceName can not empty for spidermultusconfig ns1\/smc-a$/,
    );
    assert.match(
      judge(smc({ cniType: "macvlan", macvlan: { master: ["e"], rdmaResourceName: "r" } }, inject)),
      /: no any ippools configured for spidermultusconfig ns1\/smc-a$/,
    );
  });

  it("refuses ovs trunks Spiderpool refuses", () => {
    assert.match(
      judge(smc({ cniType: "ovs", ovs: { bridge: "b", trunk: [{ minID: 10, maxID: 5 }] } })),
      /: minID is greater than maxID in trunk parameter$/,
    );
  });

  it("checks the annotations: NAD name syntax, another SMC's NAD, the CNI version", () => {
    assert.match(
      judge(smc({}, { "multus.spidernet.io/cr-name": "Bad_Name" })),
      /^SpiderMultusConfig\.spiderpool\.spidernet\.io "smc-a" is invalid: metadata\.annotations: Invalid value: \{.*\}: invalid custom net-attach-def resource name, err: \[a lowercase RFC 1123 subdomain must consist of .*\]$/,
    );
    assert.match(
      judge(smc({}, { "multus.spidernet.io/cr-name": "x".repeat(254) })),
      /err: \[must be no more than 253 characters\]$/,
    );
    assert.match(
      judge(smc({}), undefined, {
        existingNadOwners: [{ kind: "SpiderMultusConfig", name: "smc-b" }],
      }),
      /: the net-attach-def ns1\/smc-a already exists and is managed by SpiderMultusConfig ns1\/smc-b\.$/,
    );
    // A hand-written NAD, or our own, is no obstacle: the controller takes it over.
    assert.equal(judge(smc({}), undefined, { existingNadOwners: [] }), "allowed");
    assert.equal(
      judge(smc({}), undefined, {
        existingNadOwners: [{ kind: "SpiderMultusConfig", name: "smc-a" }],
      }),
      "allowed",
    );
    assert.match(
      judge(smc({}, { "multus.spidernet.io/cni-version": "0.2.0" })),
      /: unsupported CNI version 0\.2\.0$/,
    );
  });

  it("UPDATE: the NAD name may neither change nor be set later", () => {
    const a = smc({}, { "multus.spidernet.io/cr-name": "a" });
    const b = smc({}, { "multus.spidernet.io/cr-name": "b" });
    assert.equal(
      judge(b, a),
      `${HEAD}metadata.annotations: Invalid value: "a": it's unsupported to change customized Multus net-attach-def resource name from 'a' to 'b'`,
    );
    assert.equal(
      judge(b, smc({})),
      `${HEAD}metadata.annotations: Invalid value: "b": it's unsupported to changed Multus net-attach-def 'smc-a' to customized name 'b'`,
    );
  });

  it("does not look for the master on nodes: an interface name is all it checks, as Spiderpool", () => {
    assert.equal(
      judge(smc({ cniType: "macvlan", macvlan: { master: ["no-such-if0"] } })),
      "allowed",
    );
  });
});

describe("multus-config-defaulting", () => {
  it("fills custom, drops the coordinator for it, copies inject annotations to labels", () => {
    const input: MultusConfigObject = {
      metadata: { name: "a", annotations: { "cni.spidernet.io/rdma-resource-inject": "g" } },
      spec: { enableCoordinator: true, coordinator: { mode: "overlay" as const } },
    };
    const before = structuredClone(input);
    const out = defaultMultusConfig(input);
    assert.deepEqual(input, before, "the input must not change");
    assert.deepEqual(out.spec, {
      cniType: "custom",
      customCNI: "",
      enableCoordinator: false,
      chainCNIJsonData: [],
    });
    assert.deepEqual(out.metadata?.labels, { "cni.spidernet.io/rdma-resource-inject": "g" });
  });

  it("fills the macvlan block and the coordinator as Spiderpool", () => {
    const out = defaultMultusConfig<MultusConfigObject>({
      metadata: { name: "a" },
      spec: { cniType: "macvlan", macvlan: { master: ["eth0"], bond: { name: "b", mode: 1 } } },
    });
    assert.deepEqual(out.spec?.macvlan, {
      master: ["eth0"],
      vlanID: 0,
      mtu: 0,
      rdmaResourceName: "",
      bond: { name: "b", mode: 1, options: "" },
      ippools: { ipv4: [], ipv6: [] },
    });
    assert.deepEqual(out.spec?.coordinator, {
      mode: "auto",
      hijackCIDR: [],
      policyRoutes: [],
      vethLinkAddress: "",
      podMACPrefix: "",
      podDefaultRouteNIC: "",
      podRPFilter: 0,
      tunePodRoutes: true,
    });
  });

  it("leaves an unknown cniType for the CRD's enum to refuse", () => {
    const out = defaultMultusConfig({ metadata: { name: "a" }, spec: { cniType: "flannel" } });
    assert.equal(out.spec?.cniType, "flannel");
    assert.ok(!SpiderMultusConfigSchema.safeParse(out).success);
  });
});
