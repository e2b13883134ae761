import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../cluster/paths.js";

const script = path.join(repoRoot, "containers/agent/install-cni.sh");

/**
 * The CNI installer of the agent DaemonSet (containers/agent/install-cni.sh), run as its
 * initContainer runs it, against a scratch directory standing in for the host's /opt/cni/bin.
 */
describe("install: the CNI installer", function () {
  let dir: string;
  let src: string;
  let dest: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "install-cni-"));
    src = path.join(dir, "image");
    dest = path.join(dir, "host-cni-bin");
    fs.mkdirSync(dest);
    for (const target of ["linux-amd64", "linux-arm64"]) {
      fs.mkdirSync(path.join(src, target), { recursive: true });
      fs.writeFileSync(path.join(src, target, "spiderpool"), `#!/bin/sh\necho ${target}\n`);
      fs.writeFileSync(
        path.join(src, target, "spiderpool-node"),
        `#!/bin/sh\necho ${target} node\n`,
      );
      fs.writeFileSync(
        path.join(src, target, "coordinator"),
        `#!/bin/sh\necho ${target} coordinator\n`,
      );
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const install = (machine: string, extra: Record<string, string> = {}) =>
    spawnSync("sh", [script], {
      env: {
        PATH: process.env.PATH ?? "",
        SPIDERPOOL_CNI_SRC_DIR: src,
        CNI_BIN_DIR: dest,
        SPIDERPOOL_MACHINE: machine,
        ...extra,
      },
      encoding: "utf8",
    });

  for (const [machine, target] of [
    ["x86_64", "linux-amd64"],
    ["aarch64", "linux-arm64"],
  ] as const) {
    it(`installs the ${target} shim, its Node fallback and the coordinator on ${machine}, executable, fallback first, leaving no temporary file`, () => {
      const r = install(machine);
      assert.equal(r.status, 0, r.stderr);
      for (const [file, says] of [
        ["spiderpool", target],
        ["spiderpool-node", `${target} node`],
        ["coordinator", `${target} coordinator`],
      ]) {
        const installed = path.join(dest, file!);
        assert.equal(spawnSync(installed, { encoding: "utf8" }).stdout.trim(), says);
        assert.equal(fs.statSync(installed).mode & 0o777, 0o755);
      }
      assert.deepEqual(fs.readdirSync(dest).sort(), [
        "coordinator",
        "spiderpool",
        "spiderpool-host.json",
        "spiderpool-node",
      ]);
      const lines = r.stdout.trim().split("\n");
      assert.match(lines[0]!, new RegExp(`wrote ${dest}/spiderpool-host.json`));
      assert.match(lines[1]!, new RegExp(`installed ${target} plugin as ${dest}/spiderpool-node`));
      assert.match(lines[2]!, new RegExp(`installed ${target} plugin as ${dest}/spiderpool \\(`));
      assert.match(lines[3]!, new RegExp(`installed ${target} plugin as ${dest}/coordinator \\(`));
      // Spiderpool's directories unless the DaemonSet says otherwise.
      assert.deepEqual(
        JSON.parse(fs.readFileSync(path.join(dest, "spiderpool-host.json"), "utf8")),
        { logDir: "/var/log/spidernet", runDir: "/var/run/spidernet" },
      );
    });
  }

  it("writes the node's plugin directories from its environment, and refuses a relative or unquotable one", () => {
    const r = install("x86_64", {
      SPIDERPOOL_PLUGIN_LOG_DIR: "/srv/logs/cni",
      SPIDERPOOL_PLUGIN_RUN_DIR: "/run/spiderpool",
    });
    assert.equal(r.status, 0, r.stderr);
    const file = path.join(dest, "spiderpool-host.json");
    assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), {
      logDir: "/srv/logs/cni",
      runDir: "/run/spiderpool",
    });
    assert.equal(fs.statSync(file).mode & 0o777, 0o644);
    for (const [name, value, text] of [
      ["SPIDERPOOL_PLUGIN_LOG_DIR", "logs", "must be an absolute path"],
      ["SPIDERPOOL_PLUGIN_RUN_DIR", '/run/"x', "must not contain quotes"],
    ] as const) {
      fs.rmSync(dest, { recursive: true });
      fs.mkdirSync(dest);
      const bad = install("x86_64", { [name]: value });
      assert.equal(bad.status, 1);
      assert.ok(bad.stderr.includes(`${name} ${text}`) && bad.stderr.includes(value), bad.stderr);
      assert.deepEqual(fs.readdirSync(dest), [], "nothing installed");
    }
  });

  it("replaces a plugin that is executing at that moment (rename, not overwrite)", async () => {
    const installed = path.join(dest, "spiderpool");
    fs.copyFileSync(fs.realpathSync("/bin/sleep"), installed);
    const running = spawn(installed, ["5"]);
    await new Promise(r => setTimeout(r, 200));
    try {
      // Writing into a running executable fails with ETXTBSY; the installer must not do that.
      assert.throws(() => fs.writeFileSync(installed, "x"), /ETXTBSY/);
      const r = install("x86_64");
      assert.equal(r.status, 0, r.stderr);
      assert.equal(spawnSync(installed, { encoding: "utf8" }).stdout.trim(), "linux-amd64");
    } finally {
      running.kill();
    }
  });

  it("refuses an architecture it has no plugin for, naming the supported ones", () => {
    const r = install("riscv64");
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /unsupported machine "riscv64"; the plugin is built for linux-amd64 \(x86_64\) and linux-arm64 \(aarch64\)/,
    );
    assert.deepEqual(fs.readdirSync(dest), []);
  });

  it("refuses when the image lacks the plugin or the host directory is not mounted", () => {
    fs.rmSync(path.join(src, "linux-amd64", "coordinator"));
    const noCoordinator = install("x86_64");
    assert.equal(noCoordinator.status, 1);
    assert.match(noCoordinator.stderr, /linux-amd64\/coordinator is missing from the image/);
    assert.deepEqual(fs.readdirSync(dest), [], "nothing installed when the coordinator is missing");
    fs.writeFileSync(path.join(src, "linux-amd64", "coordinator"), "#!/bin/sh\n");
    fs.rmSync(path.join(src, "linux-arm64", "spiderpool-node"));
    const noFallback = install("aarch64");
    assert.equal(noFallback.status, 1);
    assert.match(noFallback.stderr, /linux-arm64\/spiderpool-node is missing from the image/);
    assert.deepEqual(fs.readdirSync(dest), [], "nothing installed when one file is missing");
    fs.rmSync(path.join(src, "linux-arm64"), { recursive: true });
    const missing = install("aarch64");
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /linux-arm64\/spiderpool-node is missing from the image/);
    fs.rmSync(dest, { recursive: true });
    const unmounted = install("x86_64");
    assert.equal(unmounted.status, 1);
    assert.match(unmounted.stderr, /CNI directory .* is not mounted/);
  });
});
