import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildAgent } from "./build-agent.js";
import { LEVELS } from "../lib/log-schema.js";

const CHART_CONF = fileURLToPath(
  new URL("../lib/schemas/fixtures/spiderpool-v1.2.2-conf.yml", import.meta.url),
);

/**
 * The built agent (what the DaemonSet runs) refuses a broken ConfigMap value or an unknown key
 * before it touches the API: exit 2 and one line on stderr naming the key and what it accepts.
 * The file Spiderpool's chart renders is not refused: the agent starts and warns once.
 */
describe("scripts/build-agent: the bundled agent refuses bad configuration, and starts on Spiderpool's", function () {
  this.timeout(60_000);
  let dir: string;
  let bundle: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "agent-bundle-"));
    bundle = (await buildAgent(join(dir, "spiderpool-agent.cjs"))).path;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function run(
    confYml: string,
    env: Record<string, string> = {},
  ): { status: number | null; lines: string[]; stdout: string } {
    const conf = join(dir, `conf-${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(conf, confYml);
    // A kubeconfig pointing nowhere: a refusal must come before any API call.
    const r = spawnSync(process.execPath, [bundle, `--config-path=${conf}`], {
      env: {
        PATH: process.env.PATH ?? "",
        KUBECONFIG: join(dir, "absent-kubeconfig"),
        SPIDERPOOL_NODE_NAME: "node-1",
        ...env,
      },
      encoding: "utf8",
      timeout: 20_000,
    });
    return { status: r.status, lines: r.stderr.split("\n").filter(Boolean), stdout: r.stdout };
  }

  const cases: Array<{ name: string; conf: string; env?: Record<string, string>; line: RegExp }> = [
    {
      name: "an unknown nested key names it and lists the accepted keys",
      conf: "gc:\n  scanAllIntervalSecondz: 60\n",
      line: /^spiderpool-agent: refusing to start: conf\.yml: unknown key "gc\.scanAllIntervalSecondz"; accepted keys: enabled, scanAllIntervalSeconds, /,
    },
    {
      name: "an unknown top-level key lists the top-level keys",
      conf: "enableIPV4: true\n",
      line: /^spiderpool-agent: refusing to start: conf\.yml: unknown key "enableIPV4"; accepted keys: ipamUnixSocketPath, enableIPv4, enableIPv6, /,
    },
    {
      name: "a wrong type names the key, the expected type and the value",
      conf: "enableIPv4: yes please\n",
      line: /^spiderpool-agent: refusing to start: conf\.yml: enableIPv4: .*expected boolean.*, got "yes please"$/,
    },
    {
      name: "an out-of-range number names the bound",
      conf: "gc:\n  scanAllIntervalSeconds: 5\n",
      line: /^spiderpool-agent: refusing to start: conf\.yml: gc\.scanAllIntervalSeconds: .*>=10.*, got 5$/,
    },
    {
      name: "a Spiderpool feature we do not have, turned on, names the key, the value and what to set",
      conf: "podResourceInject:\n  enabled: true\n",
      line: /^spiderpool-agent: refusing to start: conf\.yml: podResourceInject\.enabled: got true, .*; set it to false or remove podResourceInject$/,
    },
    {
      name: "a key this project dropped says so and what to do",
      conf: "gc:\n  tracePodGapSeconds: 5\n",
      line: /^spiderpool-agent: refusing to start: conf\.yml: gc\.tracePodGapSeconds: no longer a setting: .*; remove the key$/,
    },
    {
      name: "YAML that does not parse names the file",
      conf: "enableIPv4: [true\n",
      line: /^spiderpool-agent: refusing to start: .*conf-.*\.yml: not valid YAML: /,
    },
    {
      name: "a bad environment variable names it and the accepted values",
      conf: "",
      env: { SPIDERPOOL_LOG_LEVEL: "chatty" },
      line: /^spiderpool-agent: refusing to start: SPIDERPOOL_LOG_LEVEL: expected one of debug, info, warn, error, got "chatty"$/,
    },
  ];

  it("starts with conf.yml exactly as Spiderpool's v1.2.2 chart renders it, logging one warning naming the keys it does not act on", async () => {
    const port = await new Promise<number>(resolve => {
      const srv = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    // An API server that refuses connections: the agent keeps retrying its watches, and its
    // liveness endpoint answers, which only happens after the configuration was accepted.
    const kubeconfig = join(dir, "kubeconfig-nowhere");
    writeFileSync(
      kubeconfig,
      "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]\n" +
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
    );
    const child = spawn(process.execPath, [bundle, `--config-path=${CHART_CONF}`], {
      env: {
        PATH: process.env.PATH ?? "",
        KUBECONFIG: kubeconfig,
        SPIDERPOOL_NODE_NAME: "node-1",
        SPIDERPOOL_IPAM_SOCKET: join(dir, "agent.sock"),
        SPIDERPOOL_HEALTH_PORT: String(port),
        SPIDERPOOL_METRIC_HTTP_PORT: "0",
        SPIDERPOOL_OPS_ADDRESS: "127.0.0.1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    try {
      let live = false;
      for (let i = 0; i < 200 && !live && child.exitCode === null; i++) {
        live =
          (await fetch(`http://127.0.0.1:${port}/v1/runtime/liveness`).catch(() => undefined))
            ?.status === 200;
        if (!live) await new Promise(r => setTimeout(r, 100));
      }
      assert.ok(live, `liveness answered; exit code ${child.exitCode}, stderr:\n${stderr}`);
    } finally {
      child.kill("SIGKILL");
    }
    assert.equal((await exited).signal, "SIGKILL", "still running until the test stopped it");
    assert.doesNotMatch(stderr, /refusing to start/);
    const warnings = stderr
      .split("\n")
      .filter(l => l.startsWith("{"))
      .map(l => JSON.parse(l) as { level: number; msg: string; keys?: string[] })
      .filter(l => l.level === LEVELS.warn && l.msg.startsWith("conf.yml: "));
    assert.equal(warnings.length, 1, `one configuration warning, got:\n${stderr}`);
    assert.match(warnings[0]!.msg, /^conf\.yml: accepted and not acted on: /);
    assert.deepEqual([...(warnings[0]!.keys ?? [])].sort(), [
      "agent.networkResourcePlugin",
      "enableKubevirtStaticIP",
      "iaasNetworkProvider",
      "podResourceInject",
      "tuneSysctlConfig",
    ]);
  });

  it("authenticates through an exec credential plugin with client-node loaded from the file beside it", async () => {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
      ].concat(["-days", "1", "-subj", "/CN=localhost", "-keyout", "k.pem", "-out", "c.pem"]),
      { cwd: dir, stdio: "ignore" },
    );
    const auth = new Set<string>();
    // Every request answered with an empty list, watches held open: the agent only has to ask.
    const server = https.createServer(
      { key: readFileSync(join(dir, "k.pem")), cert: readFileSync(join(dir, "c.pem")) },
      (req, res) => {
        auth.add(req.headers.authorization ?? "none");
        res.writeHead(200, { "content-type": "application/json" });
        if (/[?&]watch=/.test(req.url ?? "")) return;
        res.end(JSON.stringify({ kind: "List", items: [], metadata: { resourceVersion: "1" } }));
      },
    );
    await new Promise<void>(r => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const credential = JSON.stringify({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: { token: "from-exec-plugin" },
    });
    writeFileSync(join(dir, "credential.json"), credential);
    const kubeconfig = join(dir, "kubeconfig-exec");
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:${port}', insecure-skip-tls-verify: true}}]\n` +
        `users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: cat, args: ['${join(dir, "credential.json")}'], interactiveMode: Never}}}]\n` +
        "contexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
    );
    const child = spawn(process.execPath, [bundle, `--config-path=${CHART_CONF}`], {
      env: {
        PATH: process.env.PATH ?? "",
        KUBECONFIG: kubeconfig,
        SPIDERPOOL_NODE_NAME: "node-1",
        SPIDERPOOL_IPAM_SOCKET: join(dir, "agent-exec.sock"),
        SPIDERPOOL_HEALTH_PORT: "0",
        SPIDERPOOL_METRIC_HTTP_PORT: "0",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    try {
      for (let i = 0; i < 200 && !auth.size && child.exitCode === null; i++)
        await new Promise(r => setTimeout(r, 100));
    } finally {
      child.kill("SIGKILL");
      server.closeAllConnections();
      server.close();
    }
    assert.deepEqual([...auth], ["Bearer from-exec-plugin"], `stderr:\n${stderr}`);
  });

  for (const c of cases) {
    it(c.name, () => {
      const r = run(c.conf, c.env);
      assert.equal(r.status, 2, `exit code; stderr: ${r.lines.join("\n")}`);
      assert.equal(r.lines.length, 1, `exactly one line on stderr, got:\n${r.lines.join("\n")}`);
      assert.match(r.lines[0]!, c.line);
      assert.equal(r.stdout, "", "nothing on stdout");
    });
  }
});
