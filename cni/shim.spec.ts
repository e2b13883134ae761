/**
 * The exec shim (cni/shim, Go) as the runtime runs it, against a fake agent that serves the
 * exec route: what it forwards, how it prints the agent's answer, what it does when the agent
 * takes the call and never answers, and when the Node executable it falls back to is missing.
 * The fallback itself (every case of the plugin through the shim) is in executable.spec.ts.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CniExecArgsSchema } from "../lib/schemas/agent-api.js";
import { buildCni } from "./build.js";
import {
  podNameScenario,
  startFakeAgent,
  type CannedReply,
  type FakeAgent,
  type SeenRequest,
} from "../lib/testing/fake-agent.js";
import { execPlugin, installPlugin } from "../lib/testing/plugin-harness.js";

const run = (file: string, env: Record<string, string>, stdin: Buffer | string) =>
  execPlugin([file], env, stdin, 20_000);

describe("cni exec shim (dist/cni/linux-amd64/spiderpool)", function () {
  this.timeout(120_000);
  let shim: string;
  let node: string;
  let dir: string;
  let agent: FakeAgent;
  /** What the exec route answers next; the other routes are the ordinary fake agent's. */
  let execReply: (request: SeenRequest) => CannedReply;

  before(async function () {
    if (process.platform !== "linux" || process.arch !== "x64") this.skip();
    this.timeout(600_000);
    const built = await buildCni({ targets: ["linux-amd64"], log: () => undefined });
    dir = mkdtempSync(join(tmpdir(), "spiderpool-shim-"));
    // Installed as on a node, with this spec's directory as the node's log and run directory.
    mkdirSync(join(dir, "bin"));
    [shim, node] = installPlugin(
      [built.shims["linux-amd64"]!, built.executables["linux-amd64"]!],
      join(dir, "bin"),
      { logDir: dir, runDir: dir },
    ) as [string, string];
    agent = await startFakeAgent(join(dir, "agent.sock"), request =>
      request.path === "/v1/cni/exec" ? execReply(request) : podNameScenario(request),
    );
  });
  after(async () => {
    await agent?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const netconf = (ipam: Record<string, unknown> = {}) =>
    JSON.stringify({
      cniVersion: "1.0.0",
      name: "net",
      ipam: {
        type: "spiderpool",
        ipam_unix_socket_path: agent.socketPath,
        log_file_path: join(dir, "cni.log"),
        ...ipam,
      },
    });
  const env = (command: string) => ({
    CNI_COMMAND: command,
    CNI_CONTAINERID: "c0ffee",
    CNI_NETNS: "/var/run/netns/p1",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/opt/cni/bin",
    CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=ok;K8S_POD_UID=u1",
    HOME: "/root",
    SECRET_TOKEN: "not for the agent",
  });
  const execRequests = () => agent.requests.filter(r => r.path === "/v1/cni/exec");

  for (const exitCode of [0, 1, 3]) {
    it(`forwards the CNI_* variables and stdin byte for byte, prints the agent's answer and exits ${exitCode}`, async () => {
      const answer = {
        exitCode,
        stdout: `{"printed":${exitCode}}\n`,
        stderr: exitCode ? "a log line\n" : "",
      };
      execReply = () => ({ status: 200, body: answer });
      const before = execRequests().length;
      // Bytes that are not UTF-8 must arrive unchanged: the plugin, not the shim, judges them.
      const [head, tail] = netconf().split('"name":"net"');
      const stdin = Buffer.concat([
        Buffer.from(`${head}"name":"net`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`"${tail}`),
      ]);
      const startedAt = Date.now();
      const r = await run(shim, env("ADD"), stdin);
      assert.deepEqual([r.code, r.stdout, r.stderr], [exitCode, answer.stdout, answer.stderr]);
      const seen = execRequests().slice(before);
      assert.equal(seen.length, 1);
      const args = CniExecArgsSchema.parse(seen[0]!.body);
      const cni = Object.fromEntries(
        Object.entries(env("ADD")).filter(([k]) => k.startsWith("CNI_")),
      );
      assert.deepEqual(args.env, cni);
      assert.ok(Buffer.from(args.stdin, "base64").equals(stdin));
      assert.ok(
        args.startedAtMs !== undefined &&
          args.startedAtMs >= startedAt - 5 &&
          args.startedAtMs <= Date.now(),
        `startedAtMs ${args.startedAtMs}`,
      );
    });
  }

  for (const [command, exit, code] of [
    ["ADD", 1, 11],
    ["CHECK", 1, 11],
    ["STATUS", 1, 50],
    ["DEL", 0, undefined],
  ] as const) {
    it(`answers ${command} itself when the agent took the call and the deadline passed (exit ${exit})`, async () => {
      execReply = () => "hang";
      const r = await run(shim, env(command), netconf({ timeout_seconds: 1 }));
      assert.equal(r.code, exit, JSON.stringify(r));
      if (code === undefined) assert.equal(r.stdout, "");
      else {
        const error = JSON.parse(r.stdout) as { cniVersion: string; code: number; msg: string };
        assert.deepEqual(
          [error.cniVersion, error.code, error.msg],
          ["1.0.0", code, `${command} did not finish before its deadline`],
        );
      }
      // The deadline plus the shim's grace for the agent's own answer, and not much more.
      assert.ok(r.elapsedMs >= 3_000 && r.elapsedMs < 8_000, `took ${r.elapsedMs} ms`);
    });
  }

  for (const [label, reply] of [
    ["a 500", { status: 500, body: "broken" }],
    ["a 200 that is not an exec result", { status: 200, body: { stdout: "no exit code" } }],
  ] as const) {
    it(`hands the call to the Node executable when the exec route answers ${label}`, async () => {
      execReply = () => reply;
      const r = await run(shim, env("ADD"), netconf());
      // The Node executable made the ordinary calls against the fake agent and printed a result.
      assert.equal(r.code, 0, JSON.stringify(r));
      assert.deepEqual(
        (JSON.parse(r.stdout) as { ips: { address: string }[] }).ips.map(ip => ip.address),
        ["10.6.168.101/16", "fd00:10:6::65/64"],
      );
    });
  }

  it("says which file is missing when it has to fall back and the Node executable is not beside it", async () => {
    const lonely = mkdtempSync(join(tmpdir(), "spiderpool-shim-alone-"));
    try {
      copyFileSync(shim, join(lonely, "spiderpool"));
      const r = await run(
        join(lonely, "spiderpool"),
        env("ADD"),
        netconf({ ipam_unix_socket_path: join(lonely, "absent.sock") }),
      );
      assert.equal(r.code, 1);
      const error = JSON.parse(r.stdout) as { code: number; msg: string };
      assert.equal(error.code, 110);
      assert.ok(error.msg.includes(`cannot run ${join(lonely, "spiderpool-node")}`), error.msg);
    } finally {
      rmSync(lonely, { recursive: true, force: true });
    }
  });
  it("passes go test: timeoutOf against the table the plugin's spec reads (testdata/timeout-seconds.json)", () => {
    const out = execFileSync("go", ["test", "-count=1", "./..."], {
      cwd: new URL("./shim", import.meta.url).pathname,
      env: { ...process.env, GOTOOLCHAIN: "local" },
      encoding: "utf8",
    });
    assert.match(out, /^ok\s/m);
  });

  const TABLE = JSON.parse(
    readFileSync(new URL("./shim/testdata/timeout-seconds.json", import.meta.url), "utf8"),
  ) as { cases: { input: string; error?: string }[] };
  for (const input of ["1e300", "-1", "601"]) {
    it(`refuses timeout_seconds ${input} itself, with the Node executable's answer, without calling the agent`, async () => {
      execReply = () => ({ status: 200, body: { exitCode: 0, stdout: "", stderr: "" } });
      const before = execRequests().length;
      const stdin = netconf().replace(/}}$/, `,"timeout_seconds":${input}}}`);
      for (const command of ["ADD", "DEL"]) {
        const viaShim = await run(shim, env(command), stdin);
        const direct = await run(node, env(command), stdin);
        assert.deepEqual(
          [viaShim.code, viaShim.stdout, viaShim.stderr],
          [direct.code, direct.stdout, direct.stderr],
          command,
        );
        const error = JSON.parse(viaShim.stdout) as {
          cniVersion: string;
          code: number;
          msg: string;
          details: string;
        };
        assert.deepEqual(
          [viaShim.code, error],
          [
            1,
            {
              cniVersion: "1.0.0",
              code: 7,
              msg: TABLE.cases.find(c => c.input === input)!.error!,
              details: "ipam.timeout_seconds",
            },
          ],
        );
      }
      assert.equal(execRequests().length, before, "the agent was not asked");
    });
  }

  it("connects to no socket outside the node's run directory, directly or through a link", async () => {
    const outside = mkdtempSync(join(tmpdir(), "spiderpool-shim-foreign-"));
    const foreign = await startFakeAgent(join(outside, "foreign.sock"), () => ({
      status: 200,
      body: { exitCode: 0, stdout: "", stderr: "" },
    }));
    try {
      const link = join(dir, "foreign-link.sock");
      symlinkSync(foreign.socketPath, link);
      for (const socket of [foreign.socketPath, link]) {
        const r = await run(shim, env("ADD"), netconf({ ipam_unix_socket_path: socket }));
        const error = JSON.parse(r.stdout) as { code: number; details: string };
        assert.deepEqual(
          [r.code, error.code, error.details],
          [1, 7, "ipam.ipam_unix_socket_path"],
          r.stdout,
        );
      }
      assert.equal(foreign.requests.length, 0);
    } finally {
      await foreign.close();
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
