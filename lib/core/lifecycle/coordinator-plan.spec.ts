import assert from "node:assert/strict";
import { effectiveSwitch, nicAddresses, planProbes } from "./coordinator-plan.js";

const result = {
  cniVersion: "1.0.0",
  interfaces: [
    { name: "eth0", sandbox: "/run/netns/x" },
    { name: "net1", sandbox: "/run/netns/x" },
  ],
  ips: [
    { address: "10.6.0.5/24", gateway: "10.6.0.1", interface: 1 },
    { address: "fd00:0:0:0::5/64", gateway: "fd00::1", interface: 1 },
    { address: "10.9.0.7/24", gateway: "10.9.0.1", interface: 0 },
  ],
};

describe("nicAddresses", () => {
  it("takes the entries of the named interface, canonical, with their claim names", () => {
    const r = nicAddresses(result, "net1");
    assert.ok(r.ok);
    assert.deepEqual(r.addresses, [
      { ip: "10.6.0.5", family: 4, claim: "10.6.0.5", gateway: { ip: "10.6.0.1", family: 4 } },
      {
        ip: "fd00::5",
        family: 6,
        claim: "v6-fd000000000000000000000000000005",
        gateway: { ip: "fd00::1", family: 6 },
      },
    ]);
  });
  it("takes every entry when the result gives no interface index", () => {
    const r = nicAddresses({ ips: [{ address: "10.6.0.5/24" }] }, "net1");
    assert.ok(r.ok);
    assert.deepEqual(
      r.addresses.map(a => a.ip),
      ["10.6.0.5"],
    );
  });
  const bad: Array<[string, unknown, RegExp]> = [
    [
      "no prevResult",
      undefined,
      /prevResult is missing: chain the coordinator after the main plugin/,
    ],
    [
      "an address that is not one",
      { ips: [{ address: "10.6.0/24" }] },
      /prevResult\.ips\[0\]\.address: .*got "10\.6\.0\/24"/,
    ],
    [
      "a gateway of the other family",
      { ips: [{ address: "10.6.0.5/24", gateway: "fd00::1" }] },
      /prevResult\.ips\[0\]\.gateway: expected an IPv4 address \(got "fd00::1"\)/,
    ],
  ];
  for (const [why, value, msg] of bad) {
    it(`refuses ${why}, naming the field and value`, () => {
      const r = nicAddresses(value, "net1");
      assert.ok(!r.ok);
      assert.match(r.problem, msg);
    });
  }
});

describe("planProbes", () => {
  const r = nicAddresses(result, "net1");
  assert.ok(r.ok);
  it("probes every address for a conflict and every gateway once, from the NIC's own address", () => {
    assert.deepEqual(
      planProbes([...r.addresses, { ...r.addresses[0]!, ip: "10.6.0.6", claim: "10.6.0.6" }], {
        ipConflict: true,
        gateway: true,
      }),
      [
        { kind: "conflict", ip: "10.6.0.5", family: 4 },
        { kind: "conflict", ip: "fd00::5", family: 6 },
        { kind: "conflict", ip: "10.6.0.6", family: 4 },
        { kind: "gateway", ip: "10.6.0.1", family: 4, source: "10.6.0.5" },
        { kind: "gateway", ip: "fd00::1", family: 6, source: "fd00::5" },
      ],
    );
  });
  it("plans nothing with both switches off, only what is switched on otherwise", () => {
    assert.deepEqual(planProbes(r.addresses, { ipConflict: false, gateway: false }), []);
    assert.deepEqual(
      planProbes(r.addresses, { ipConflict: false, gateway: true }).map(p => p.kind),
      ["gateway", "gateway"],
    );
  });
});

describe("effectiveSwitch", () => {
  it("the netconf wins over the SpiderCoordinator default, which wins over off", () => {
    assert.equal(effectiveSwitch(false, true), false);
    assert.equal(effectiveSwitch(true, false), true);
    assert.equal(effectiveSwitch(undefined, true), true);
    assert.equal(effectiveSwitch(undefined, undefined), false);
  });
});
