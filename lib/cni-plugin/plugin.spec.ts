import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  OK_ALLOCATION,
  podNameScenario,
  startFakeAgent,
  unhealthy,
  type FakeAgent,
} from "../testing/fake-agent.js";
import type { PluginOptions } from "./plugin.js";
import { invoke as invokeAnywhere, outputProblem } from "../testing/plugin-harness.js";
import type { StdinSource } from "./stdin.js";

describe("cni/plugin (in-process, against a fake agent on a unix socket)", () => {
  let dir: string;
  let agent: FakeAgent;
  let logFile: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "spiderpool-cni-"));
    logFile = join(dir, "log", "spiderpool.log");
    agent = await startFakeAgent(join(dir, "agent.sock"));
  });
  after(async () => {
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    agent.requests.length = 0;
  });
  // The node's directories are the spec's temp dir: the netconfs below log and connect inside it.
  const invoke = (
    env: Record<string, string | undefined>,
    stdin: StdinSource,
    options: PluginOptions = {},
  ) =>
    invokeAnywhere(env, stdin, {
      hostDirs: { ok: true, value: { logDir: dir, runDir: dir } },
      ...options,
    });

  const netconf = (ipam: Record<string, unknown> = {}, top: Record<string, unknown> = {}) =>
    JSON.stringify({
      cniVersion: "1.0.0",
      name: "macvlan-ens192",
      type: "macvlan",
      ipam: {
        type: "spiderpool",
        ipam_unix_socket_path: agent.socketPath,
        log_file_path: logFile,
        ...ipam,
      },
      ...top,
    });
  const env = (command: string, pod = "ok", extra: Record<string, string> = {}) => ({
    CNI_COMMAND: command,
    CNI_CONTAINERID: "c0ffee",
    CNI_NETNS: "/var/run/netns/p1",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/opt/cni/bin",
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${pod};K8S_POD_UID=uid-1;K8S_POD_INFRA_CONTAINER_ID=c0ffee`,
    ...extra,
  });
  const errorOf = (stdout: string) =>
    JSON.parse(stdout) as { cniVersion: string; code: number; msg: string; details?: string };

  describe("VERSION and the about text", () => {
    it("VERSION lists every supported version without reading stdin", async () => {
      const r = await invoke({ CNI_COMMAND: "VERSION" }, () => {
        throw new Error("stdin must not be read");
      });
      assert.equal(r.code, 0);
      assert.deepEqual(JSON.parse(r.stdout), {
        cniVersion: "1.1.0",
        supportedVersions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
      });
    });
    it("no CNI_COMMAND prints the about text on stderr only", async () => {
      const r = await invoke({}, "", { version: "1.2.3" });
      assert.deepEqual([r.code, r.stdout], [0, ""]);
      assert.match(
        r.stderr,
        /^Spiderpool IPAM 1\.2\.3\nCNI protocol versions supported: 0\.3\.0, 0\.3\.1, 0\.4\.0, 1\.0\.0, 1\.1\.0\n$/,
      );
    });
  });

  describe("ADD", () => {
    for (const version of ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]) {
      it(`prints eth0's allocation as a ${version} result`, async () => {
        const r = await invoke(env("ADD"), netconf({}, { cniVersion: version }));
        assert.equal(r.code, 0, r.stdout);
        assert.equal(outputProblem("ADD", r.code, r.stdout), undefined);
        const result = JSON.parse(r.stdout);
        assert.equal(result.cniVersion, version);
        assert.deepEqual(
          result.ips.map((ip: { address: string }) => ip.address),
          ["10.6.168.101/16", "fd00:10:6::65/64"],
        );
        assert.equal(r.stdoutWrites, 1);
      });
    }
    it("checks health, then sends IpamAddArgs built from netconf and CNI_ARGS", async () => {
      await invoke(
        env("ADD"),
        netconf({
          default_ipv4_ippool: ["v4-a", "v4-b*"],
          default_ipv6_ippool: ["v6-a"],
          clean_gateway: true,
        }),
      );
      assert.deepEqual(agent.requests, [
        { method: "GET", path: "/v1/ipam/healthy", body: undefined },
        {
          method: "POST",
          path: "/v1/ipam/ip",
          body: {
            containerID: "c0ffee",
            ifName: "eth0",
            netNamespace: "/var/run/netns/p1",
            podNamespace: "default",
            podName: "ok",
            podUID: "uid-1",
            cleanGateway: true,
            matchMasterSubnet: false,
            networkName: "macvlan-ens192",
            defaultIPv4IPPool: ["v4-a", "v4-b*"],
            defaultIPv6IPPool: ["v6-a"],
          },
        },
      ]);
    });
    it("sends the main plugin's master and deviceID only with match_master_subnet", async () => {
      const top = { master: "enp1s0f0", deviceID: "0000:3b:02.1" };
      await invoke(env("ADD"), netconf({}, top));
      await invoke(env("ADD"), netconf({ match_master_subnet: true }, top));
      const bodies = agent.requests
        .filter(r => r.method === "POST")
        .map(r => r.body as Record<string, unknown>);
      assert.deepEqual(
        bodies.map(b => [b.matchMasterSubnet, b.master, b.deviceID]),
        [
          [false, undefined, undefined],
          [true, "enp1s0f0", "0000:3b:02.1"],
        ],
      );
    });
    it("keeps another NIC's part for CNI_IFNAME=net1", async () => {
      const r = await invoke(env("ADD", "ok", { CNI_IFNAME: "net1" }), netconf());
      assert.deepEqual(JSON.parse(r.stdout).ips, [{ address: OK_ALLOCATION.ips[2]!.address }]);
    });

    const mapping: Array<[pod: string, code: number, msg: string, details?: string]> = [
      [
        "ip-used-out",
        100,
        "spiderpool IP allocation error: all IP addresses used out",
        "POST /v1/ipam/ip: HTTP 500, agent error code ip_used_out",
      ],
      [
        "no-header-500",
        100,
        "spiderpool IP allocation error: failed to allocate: pool v4-a not found",
        "POST /v1/ipam/ip: HTTP 500",
      ],
      [
        "not-ready",
        11,
        "spiderpool IP allocation error: agent is still syncing its caches",
        "POST /v1/ipam/ip: HTTP 500, agent error code not_ready",
      ],
      ["api-unavailable", 11, "spiderpool IP allocation error: failed to reach the API server"],
      ["unavailable-503", 11, "spiderpool IP allocation error: overloaded"],
      ["garbage", 101, "spiderpool IP allocation error: invalid agent response: not JSON"],
      [
        "bad-schema",
        101,
        'spiderpool IP allocation error: invalid agent response: ips: expected array, got "10.0.0.1"',
      ],
      [
        "bad-address",
        101,
        'spiderpool IP allocation error: agent returned an invalid IPv4 address "10.0.0.1" for eth0',
      ],
      ["other-nic", 102, "spiderpool IP allocation error: no Interface eth0 IP allocation found"],
    ];
    for (const [pod, code, msg, details] of mapping) {
      it(`agent scenario ${pod} → code ${code}`, async () => {
        const r = await invoke(env("ADD", pod), netconf());
        assert.equal(r.code, 1);
        assert.equal(outputProblem("ADD", r.code, r.stdout), undefined);
        const error = errorOf(r.stdout);
        assert.deepEqual([error.code, error.msg], [code, msg]);
        if (details) assert.equal(error.details, details);
      });
    }
    it("unreachable socket (no file) → 11 with Spiderpool's health-check text", async () => {
      const r = await invoke(
        env("ADD"),
        netconf({ ipam_unix_socket_path: join(dir, "absent.sock") }),
      );
      assert.deepEqual(errorOf(r.stdout), {
        cniVersion: "1.0.0",
        code: 11,
        msg: `unhealthy spiderpool-agent backend, failed to check: dial unix ${join(dir, "absent.sock")}: no such file or directory`,
        details: "GET /v1/ipam/healthy: unreachable",
      });
    });
    it("connection refused (a file that is not a listening socket) → 11", async () => {
      const path = join(dir, "stale.sock");
      writeFileSync(path, "");
      const r = await invoke(env("ADD"), netconf({ ipam_unix_socket_path: path }));
      assert.equal(errorOf(r.stdout).code, 11);
    });
    it("unhealthy agent → 11 and no allocation attempt", async () => {
      const sick = await startFakeAgent(join(dir, "sick.sock"), unhealthy(podNameScenario));
      try {
        const r = await invoke(env("ADD"), netconf({ ipam_unix_socket_path: sick.socketPath }));
        assert.deepEqual(
          [errorOf(r.stdout).code, errorOf(r.stdout).msg],
          [11, "unhealthy spiderpool-agent backend, failed to check: not ready"],
        );
        assert.deepEqual(
          sick.requests.map(q => q.path),
          ["/v1/ipam/healthy"],
        );
      } finally {
        await sick.close();
      }
    });
    it("a hanging agent → 11 once timeout_seconds has passed", async () => {
      const r = await invoke(env("ADD", "hang"), netconf({ timeout_seconds: 1 }));
      assert.equal(errorOf(r.stdout).code, 11);
      assert.match(
        errorOf(r.stdout).msg,
        /^spiderpool IP allocation error: POST \/v1\/ipam\/ip: no answer from the agent within \d+ ms$/,
      );
      assert.ok(r.elapsedMs >= 950 && r.elapsedMs < 3000, `took ${r.elapsedMs} ms`);
    });
    it("requires the Pod in CNI_ARGS", async () => {
      const r = await invoke(
        env("ADD", "ok", { CNI_ARGS: "K8S_POD_NAMESPACE=default" }),
        netconf(),
      );
      assert.deepEqual(
        [errorOf(r.stdout).code, errorOf(r.stdout).msg],
        [4, "CNI_ARGS: K8S_POD_NAME required for ADD, got missing"],
      );
      assert.equal(agent.requests.length, 0);
    });
  });

  describe("DEL never fails because of the agent", () => {
    const release = {
      method: "DELETE",
      path: "/v1/ipam/ip",
      body: {
        containerID: "c0ffee",
        ifName: "eth0",
        netNamespace: "/var/run/netns/p1",
        podNamespace: "default",
        podName: "ok",
        podUID: "uid-1",
      },
    };
    it("releases with IpamDelArgs and prints nothing", async () => {
      const r = await invoke(env("DEL"), netconf());
      assert.deepEqual([r.code, r.stdout], [0, ""]);
      assert.deepEqual(agent.requests, [release]);
    });
    for (const pod of ["ip-used-out", "not-ready", "no-header-500", "garbage"]) {
      it(`agent scenario ${pod} → success, logged`, async () => {
        const r = await invoke(env("DEL", pod), netconf());
        assert.deepEqual([r.code, r.stdout], [0, ""]);
      });
    }
    it("unreachable agent → success, logged as an error", async () => {
      const r = await invoke(
        env("DEL"),
        netconf({ ipam_unix_socket_path: join(dir, "absent.sock"), log_level: "error" }),
      );
      assert.deepEqual([r.code, r.stdout], [0, ""]);
      const last = readFileSync(logFile, "utf8").trim().split("\n").pop()!;
      assert.equal(JSON.parse(last).msg, "release failed, leaving it to GC");
    });
    it("a hanging agent → success at the deadline", async () => {
      const r = await invoke(env("DEL", "hang"), netconf({ timeout_seconds: 1 }));
      assert.deepEqual([r.code, r.stdout], [0, ""]);
      assert.ok(r.elapsedMs < 3000, `took ${r.elapsedMs} ms`);
    });
    it("tolerates missing K8S args and a missing netns, without calling the agent", async () => {
      const r = await invoke({ ...env("DEL"), CNI_NETNS: undefined, CNI_ARGS: "" }, netconf());
      assert.deepEqual([r.code, r.stdout, agent.requests.length], [0, "", 0]);
    });
    it("still rejects a config that does not parse", async () => {
      const r = await invoke(env("DEL"), netconf({ type: "host-local" }));
      assert.equal(errorOf(r.stdout).code, 7);
    });
  });

  describe("CHECK", () => {
    const prev = (addresses: string[], version = "1.0.0") => ({
      cniVersion: version,
      prevResult: { cniVersion: version, ips: addresses.map(address => ({ address })) },
    });
    it("passes when the agent holds prevResult's addresses", async () => {
      const r = await invoke(
        env("CHECK"),
        netconf({}, prev(["10.6.168.101/16", "fd00:10:6::65/64"])),
      );
      assert.deepEqual([r.code, r.stdout], [0, ""]);
      assert.deepEqual(agent.requests[0]?.body, {
        containerID: "c0ffee",
        ifName: "eth0",
        podNamespace: "default",
        podName: "ok",
        podUID: "uid-1",
        addresses: ["10.6.168.101/16", "fd00:10:6::65/64"],
      });
    });
    it("fails with code 103 and the agent's text on a mismatch", async () => {
      const r = await invoke(env("CHECK"), netconf({}, prev(["10.6.168.102/16"])));
      assert.equal(errorOf(r.stdout).code, 103);
      assert.match(
        errorOf(r.stdout).msg,
        /^spiderpool IP check error: addresses \["10\.6\.168\.102\/16"\] do not match/,
      );
    });
    it("needs prevResult", async () => {
      const r = await invoke(env("CHECK"), netconf());
      assert.deepEqual(
        [errorOf(r.stdout).code, errorOf(r.stdout).msg],
        [7, "prevResult: required for CHECK, got missing"],
      );
    });
    it("is not allowed before 0.4.0", async () => {
      const r = await invoke(env("CHECK"), netconf({}, prev(["10.6.168.101/16"], "0.3.1")));
      assert.deepEqual(errorOf(r.stdout), {
        cniVersion: "0.3.1",
        code: 1,
        msg: "config version does not allow CHECK",
        details: "cniVersion 0.3.1 < 0.4.0",
      });
    });
  });

  describe("GC and STATUS (CNI 1.1)", () => {
    const attachments = [{ containerID: "c0ffee", ifname: "eth0" }];
    it("GC sends the valid attachments", async () => {
      const r = await invoke(
        { CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" },
        netconf({}, { cniVersion: "1.1.0", "cni.dev/valid-attachments": attachments }),
      );
      assert.deepEqual([r.code, r.stdout], [0, ""]);
      assert.deepEqual(agent.requests, [
        {
          method: "POST",
          path: "/v1/ipam/gc",
          body: { networkName: "macvlan-ens192", validAttachments: attachments },
        },
      ]);
    });
    it("GC without the list is refused rather than releasing everything", async () => {
      const r = await invoke(
        { CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" },
        netconf({}, { cniVersion: "1.1.0" }),
      );
      assert.equal(errorOf(r.stdout).code, 7);
      assert.equal(agent.requests.length, 0);
    });
    it("GC needs cniVersion 1.1.0", async () => {
      const r = await invoke(
        { CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" },
        netconf({}, { "cni.dev/valid-attachments": attachments }),
      );
      assert.deepEqual(
        [errorOf(r.stdout).code, errorOf(r.stdout).msg],
        [1, "config version does not allow GC"],
      );
    });
    it("STATUS is silent when the agent is healthy", async () => {
      const r = await invoke(
        { CNI_COMMAND: "STATUS", CNI_PATH: "/opt/cni/bin" },
        netconf({}, { cniVersion: "1.1.0" }),
      );
      assert.deepEqual([r.code, r.stdout], [0, ""]);
    });
    it("STATUS → 50 when the agent is unreachable", async () => {
      const r = await invoke(
        { CNI_COMMAND: "STATUS", CNI_PATH: "/opt/cni/bin" },
        netconf({ ipam_unix_socket_path: join(dir, "absent.sock") }, { cniVersion: "1.1.0" }),
      );
      assert.equal(errorOf(r.stdout).code, 50);
      assert.match(
        errorOf(r.stdout).msg,
        /^plugin not available: unhealthy spiderpool-agent backend/,
      );
    });
  });

  describe("bad input: an error naming the field and value, nothing sent to the agent", () => {
    const cases: Array<[string, Record<string, string | undefined>, string, number, RegExp]> = [
      ["unknown command", { CNI_COMMAND: "UPDATE" }, "", 4, /CNI_COMMAND: "UPDATE"/],
      ["no netns on ADD", { CNI_NETNS: undefined }, "", 4, /\[CNI_NETNS\]/],
      ["bad ifname", { CNI_IFNAME: "eth0:1" }, "", 4, /CNI_IFNAME: .*"eth0:1"/],
      [
        "unknown CNI_ARGS key",
        { CNI_ARGS: "K8S_POD_NAME=a;K8S_POD_NAMESPACE=b;FOO=1" },
        "",
        4,
        /unknown args \["FOO=1"\]/,
      ],
      ["garbage stdin", {}, "{oops", 6, /^failed to parse CNI network configuration: /],
      ["empty stdin", {}, "", 6, /stdin is empty/],
      [
        "unsupported version",
        {},
        '{"cniVersion":"0.2.0","name":"n","ipam":{"type":"spiderpool"}}',
        1,
        /unsupported specified CNI version 0\.2\.0/,
      ],
      [
        "wrong ipam type",
        {},
        '{"cniVersion":"1.0.0","name":"n","ipam":{"type":"static"}}',
        7,
        /ipam\.type: expected "spiderpool", got "static"/,
      ],
      [
        "bad log level",
        {},
        '{"cniVersion":"1.0.0","name":"n","ipam":{"type":"spiderpool","log_level":"loud"}}',
        7,
        /ipam\.log_level: unsupported log level loud/,
      ],
      [
        "bad timeout",
        {},
        '{"cniVersion":"1.0.0","name":"n","ipam":{"type":"spiderpool","timeout_seconds":-1}}',
        7,
        /ipam\.timeout_seconds: expected a whole number of seconds from 1 to 600, got -1/,
      ],
    ];
    for (const [what, overrides, stdin, code, msg] of cases) {
      it(what, async () => {
        const r = await invoke(
          { ...env("ADD"), ...overrides },
          stdin === "" && what !== "empty stdin" ? netconf() : stdin,
        );
        assert.equal(outputProblem("ADD", r.code, r.stdout), undefined);
        assert.equal(errorOf(r.stdout).code, code);
        assert.match(errorOf(r.stdout).msg, msg);
        assert.equal(agent.requests.length, 0);
      });
    }
    it("oversized stdin → 6", async () => {
      const r = await invoke(env("ADD"), netconf({ pad: "x".repeat(2048) }), {
        maxStdinBytes: 1024,
      });
      assert.deepEqual(
        [errorOf(r.stdout).code, errorOf(r.stdout).msg],
        [6, "failed to parse CNI network configuration: stdin exceeds 1024 bytes"],
      );
    });
    it("an unexpected exception → code 110, never a throw", async () => {
      const r = await invoke(env("ADD"), () => {
        throw new Error("boom");
      });
      assert.deepEqual(
        [r.code, errorOf(r.stdout).code, errorOf(r.stdout).msg],
        [1, 110, "spiderpool plugin internal error: boom"],
      );
      assert.match(
        r.stderr,
        /"err":\{"type":"Error","message":"boom","stack":"Error: boom.*"msg":"unexpected exception"/,
      );
    });
  });

  describe("logging", () => {
    it("writes JSON lines with cmd, containerID, ifName and pod to log_file_path", async () => {
      const path = join(dir, "fields", "plugin.log");
      await invoke(env("ADD"), netconf({ log_file_path: path, log_level: "info" }));
      const lines = readFileSync(path, "utf8")
        .trim()
        .split("\n")
        .map(l => JSON.parse(l));
      assert.equal(lines.length, 1);
      assert.deepEqual(
        { ...lines[0], time: "t", pid: "p", hostname: "h" },
        {
          level: 30,
          time: "t",
          pid: "p",
          hostname: "h",
          component: "spiderpool-cni",
          cmd: "ADD",
          containerID: "c0ffee",
          ifName: "eth0",
          pod: "default/ok",
          ips: ["10.6.168.101/16", "fd00:10:6::65/64"],
          routes: 2,
          msg: "allocated",
        },
      );
    });
    it("falls back to stderr when the file cannot be written, and still succeeds", async () => {
      const path = join(dir, "a-directory.log");
      mkdirSync(path, { recursive: true });
      const r = await invoke(env("ADD"), netconf({ log_file_path: path, log_level: "info" }));
      assert.equal(r.code, 0);
      assert.match(r.stderr, /"msg":"cannot open log file, logging to stderr"/);
      assert.match(r.stderr, /"msg":"allocated"/);
      assert.equal(outputProblem("ADD", r.code, r.stdout), undefined);
    });
  });
  describe("a hostile netconf or CNI_ARGS: refused naming the field, nothing sent, no host file touched", () => {
    let outside: string;
    let victim: string;
    let foreign: FakeAgent;
    const seen = () => {
      const st = statSync(victim);
      const list = (d: string) => readdirSync(d, { recursive: true }).map(String).sort();
      return {
        content: readFileSync(victim, "utf8"),
        ino: st.ino,
        mtimeMs: st.mtimeMs,
        outside: list(outside),
        inside: list(dir),
      };
    };
    before(async () => {
      outside = mkdtempSync(join(tmpdir(), "spiderpool-victim-"));
      victim = join(outside, "victim.log");
      writeFileSync(victim, "precious\n".repeat(300));
      utimesSync(victim, 1_000_000, 1_000_000);
      writeFileSync(join(outside, "victim-2000-01-01T00-00-00.000.log"), "older");
      foreign = await startFakeAgent(join(outside, "foreign.sock"));
      symlinkSync(outside, join(dir, "link-out"));
      symlinkSync(victim, join(dir, "victim-link.log"));
      symlinkSync(foreign.socketPath, join(dir, "foreign-link.sock"));
    });
    after(async () => {
      await foreign.close();
      rmSync(outside, { recursive: true, force: true });
    });

    const refuse = (field: string, text: string) => ({ code: 7, field, text });
    const LOG = "ipam.log_file_path";
    const SOCKET = "ipam.ipam_unix_socket_path";
    const cases = (): Array<
      [string, Record<string, unknown>, { code: number; field: string; text: string }]
    > => [
      [
        "a log file elsewhere",
        { log_file_path: victim, log_file_max_size: 1 },
        refuse(
          LOG,
          `must be a file below the node's plugin log directory ${dir}, got ${JSON.stringify(victim)}`,
        ),
      ],
      [
        "a log file reached with ..",
        { log_file_path: join(dir, "..", outside.split("/").pop()!, "victim.log") },
        refuse(LOG, "must be a file below the node's plugin log directory"),
      ],
      [
        "a log file in a linked directory",
        { log_file_path: join(dir, "link-out", "victim.log") },
        refuse(LOG, `leads out of the node's plugin log directory ${dir} through a symbolic link`),
      ],
      [
        "a new directory under a linked one",
        { log_file_path: join(dir, "link-out", "new", "x.log") },
        refuse(LOG, "through a symbolic link"),
      ],
      [
        "a log file that is a link out",
        { log_file_path: join(dir, "victim-link.log") },
        refuse(LOG, "through a symbolic link"),
      ],
      [
        "a fractional size",
        { log_file_max_size: 0.000001 },
        refuse("ipam.log_file_max_size", "ipam.log_file_max_size: expected int, got 0.000001"),
      ],
      [
        "a zero size",
        { log_file_max_size: 0 },
        refuse("ipam.log_file_max_size", "ipam.log_file_max_size: must be >= 1, got 0"),
      ],
      [
        "a huge size",
        { log_file_max_size: 1e300 },
        refuse(
          "ipam.log_file_max_size",
          "ipam.log_file_max_size: must be <= 9007199254740991, got 1e+300",
        ),
      ],
      [
        "a negative count",
        { log_file_max_count: -1 },
        refuse("ipam.log_file_max_count", "ipam.log_file_max_count: must be >= 1, got -1"),
      ],
      [
        "a foreign socket",
        { ipam_unix_socket_path: foreign.socketPath },
        refuse(
          SOCKET,
          `must be a socket below the node's run directory ${dir}, got ${JSON.stringify(foreign.socketPath)}`,
        ),
      ],
      [
        "a socket that is a link out",
        { ipam_unix_socket_path: join(dir, "foreign-link.sock") },
        refuse(SOCKET, `leads out of the node's run directory ${dir} through a symbolic link`),
      ],
      [
        "timeout 1e300",
        { timeout_seconds: 1e300 },
        refuse(
          "ipam.timeout_seconds",
          "expected a whole number of seconds from 1 to 600, got 1e+300",
        ),
      ],
      [
        "timeout -1",
        { timeout_seconds: -1 },
        refuse("ipam.timeout_seconds", "expected a whole number of seconds from 1 to 600, got -1"),
      ],
      [
        "timeout 601",
        { timeout_seconds: 601 },
        refuse("ipam.timeout_seconds", "expected a whole number of seconds from 1 to 600, got 601"),
      ],
    ];
    for (const command of ["ADD", "DEL"]) {
      it(`${command}: every case refused with exit 1, and nothing about the victim changed`, async () => {
        const before = seen();
        for (const [what, ipam, expected] of cases()) {
          const r = await invoke(env(command), netconf(ipam));
          assert.equal(r.code, 1, `${what}: ${r.stdout}`);
          const error = errorOf(r.stdout);
          assert.deepEqual(
            [error.code, error.details],
            [expected.code, expected.field],
            `${what}: ${r.stdout}`,
          );
          assert.ok(
            error.msg.startsWith(`failed to load CNI network configuration: ${expected.field}: `),
            `${what}: ${error.msg}`,
          );
          assert.ok(
            error.msg.includes(expected.text),
            `${what}: ${error.msg}\nshould contain\n${expected.text}`,
          );
          assert.equal(r.stderr, "", `${what}: nothing logged anywhere`);
        }
        assert.deepEqual(seen(), before);
        assert.deepEqual([agent.requests.length, foreign.requests.length], [0, 0]);
      });
    }
    for (const [key, value] of [
      ["K8S_POD_NAMESPACE", "../../../apis"],
      ["K8S_POD_NAME", "a/b"],
      ["K8S_POD_NAME", "Victim"],
    ]) {
      it(`refuses ${key}=${value} before any use (code 4, nothing sent or logged)`, async () => {
        const before = seen();
        const args =
          key === "K8S_POD_NAME"
            ? `K8S_POD_NAMESPACE=default;K8S_POD_NAME=${value}`
            : `K8S_POD_NAMESPACE=${value};K8S_POD_NAME=ok`;
        const r = await invoke({ ...env("ADD"), CNI_ARGS: args }, netconf());
        const error = errorOf(r.stdout);
        assert.deepEqual([r.code, error.code, error.details], [1, 4, key]);
        assert.ok(
          error.msg.includes(`${key}: not a`) && error.msg.includes(JSON.stringify(value)),
          error.msg,
        );
        assert.deepEqual(seen(), before);
        assert.equal(agent.requests.length, 0);
      });
    }
    it("still answers a netconf inside both directories (the cases above fail for their field alone)", async () => {
      const r = await invoke(
        env("ADD"),
        netconf({
          log_file_path: join(dir, "sub", "ok.log"),
          log_file_max_size: 1,
          timeout_seconds: 600,
        }),
      );
      assert.equal(r.code, 0, r.stdout);
      assert.equal(agent.requests.length, 2);
      assert.ok(statSync(join(dir, "sub", "ok.log")).size > 0);
    });
    it("an unreadable node configuration is an error naming the file, before anything else", async () => {
      const r = await invokeAnywhere(env("ADD"), netconf(), {
        hostDirs: {
          ok: false,
          error: {
            name: "invalid_environment",
            code: 4,
            msg: "node plugin configuration /x: not JSON",
            details: "/x",
          },
        },
      });
      assert.deepEqual(
        [r.code, errorOf(r.stdout).msg],
        [1, "node plugin configuration /x: not JSON"],
      );
      assert.equal(agent.requests.length, 0);
    });
  });
});
