import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DEFAULT_HOST_DIRS } from "./host-dirs.js";
import {
  decodeNetConf,
  supportedVersionOf,
  validateNetConf as validateWith,
  timeoutProblem,
} from "./netconf.js";

const validateNetConf = (json: Record<string, unknown>) => validateWith(json, DEFAULT_HOST_DIRS);
/** The table the exec shim's Go test reads too (cni/shim/main_test.go). */
const TIMEOUT_TABLE = JSON.parse(
  readFileSync(new URL("../../cni/shim/testdata/timeout-seconds.json", import.meta.url), "utf8"),
) as {
  cases: { input: string; seconds?: number; error?: string; notANumber?: boolean }[];
};

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
      [
        "invalid UTF-8",
        Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
        /^failed to parse CNI network configuration: /,
      ],
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
    it("decodes an object", () =>
      assert.deepEqual(decodeNetConf(bytes('{"a":1}')), { ok: true, value: { a: 1 } }));
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
      [
        "cniVersion not a string",
        { ...conf(), cniVersion: 1 },
        "cniVersion: expected string, got 1",
      ],
      [
        "no name",
        { cniVersion: "1.0.0", ipam: { type: "spiderpool" } },
        "name: expected string, got missing",
      ],
      [
        "bad name",
        conf({}, { name: "my net" }),
        'name: invalid characters found in network name "my net"',
      ],
      ["no ipam", { cniVersion: "1.0.0", name: "n" }, "ipam: expected object, got missing"],
      [
        "ipam not an object",
        conf({}, { ipam: "spiderpool" }),
        'ipam: expected object, got "spiderpool"',
      ],
      [
        "other ipam type",
        conf({ type: "host-local" }),
        'ipam.type: expected "spiderpool", got "host-local"',
      ],
      [
        "pool not a list",
        conf({ default_ipv4_ippool: "v4-a" }),
        'ipam.default_ipv4_ippool: expected array, got "v4-a"',
      ],
      [
        "pool entry not a string",
        conf({ default_ipv6_ippool: ["a", 7] }),
        "ipam.default_ipv6_ippool[1]: expected string, got 7",
      ],
      [
        "clean_gateway as string",
        conf({ clean_gateway: "true" }),
        'ipam.clean_gateway: expected boolean, got "true"',
      ],
      [
        "max size as string",
        conf({ log_file_max_size: "100" }),
        'ipam.log_file_max_size: expected number, got "100"',
      ],
      [
        "max size fractional",
        conf({ log_file_max_size: 0.5 }),
        "ipam.log_file_max_size: expected int, got 0.5",
      ],
      [
        "max size zero",
        conf({ log_file_max_size: 0 }),
        "ipam.log_file_max_size: must be >= 1, got 0",
      ],
      [
        "max size negative",
        conf({ log_file_max_size: -1 }),
        "ipam.log_file_max_size: must be >= 1, got -1",
      ],
      [
        "max size huge",
        conf({ log_file_max_size: 1e300 }),
        "ipam.log_file_max_size: must be <= 9007199254740991, got 1e+300",
      ],
      [
        "max size over 1 GiB",
        conf({ log_file_max_size: 1025 }),
        "ipam.log_file_max_size: must be <= 1024, got 1025",
      ],
      [
        "max count zero",
        conf({ log_file_max_count: 0 }),
        "ipam.log_file_max_count: must be >= 1, got 0",
      ],
      [
        "max count fractional",
        conf({ log_file_max_count: 1.5 }),
        "ipam.log_file_max_count: expected int, got 1.5",
      ],
      [
        "max count too many",
        conf({ log_file_max_count: 101 }),
        "ipam.log_file_max_count: must be <= 100, got 101",
      ],
      [
        "max age negative",
        conf({ log_file_max_age: -1 }),
        "ipam.log_file_max_age: must be >= 0, got -1",
      ],
      [
        "max age fractional",
        conf({ log_file_max_age: 0.5 }),
        "ipam.log_file_max_age: expected int, got 0.5",
      ],
      [
        "socket path as number",
        conf({ ipam_unix_socket_path: 1 }),
        "ipam.ipam_unix_socket_path: expected string, got 1",
      ],
      [
        "timeout as string",
        conf({ timeout_seconds: "5" }),
        'ipam.timeout_seconds: expected number, got "5"',
      ],
      [
        "log file outside the log directory",
        conf({ log_file_path: "/etc/passwd" }),
        `ipam.log_file_path: must be a file below the node's plugin log directory /var/log/spidernet, got "/etc/passwd"`,
      ],
      [
        "log file climbing out with ..",
        conf({ log_file_path: "/var/log/spidernet/../../../etc/cron.d/x" }),
        `ipam.log_file_path: must be a file below the node's plugin log directory /var/log/spidernet, got "/var/log/spidernet/../../../etc/cron.d/x"`,
      ],
      [
        "log file relative",
        conf({ log_file_path: "spiderpool.log" }),
        `ipam.log_file_path: must be a file below the node's plugin log directory /var/log/spidernet, got "spiderpool.log"`,
      ],
      [
        "log file is the directory",
        conf({ log_file_path: "/var/log/spidernet/" }),
        `ipam.log_file_path: must be a file below the node's plugin log directory /var/log/spidernet, got "/var/log/spidernet/"`,
      ],
      [
        "log file in a sibling directory",
        conf({ log_file_path: "/var/log/spidernet2/x.log" }),
        `got "/var/log/spidernet2/x.log"`,
      ],
      [
        "foreign socket",
        conf({ ipam_unix_socket_path: "/var/run/docker.sock" }),
        `ipam.ipam_unix_socket_path: must be a socket below the node's run directory /var/run/spidernet, got "/var/run/docker.sock"`,
      ],
      [
        "socket climbing out with ..",
        conf({ ipam_unix_socket_path: "/var/run/spidernet/../x.sock" }),
        `ipam.ipam_unix_socket_path: must be a socket below the node's run directory /var/run/spidernet, got "/var/run/spidernet/../x.sock"`,
      ],
      [
        "unknown log level",
        conf({ log_level: "verbose" }),
        "ipam.log_level: unsupported log level verbose",
      ],
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
        assert.ok(
          r.error.msg.startsWith("failed to load CNI network configuration: "),
          r.error.msg,
        );
        assert.ok(r.error.msg.includes(text), `${r.error.msg}\nshould contain\n${text}`);
      });
    }
    it("reports every bad schema field at once", () => {
      const r = validateNetConf(conf({ type: "x", log_file_max_size: 0.5 }));
      assert.equal(r.ok || r.error.details, "ipam.type,ipam.log_file_max_size");
    });
    it("puts the node's own directories, not the defaults, in the texts", () => {
      const r = validateWith(conf({ log_file_path: "/var/log/spidernet/x.log" }), {
        logDir: "/srv/logs",
        runDir: "/srv/run",
      });
      assert.equal(
        r.ok || r.error.msg,
        `failed to load CNI network configuration: ipam.log_file_path: must be a file below the node's plugin log directory /srv/logs, got "/var/log/spidernet/x.log"`,
      );
    });
  });

  describe("validateNetConf: ipam.timeout_seconds, the table the exec shim is tested against", () => {
    it("has the cases the shim's Go test reads", () => assert.ok(TIMEOUT_TABLE.cases.length >= 10));
    for (const c of TIMEOUT_TABLE.cases) {
      it(`${c.input} → ${c.error ?? (c.notANumber ? "a type error from the schema" : `${c.seconds} s`)}`, () => {
        const r = validateNetConf(
          JSON.parse(
            `{"cniVersion":"1.0.0","name":"n","ipam":{"type":"spiderpool","timeout_seconds":${c.input}}}`,
          ) as Record<string, unknown>,
        );
        if (c.error !== undefined) {
          assert.deepEqual(r, {
            ok: false,
            error: {
              name: "invalid_network_config",
              code: 7,
              msg: c.error,
              details: "ipam.timeout_seconds",
            },
          });
        } else if (c.notANumber) {
          assert.equal(timeoutProblem(JSON.parse(c.input)), undefined);
          assert.equal(r.ok || r.error.details, "ipam.timeout_seconds");
          assert.match(r.ok ? "" : r.error.msg, /ipam\.timeout_seconds: expected number, got /);
        } else {
          assert.equal(r.ok && r.value.timeoutSeconds, c.seconds);
        }
      });
    }
    it("is checked before the schema, as the shim checks it before anything else", () => {
      const r = validateNetConf(conf({ type: "x", timeout_seconds: -1 }));
      assert.equal(r.ok || r.error.details, "ipam.timeout_seconds");
    });
  });

  describe("validateNetConf: defaults", () => {
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
          logFilePath: "/var/log/spidernet/spiderpool.log",
          logDir: "/var/log/spidernet",
          logFile: { maxBytes: 100 * 1024 * 1024, maxAgeDays: 0, maxCount: 10 },
          timeoutSeconds: undefined,
          prevResult: undefined,
          validAttachments: undefined,
        },
      });
    });
    it("reads every field, log level case-insensitively, paths normalised", () => {
      const r = validateNetConf(
        conf({
          default_ipv4_ippool: ["v4-a", "v4-backup*"],
          default_ipv6_ippool: ["v6-a"],
          clean_gateway: true,
          match_master_subnet: true,
          log_level: "WARN",
          log_file_path: "/var/log/spidernet/a/../x.log",
          log_file_max_size: 1,
          log_file_max_age: 7,
          log_file_max_count: 3,
          ipam_unix_socket_path: "/var/run/spidernet//agent.sock",
          timeout_seconds: 5,
        }),
      );
      assert.equal(r.ok, true);
      if (!r.ok) return;
      assert.deepEqual(r.value.defaultIPv4IPPool, ["v4-a", "v4-backup*"]);
      assert.equal(r.value.logLevel, "warn");
      assert.deepEqual(r.value.logFile, { maxBytes: 1024 * 1024, maxAgeDays: 7, maxCount: 3 });
      assert.equal(r.value.logFilePath, "/var/log/spidernet/x.log");
      assert.equal(r.value.socketPath, "/var/run/spidernet/agent.sock");
      assert.equal(r.value.timeoutSeconds, 5);
      assert.equal(r.value.cleanGateway && r.value.matchMasterSubnet, true);
    });
    it("reads the main plugin's master and deviceID when they are strings, ignores them otherwise", () => {
      const r = validateNetConf(conf({}, { master: "ens192", deviceID: "0000:3b:02.1" }));
      assert.ok(r.ok);
      assert.equal(r.value.master, "ens192");
      assert.equal(r.value.deviceID, "0000:3b:02.1");
      const odd = validateNetConf(conf({}, { master: 7, deviceID: null }));
      assert.ok(odd.ok);
      assert.equal("master" in odd.value || "deviceID" in odd.value, false);
    });
    it("treats empty socket and log paths as unset: the files of the node's directories", () => {
      const r = validateWith(conf({ ipam_unix_socket_path: "", log_file_path: "" }), {
        logDir: "/srv/logs",
        runDir: "/srv/run",
      });
      assert.equal(r.ok && r.value.socketPath, "/srv/run/spiderpool.sock");
      assert.equal(r.ok && r.value.logFilePath, "/srv/logs/spiderpool.log");
    });
    it("ignores fields of the main plugin", () => {
      assert.equal(
        validateNetConf(conf({}, { master: "ens192", mode: "bridge", mtu: 1500 })).ok,
        true,
      );
    });
  });
});
