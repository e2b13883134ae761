import assert from "node:assert/strict";
import type { IpamAddResponse } from "../schemas/agent-api.js";
import { OK_ALLOCATION } from "../testing/fake-agent.js";
import type { CniVersion } from "./netconf.js";
import { cidrFamily, prevResultAddresses, toCniResult } from "./result.js";

describe("cni/result", () => {
  describe("toCniResult for every supported version", () => {
    const legacy = {
      ips: [
        { version: "4", address: "10.6.168.101/16", gateway: "10.6.0.1" },
        { version: "6", address: "fd00:10:6::65/64", gateway: "fd00:10:6::1" },
      ],
      routes: [
        { dst: "0.0.0.0/0", gw: "10.6.0.1" },
        { dst: "::/0", gw: "fd00:10:6::1" },
      ],
      dns: {},
    };
    const current = { ...legacy, ips: legacy.ips.map(({ version: _v, ...ip }) => ip) };
    const cases: Array<[CniVersion, object]> = [
      ["0.3.0", legacy],
      ["0.3.1", legacy],
      ["0.4.0", legacy],
      ["1.0.0", current],
      ["1.1.0", current],
    ];
    for (const [version, expected] of cases) {
      it(`${version}: eth0 only, ${version.startsWith("0.") ? "with" : "without"} ips[].version, no interfaces`, () => {
        const r = toCniResult(OK_ALLOCATION, "eth0", version);
        assert.deepEqual(r, { ok: true, value: { cniVersion: version, ...expected } });
      });
    }
    it("keeps the second NIC's own part", () => {
      const r = toCniResult(OK_ALLOCATION, "net1", "1.0.0");
      assert.deepEqual(r, {
        ok: true,
        value: {
          cniVersion: "1.0.0",
          ips: [{ address: "172.20.0.9/24" }],
          routes: [{ dst: "172.30.0.0/16", gw: "172.20.0.1" }],
          dns: {},
        },
      });
    });
    it("omits routes when there are none and copies non-empty DNS fields", () => {
      const response: IpamAddResponse = {
        ips: [{ version: 4, address: "10.0.0.2/24", nic: "eth0" }],
        dns: { nameservers: ["10.0.0.53"], domain: "", search: ["svc.local"], options: [] },
      };
      assert.deepEqual(toCniResult(response, "eth0", "0.3.1"), {
        ok: true,
        value: {
          cniVersion: "0.3.1",
          ips: [{ version: "4", address: "10.0.0.2/24" }],
          dns: { nameservers: ["10.0.0.53"], search: ["svc.local"] },
        },
      });
    });
    it("fails with Spiderpool's text when nothing is for this NIC", () => {
      assert.deepEqual(toCniResult(OK_ALLOCATION, "net9", "1.0.0"), {
        ok: false,
        error: {
          name: "no_allocation_for_interface",
          code: 102,
          msg: "spiderpool IP allocation error: no Interface net9 IP allocation found",
          details: "net9",
        },
      });
    });
    const badAddresses: Array<[4 | 6, string]> = [
      [4, "10.0.0.1"],
      [4, "10.0.0.1/33"],
      [6, "10.0.0.1/24"],
      [4, "fd00::1/64"],
      [6, "fd00::1/129"],
      [4, "x/24"],
    ];
    for (const [version, address] of badAddresses) {
      it(`rejects IPv${version} ${address} from the agent (code 101)`, () => {
        const r = toCniResult({ ips: [{ version, address, nic: "eth0" }] }, "eth0", "1.0.0");
        assert.equal(r.ok || r.error.code, 101);
        assert.ok(!r.ok && r.error.msg.includes(JSON.stringify(address)));
      });
    }
  });

  describe("cidrFamily", () => {
    const cases: Array<[string, 4 | 6 | undefined]> = [
      ["10.0.0.0/0", 4],
      ["10.0.0.1/32", 4],
      ["::/0", 6],
      ["fd00::1/128", 6],
      ["10.0.0.1/", undefined],
      ["10.0.0.1/-1", undefined],
      ["10.0.0.1/1e1", undefined],
      ["", undefined],
    ];
    for (const [text, family] of cases)
      it(JSON.stringify(text), () => assert.equal(cidrFamily(text), family));
  });

  describe("prevResultAddresses (CHECK)", () => {
    it("takes entries without an interface index (an IPAM-only result)", () => {
      const prev = {
        cniVersion: "1.0.0",
        ips: [{ address: "10.6.168.101/16" }, { address: "fd00:10:6::65/64" }],
      };
      assert.deepEqual(prevResultAddresses(prev, "eth0"), {
        ok: true,
        value: ["10.6.168.101/16", "fd00:10:6::65/64"],
      });
    });
    it("takes entries of the named sandbox interface from a chained 0.4.0 result", () => {
      const prev = {
        cniVersion: "0.4.0",
        interfaces: [
          { name: "eth0", mac: "aa:bb:cc:dd:ee:ff", sandbox: "/var/run/netns/p1" },
          { name: "eth0", mac: "aa:bb:cc:dd:ee:00" },
          { name: "net1", sandbox: "/var/run/netns/p1" },
        ],
        ips: [
          { version: "4", address: "10.6.168.101/16", interface: 0 },
          { version: "4", address: "192.168.0.1/24", interface: 1 },
          { version: "4", address: "172.20.0.9/24", interface: 2 },
        ],
      };
      assert.deepEqual(prevResultAddresses(prev, "eth0"), { ok: true, value: ["10.6.168.101/16"] });
    });
    const bad: Array<[string, unknown, string]> = [
      ["missing", undefined, "prevResult: required for CHECK"],
      ["not an object", [1], "prevResult: expected object"],
      ["ips not an array", { ips: {} }, "prevResult.ips: expected array"],
      [
        "interfaces not an array",
        { ips: [], interfaces: 1 },
        "prevResult.interfaces: expected array",
      ],
      [
        "address without prefix",
        { ips: [{ address: "10.0.0.1" }] },
        'prevResult.ips[0].address: expected an address with prefix length, got "10.0.0.1"',
      ],
      [
        "dangling interface index",
        { ips: [{ address: "10.0.0.1/24", interface: 3 }] },
        "prevResult.ips[0].interface: no interface at index 3",
      ],
    ];
    for (const [what, prev, msg] of bad) {
      it(`rejects ${what} (code 7)`, () => {
        const r = prevResultAddresses(prev, "eth0");
        assert.equal(r.ok || r.error.code, 7);
        assert.ok(!r.ok && r.error.msg.includes(msg), JSON.stringify(r));
      });
    }
  });
});
