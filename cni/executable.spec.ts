/**
 * The built single executable, exec'd as a runtime would: env + stdin in, one JSON document (or
 * nothing) out, exit code, against the fake agent on a unix socket. The `before` hook runs the
 * incremental build so the binary under test always matches the sources.
 */
import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCni, BUNDLE } from "./build.js";
import { startFakeAgent, type FakeAgent } from "../lib/testing/fake-agent.js";
import {
  execPlugin as exec,
  installPlugin,
  outputProblem,
  type Execution,
} from "../lib/testing/plugin-harness.js";

const RUNS = 50;

describe("cni executables (dist/cni/linux-amd64/spiderpool-node, and the exec shim falling back to it)", function () {
  this.timeout(180_000);
  let binary: string;
  let shim: string;
  let dir: string;
  let agent: FakeAgent;
  let logFile: string;
  let bundle: string;

  before(async function () {
    if (process.platform !== "linux" || process.arch !== "x64") {
      console.log(
        `      skipped: the linux-amd64 executable cannot run on ${process.platform}-${process.arch}`,
      );
      this.skip();
    }
    this.timeout(600_000);
    const built = await buildCni({ targets: ["linux-amd64"], log: () => undefined });
    dir = mkdtempSync(join(tmpdir(), "spiderpool-exec-"));
    // Installed as on a node, with this spec's directory as the node's log and run directory.
    mkdirSync(join(dir, "bin"));
    [binary, shim, bundle] = installPlugin(
      [built.executables["linux-amd64"]!, built.shims["linux-amd64"]!, BUNDLE],
      join(dir, "bin"),
      { logDir: dir, runDir: dir },
    ) as [string, string, string];
    logFile = join(dir, "log", "spiderpool.log");
    agent = await startFakeAgent(join(dir, "agent.sock"));
  });
  after(async () => {
    await agent?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const netconf = (
    version: string,
    ipam: Record<string, unknown> = {},
    top: Record<string, unknown> = {},
  ) =>
    JSON.stringify({
      cniVersion: version,
      name: "net",
      ipam: {
        type: "spiderpool",
        ipam_unix_socket_path: agent.socketPath,
        log_file_path: logFile,
        ...ipam,
      },
      ...top,
    });
  const env = (command: string, pod = "ok") => ({
    CNI_COMMAND: command,
    CNI_CONTAINERID: "c0ffee",
    CNI_NETNS: "/var/run/netns/p1",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/opt/cni/bin",
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${pod};K8S_POD_UID=u1`,
  });
  const versions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];
  const prev = {
    prevResult: { ips: [{ address: "10.6.168.101/16" }, { address: "fd00:10:6::65/64" }] },
  };

  /** [name, env, stdin, expected exit, expected error code when failing, deadline ms] */
  type Case = [string, Record<string, string>, string | Buffer, number, number | undefined, number];
  const cases = (): Case[] => [
    ["VERSION", { CNI_COMMAND: "VERSION" }, "", 0, undefined, 5_000],
    ...versions.map((v): Case => [`ADD ${v}`, env("ADD"), netconf(v), 0, undefined, 60_000]),
    ["ADD ip used out", env("ADD", "ip-used-out"), netconf("1.0.0"), 1, 100, 60_000],
    ["ADD agent not ready", env("ADD", "not-ready"), netconf("1.0.0"), 1, 11, 60_000],
    [
      "ADD unreachable",
      env("ADD"),
      netconf("1.0.0", { ipam_unix_socket_path: join(dir, "absent.sock") }),
      1,
      11,
      60_000,
    ],
    [
      "ADD hanging agent",
      env("ADD", "hang"),
      netconf("1.0.0", { timeout_seconds: 1 }),
      1,
      11,
      1_000,
    ],
    [
      "ADD foreign socket",
      env("ADD"),
      netconf("1.0.0", { ipam_unix_socket_path: join(tmpdir(), "absent.sock") }),
      1,
      7,
      60_000,
    ],
    [
      "DEL log file elsewhere",
      env("DEL"),
      netconf("1.0.0", { log_file_path: join(tmpdir(), "spiderpool-exec.log") }),
      1,
      7,
      30_000,
    ],
    ["DEL timeout 1e300", env("DEL"), netconf("1.0.0", { timeout_seconds: 1e300 }), 1, 7, 30_000],
    ["bad pod name", env("ADD", "a/../b"), netconf("1.0.0"), 1, 4, 60_000],
    ["DEL", env("DEL"), netconf("0.3.1"), 0, undefined, 30_000],
    ["DEL agent error", env("DEL", "ip-used-out"), netconf("1.0.0"), 0, undefined, 30_000],
    ["CHECK", env("CHECK"), netconf("1.0.0", {}, prev), 0, undefined, 30_000],
    [
      "GC",
      { CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" },
      netconf("1.1.0", {}, { "cni.dev/valid-attachments": [] }),
      0,
      undefined,
      60_000,
    ],
    [
      "STATUS",
      { CNI_COMMAND: "STATUS", CNI_PATH: "/opt/cni/bin" },
      netconf("1.1.0"),
      0,
      undefined,
      10_000,
    ],
    ["garbage stdin", env("ADD"), "\u0000\u00ff{", 1, 6, 60_000],
    ["oversized stdin", env("ADD"), Buffer.alloc(1024 * 1024 + 1, 0x20), 1, 6, 60_000],
    ["bad CNI_ARGS", { ...env("ADD"), CNI_ARGS: "FOO=1" }, netconf("1.0.0"), 1, 4, 60_000],
    ["unsupported version", env("ADD"), netconf("0.2.0"), 1, 1, 60_000],
  ];

  it(`answers ${RUNS} invocations correctly`, async () => {
    const all = cases();
    for (let i = 0; i < RUNS; i++) {
      const [name, e, stdin, exit, errorCode, deadlineMs] = all[i % all.length]!;
      const r = await exec([binary], e, stdin, deadlineMs + 5_000);
      const label = `${name}: ${JSON.stringify(r)}`;
      assert.equal(r.code, exit, label);
      assert.equal(outputProblem(e.CNI_COMMAND, r.code, r.stdout), undefined, label);
      if (errorCode !== undefined) assert.equal(JSON.parse(r.stdout).code, errorCode, label);
      assert.equal(r.stderr, "", label); // logs went to the file
      assert.ok(r.elapsedMs < deadlineMs + 2_000, `${name} took ${r.elapsedMs} ms`);
      // The fake agent has no exec route, so the shim must hand every call to the Node executable.
      // (A timeout's text gives the milliseconds left, which differ by the shim's own start-up.)
      const viaShim = await exec([shim], e, stdin, deadlineMs + 5_000);
      const same = (x: Execution) => [
        x.code,
        x.stdout.replace(/within \d+ ms/, "within N ms"),
        x.stderr,
      ];
      assert.deepEqual(same(viaShim), same(r), `${name} through the shim`);
    }
    const lines = readFileSync(logFile, "utf8").trim().split("\n");
    assert.ok(
      lines.every(l => typeof JSON.parse(l).cmd === "string"),
      "every log line is JSON with cmd",
    );
  });

  it("prints the about text (with the package version) when run by hand, through the shim too", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    for (const file of [binary, shim]) {
      const r = await exec([file], {}, "", 5_000);
      assert.deepEqual([r.code, r.stdout], [0, ""], file);
      assert.ok(r.stderr.startsWith(`Spiderpool IPAM ${pkg.version}\n`), `${file}: ${r.stderr}`);
    }
  });

  it("ignores the runtime's NODE_OPTIONS: nothing preloaded, no flag changed", async () => {
    const hostile = { ...env("ADD"), NODE_OPTIONS: `--require=${join(dir, "absent-preload.js")}` };
    const r = await exec([binary], hostile, netconf("0.4.0"), 10_000);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.equal(outputProblem("ADD", r.code, r.stdout), undefined);
  });

  it("the node-run bundle behaves the same", async () => {
    const r = await exec([process.execPath, bundle], env("ADD"), netconf("0.4.0"), 10_000);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(outputProblem("ADD", r.code, r.stdout), undefined);
  });
  it("a hostile netconf, through the shim and the Node executable alike: refused naming the field, no file outside touched", async () => {
    const outside = mkdtempSync(join(tmpdir(), "spiderpool-victim-"));
    try {
      const victim = join(outside, "victim.log");
      writeFileSync(victim, "precious\n".repeat(300));
      utimesSync(victim, 1_000_000, 1_000_000);
      writeFileSync(join(outside, "victim-2000-01-01T00-00-00.000.log"), "older");
      const seen = () => ({
        content: readFileSync(victim, "utf8"),
        ino: statSync(victim).ino,
        mtimeMs: statSync(victim).mtimeMs,
        names: readdirSync(outside).sort(),
      });
      const before = seen();
      const hostile: Array<[Record<string, unknown>, string]> = [
        [
          { log_file_path: victim, log_file_max_size: 1, log_file_max_count: 1 },
          "ipam.log_file_path",
        ],
        [
          { log_file_path: join(dir, "..", outside.split("/").pop()!, "victim.log") },
          "ipam.log_file_path",
        ],
        [{ log_file_max_size: 0.000001 }, "ipam.log_file_max_size"],
        [{ ipam_unix_socket_path: join(outside, "agent.sock") }, "ipam.ipam_unix_socket_path"],
        [{ timeout_seconds: 1e300 }, "ipam.timeout_seconds"],
        [{ timeout_seconds: -1 }, "ipam.timeout_seconds"],
        [{ timeout_seconds: 601 }, "ipam.timeout_seconds"],
      ];
      for (const [ipam, field] of hostile) {
        for (const command of ["ADD", "DEL"]) {
          const answers = [];
          for (const file of [shim, binary]) {
            const r = await exec([file], env(command), netconf("1.0.0", ipam), 10_000);
            const error = JSON.parse(r.stdout) as { code: number; msg: string; details: string };
            assert.deepEqual(
              [r.code, error.code, error.details],
              [1, 7, field],
              `${file} ${command} ${JSON.stringify(ipam)}: ${r.stdout}`,
            );
            answers.push([r.code, r.stdout, r.stderr]);
          }
          assert.deepEqual(
            answers[0],
            answers[1],
            `the shim and the Node executable differ for ${JSON.stringify(ipam)}`,
          );
        }
      }
      assert.deepEqual(seen(), before);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
