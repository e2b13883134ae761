import assert from "node:assert/strict";
import { decodeNetConf, supportedVersionOf, validateNetConf } from "./netconf.js";

const bytes = (text: string) => Buffer.from(text, "utf8");
const conf = (ipam: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
  cniVersion: "1.0.0",
  name: "macvlan-ens192",
  type: "macvlan",
  ipam: { type: "spiderpool", ...ipam },
  ...top,
});

describe("cni/netconf", () => {
  describe("decodeNetConf", () => {
    const bad: Array<[string, string | Buffer, RegExp]> = [
      ["empty", "", /stdin is empty/],
      ["whitespace", " \n\t", /stdin is empty/],
      ["truncated JSON", '{"cniVersion":"1.0.0"', /^failed to parse CNI network configuration: /],
      ["not JSON", "cniVersion=1.0.0", /^failed to parse CNI network configuration: /],
      ["an array", "[]", /expected a JSON object, got an array/],
      ["a string", '"x"', /expected a JSON object, got a string/],
      ["null", "null", /expected a JSON object, got null/],
      ["invalid UTF-8", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /^failed to parse CNI network configuration: /],
    ];
    for (const [what, input, msg] of bad) {
      it(`${what} → code 6`, () => {
        const r = decodeNetConf(typeof input === "string" ? bytes(input) : input);
        assert.equal(r.ok, false);
        if (r.ok) return;
        assert.equal(r.error.code, 6);
        assert.equal(r.error.details, "stdin");
        assert.match(r.error.msg, msg);
      });
    }
    it("decodes an object", () => assert.deepEqual(decodeNetConf(bytes('{"a":1}')), { ok: true, value: { a: 1 } }));
  });

  describe("validateNetConf: cniVersion", () => {
    for (const v of ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]) {
      it(`accepts ${v}`, () => {
        const r = validateNetConf(conf({}, { cniVersion: v }));
        assert.equal(r.ok && r.value.cniVersion, v);
        assert.equal(supportedVersionOf({ cniVersion: v }), v);
      });
    }
    for (const v of ["0.1.0", "0.2.0", "1.2.0", "", "1.0"]) {
      it(`rejects ${JSON.stringify(v)} with Spiderpool's text and code 1`, () => {
        const r = validateNetConf(conf({}, { cniVersion: v }));
        assert.deepEqual(r, {
          ok: false,
          error: {
            name: "incompatible_version",
            code: 1,
            msg: `failed to load CNI network configuration: unsupported specified CNI version ${v}, the CNI versions supported by Spiderpool: [0.3.0 0.3.1 0.4.0 1.0.0 1.1.0]`,
            details: "cniVersion",
          },
        });
        assert.equal(supportedVersionOf({ cniVersion: v }), undefined);
      });
    }
  });

  describe("validateNetConf: fields (code 7, field and value named)", () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["cniVersion not a string", { ...conf(), cniVersion: 1 }, "cniVersion: expected string, got 1"],
      ["no name", { cniVersion: "1.0.0", ipam: { type: "spiderpool" } }, "name: expected string, got missing"],
      ["bad name", conf({}, { name: "my net" }), 'name: invalid characters found in network name "my net"'],
      ["no ipam", { cniVersion: "1.0.0", name: "n" }, "ipam: expected object, got missing"],
      ["ipam not an object", conf({}, { ipam: "spiderpool" }), 'ipam: expected object, got "spiderpool"'],
      ["other ipam type", conf({ type: "host-local" }), 'ipam.type: expected "spiderpool", got "host-local"'],
      ["pool not a list", conf({ default_ipv4_ippool: "v4-a" }), 'ipam.default_ipv4_ippool: expected array, got "v4-a"'],
      ["pool entry not a string", conf({ default_ipv6_ippool: ["a", 7] }), "ipam.default_ipv6_ippool[1]: expected string, got 7"],
      ["clean_gateway as string", conf({ clean_gateway: "true" }), 'ipam.clean_gateway: expected boolean, got "true"'],
      ["max size as string", conf({ log_file_max_size: "100" }), 'ipam.log_file_max_size: expected number, got "100"'],
      ["socket path as number", conf({ ipam_unix_socket_path: 1 }), "ipam.ipam_unix_socket_path: expected string, got 1"],
      ["timeout zero", conf({ timeout_seconds: 0 }), "ipam.timeout_seconds: must be > 0, got 0"],
      ["timeout too big", conf({ timeout_seconds: 601 }), "ipam.timeout_seconds: must be <= 600, got 601"],
      ["timeout as string", conf({ timeout_seconds: "5" }), 'ipam.timeout_seconds: expected number, got "5"'],
      ["unknown log level", conf({ log_level: "verbose" }), "ipam.log_level: unsupported log level verbose"],
      [
        "valid-attachments malformed",
        conf({}, { "cni.dev/valid-attachments": [{ containerID: "a" }] }),
        "cni.dev/valid-attachments[0].ifname: expected string, got missing",
      ],
    ];
    for (const [what, input, text] of cases) {
      it(what, () => {
        const r = validateNetConf(input);
        assert.equal(r.ok, false);
        if (r.ok) return;
        assert.equal(r.error.code, 7);
        assert.ok(r.error.msg.startsWith("failed to load CNI network configuration: "), r.error.msg);
        assert.ok(r.error.msg.includes(text), `${r.error.msg}\nshould contain\n${text}`);
      });
    }
    it("reports every bad field at once", () => {
      const r = validateNetConf(conf({ type: "x", timeout_seconds: -1 }));
      assert.equal(r.ok || r.error.details, "ipam.type,ipam.timeout_seconds");
    });
  });

  describe("validateNetConf: defaults (spec §4.1)", () => {
    it("fills Spiderpool's defaults", () => {
      const r = validateNetConf(conf());
      assert.deepEqual(r, {
        ok: true,
        value: {
          cniVersion: "1.0.0",
          name: "macvlan-ens192",
          socketPath: "/var/run/spidernet/spiderpool.sock",
          defaultIPv4IPPool: undefined,
          defaultIPv6IPPool: undefined,
          cleanGateway: false,
          matchMasterSubnet: false,
          logLevel: "debug",
          logFilePath: undefined,
          logFile: { maxBytes: 100 * 1024 * 1024, maxAgeDays: 0, maxCount: 0 },
          timeoutSeconds: undefined,
          prevResult: undefined,
          validAttachments: undefined,
        },
      });
    });
    it("reads every field, log level case-insensitively, negative limits as Spiderpool does", () => {
      const r = validateNetConf(
        conf({
          default_ipv4_ippool: ["v4-a", "v4-backup*"],
          default_ipv6_ippool: ["v6-a"],
          clean_gateway: true,
          match_master_subnet: true,
          log_level: "WARN",
          log_file_path: "/tmp/x.log",
          log_file_max_size: -1,
          log_file_max_age: -1,
          log_file_max_count: -1,
          ipam_unix_socket_path: "/run/agent.sock",
          timeout_seconds: 2.5,
        }),
      );
      assert.equal(r.ok, true);
      if (!r.ok) return;
      assert.deepEqual(r.value.defaultIPv4IPPool, ["v4-a", "v4-backup*"]);
      assert.equal(r.value.logLevel, "warn");
      assert.deepEqual(r.value.logFile, { maxBytes: 100 * 1024 * 1024, maxAgeDays: 30, maxCount: 10 });
      assert.equal(r.value.socketPath, "/run/agent.sock");
      assert.equal(r.value.timeoutSeconds, 2.5);
      assert.equal(r.value.cleanGateway && r.value.matchMasterSubnet, true);
    });
    it("treats empty socket and log paths as unset", () => {
      const r = validateNetConf(conf({ ipam_unix_socket_path: "", log_file_path: "" }));
      assert.equal(r.ok && r.value.socketPath, "/var/run/spidernet/spiderpool.sock");
      assert.equal(r.ok && r.value.logFilePath, undefined);
    });
    it("ignores fields of the main plugin", () => {
      assert.equal(validateNetConf(conf({}, { master: "ens192", mode: "bridge", mtu: 1500 })).ok, true);
    });
  });
});
