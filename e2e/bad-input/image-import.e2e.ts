import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadState } from "../cluster/cluster.js";
import { mountsBelow } from "../cluster/host-effects.js";
import { ensureImage, PAUSE_IMAGE } from "../cluster/images.js";
import { imageCacheDir } from "../cluster/oci-build.js";
import { clusterDir, paths, repoRoot } from "../cluster/paths.js";

/**
 * Issue "Bad input" of the real node (README, "Local cluster"): an image that fails to import
 * stops `cluster:up` with the step that failed and the tail of its log, and leaves no process,
 * network namespace or mount behind. The image cache is a copy of the machine's (links to its Go
 * binaries and image tarballs, so nothing is rebuilt) in which the sandbox image, the first one
 * imported, is a corrupt archive. Brings a cluster up itself: run it alone, under the e2e lock,
 * with no cluster up (`npx mocha --config e2e/bad-input/.mocharc.json`).
 */
describe("bad input: an image the real node cannot import", function () {
  this.timeout(600_000);
  let cache: string;

  before(() => {
    assert.equal(loadState(), undefined, "a cluster is up: run this with none (cluster:down)");
    const real = imageCacheDir();
    cache = fs.mkdtempSync(path.join(os.tmpdir(), "spd-bad-image-"));
    // The Go binaries of build-binaries.sh and every cached image, linked, not copied.
    const home = path.dirname(real);
    fs.symlinkSync(path.join(home, "bin"), path.join(cache, "bin"));
    fs.mkdirSync(path.join(cache, "images"));
    if (fs.existsSync(real))
      for (const f of fs.readdirSync(real).filter(f => f.endsWith(".tar")))
        fs.symlinkSync(path.join(real, f), path.join(cache, "images", f));
    // The sandbox image's tarball, under the name cluster:up looks for, made unreadable.
    process.env.SPIDERPOOL_CACHE = cache;
    const log = path.join(cache, "build.log");
    const tarball = ensureImage(PAUSE_IMAGE, log);
    delete process.env.SPIDERPOOL_CACHE;
    fs.rmSync(tarball);
    fs.writeFileSync(tarball, "this is no OCI archive\n".repeat(64));
  });

  after(() => {
    if (cache) fs.rmSync(cache, { recursive: true, force: true });
  });

  const netnsList = () =>
    execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
      .split("\n")
      .map(l => l.split(" ")[0]!)
      .filter(Boolean)
      .sort();
  // Every process started for the cluster names a path below its directory (etcd's data,
  // containerd's and the kubelet's configuration, the agents' sockets).
  const clusterProcesses = () =>
    fs
      .readdirSync("/proc")
      .filter(e => /^\d+$/.test(e) && Number(e) !== process.pid)
      .flatMap(e => {
        try {
          const cmd = fs.readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0").join(" ");
          return cmd.includes(`${clusterDir}/`) ? [`${e}: ${cmd.slice(0, 200)}`] : [];
        } catch {
          return [];
        }
      });

  it("stops cluster:up naming the import step with the tail of ctr's output, leaving no process, namespace or mount", () => {
    const netnsBefore = netnsList();
    const r = spawnSync(
      process.execPath,
      [
        ...["--import", "tsx", path.join(repoRoot, "e2e/cluster/cli.ts")],
        ...["up", "--nodes", "1", "--real-nodes", "1"],
      ],
      {
        cwd: repoRoot,
        encoding: "utf8",
        timeout: 540_000,
        env: { ...process.env, SPIDERPOOL_CACHE: cache },
      },
    );
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 1, out);
    const error = out.split("\n").find(l => l.startsWith("error: ")) ?? "";
    assert.ok(
      error.startsWith(`error: real node real-1: import image ${PAUSE_IMAGE.ref}: `),
      `the error names no import step:\n${out}`,
    );
    // The tail of the node's log: the ctr command that failed and what it said.
    assert.match(error, /\$ ctr -a \S+ -n k8s\.io images import /, error);
    assert.match(error, /ctr: /, error);
    assert.ok(error.includes(`(log: ${paths.log("real-node-real-1")})`), error);

    assert.deepEqual(clusterProcesses(), [], "processes of the cluster left running");
    assert.deepEqual(netnsList(), netnsBefore, "network namespaces left behind");
    assert.deepEqual(mountsBelow(clusterDir), [], "mounts left below the cluster directory");
    assert.equal(loadState(), undefined, "cluster:down did not run: the state file is there");
  });
});
