import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildCli } from "./build-cli.js";

/**
 * The bundled CLI runs alone: copied into an empty directory outside the repository (no
 * node_modules, no tsx, no package.json), it answers --version and --help, runs as a kubectl
 * plugin's executable by its shebang, and maps a context that does not exist and an API server
 * that does not answer to their documented exit statuses (docs/usage/cli.md#exit-status).
 */
describe("scripts/build-cli: the bundled CLI runs without a clone", function () {
  this.timeout(120_000);
  let dir: string;
  let plugin: string;
  let kubeconfig: string;
  const version = (
    JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    }
  ).version;

  before(async () => {
    const build = mkdtempSync(join(tmpdir(), "cli-build-"));
    dir = mkdtempSync(join(tmpdir(), "cli-alone-"));
    try {
      const { path } = await buildCli(join(build, "spiderpool.cjs"));
      plugin = join(dir, "kubectl-spiderpool");
      copyFileSync(path, plugin);
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      `clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: T}}]
contexts: [{name: here, context: {cluster: c, user: u}}]
current-context: here
`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) => {
    const r = spawnSync(plugin, args, {
      cwd: dir,
      encoding: "utf8",
      timeout: 60_000,
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: dir },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, error: r.error };
  };

  it("is executable, with a node shebang", () => {
    assert.ok(statSync(plugin).mode & 0o100, "executable bit set");
    assert.match(readFileSync(plugin, "utf8").split("\n")[0] ?? "", /^#!\/usr\/bin\/env node$/);
  });

  it("--version prints package.json's version", () => {
    const r = run("--version");
    assert.equal(r.status, 0, `${r.error ?? ""} ${r.stderr}`);
    assert.equal(r.stdout.trim(), `spiderpool ${version}`);
    const json = run("--version", "-o", "json");
    assert.equal(JSON.parse(json.stdout).version, version);
  });

  it("--help lists every command; a command's --help its flags", () => {
    const r = run("--help");
    assert.equal(r.status, 0, r.stderr);
    for (const c of ["pools", "subnets", "ip", "check", "explain", "release"])
      assert.match(r.stdout, new RegExp(`^  ${c} `, "m"));
    const release = run("release", "--help");
    assert.match(release.stdout, /--from-report REPORT/);
  });

  it("a context that does not exist: one line naming it, exit 2", () => {
    const r = run("pools", "--kubeconfig", kubeconfig, "--context", "nope");
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      `spiderpool: context "nope" not found in kubeconfig ${kubeconfig} (contexts: here)\n`,
    );
  });

  it("an API server that does not answer: exit 3, naming the request", () => {
    const r = run("pools", "--kubeconfig", kubeconfig, "--context", "here");
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /^spiderpool: GET \/apis\/\S+: /);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  });
});
