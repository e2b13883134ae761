import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { clusterDir, repoRoot } from "../cluster/paths.js";
import type { ClusterResults } from "../../bench/cluster-run.js";

/**
 * Keeps the cluster-scale benchmark from rotting (docs/concepts/scale.md): its quick mode runs
 * once against this cluster (3 simulated nodes with an agent process each, 100 Pods as
 * Deployments over IPv4 and dual-stack pools, churn, deletion; its own namespaces and the
 * pools of 10.220.0.0/16, removed at the end) and must write a results file with every field
 * the docs read, no duplicate address and no leaked one. Timings are not asserted.
 */
describe("bench quick: cluster-scale harness", function () {
  this.timeout(20 * 60_000);
  const out = path.join(os.tmpdir(), `bench-cluster-quick-${process.pid}-${Date.now()}.json`);
  let results: ClusterResults;

  after(() => fs.rmSync(out, { force: true }));

  it("creates, churns and deletes every Pod and writes the results file", () => {
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(repoRoot, "bench/cluster.ts"),
        "--quick",
        "--out",
        out,
        "--cluster-dir",
        clusterDir,
      ],
      { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    const tail = `${run.stdout ?? ""}${run.stderr ?? ""}`.split("\n").slice(-25).join("\n");
    assert.equal(run.status, 0, `bench:cluster --quick exited with ${run.status}:\n${tail}`);
    results = JSON.parse(fs.readFileSync(out, "utf8")) as ClusterResults;
    assert.equal(results.mode, "quick");
    assert.equal(results.nodes, 3);
    assert.equal(results.pods, 100);
    assert.equal(results.error, undefined);
  });

  it("has every top-level field and the three phases with their measurements", () => {
    for (const k of [
      "apiRequestsPerAdd",
      "duplicates",
      "leaks",
      "wallMs",
      "addP50Ms",
      "addP99Ms",
      "conflicts409",
      "failures",
    ] as const)
      assert.equal(typeof results[k], "number", `${k}: ${JSON.stringify(results[k])}`);
    assert.deepEqual(
      results.phases.map(p => p.name),
      ["create", "churn", "delete"],
    );
    const create = results.phases[0]!;
    // Every Pod got one ADD at least; the churned tenth got a second Pod with its own ADD.
    assert.ok(create.adds.calls >= 100, `create: ${create.adds.calls} ADDs`);
    assert.ok(results.phases[1]!.adds.calls >= 10, `churn: ${results.phases[1]!.adds.calls} ADDs`);
    assert.ok(
      results.phases[2]!.dels.calls >= 100,
      `delete: ${results.phases[2]!.dels.calls} DELs`,
    );
    assert.ok(create.requests.byVerb.POST! >= 100, "claim CREATEs counted by verb");
    assert.ok(create.apiRequestsPerAdd > 0);
    assert.ok(create.watch.bytesPerAgentPerAdd > 0, "agents' watch bytes per ADD");
    assert.ok(create.watch.byKind.ipclaims, "watch cost of IPClaims");
    // The watcher is a local process only when the cluster runs Pepr that way; the rest always are.
    for (const g of ["agents", "apiserver", "etcd"])
      assert.ok(create.usage[g]!.maxRssMiB > 0, `${g}: RSS sampled`);
    assert.ok(create.usage.watcher, "watcher usage reported");
  });

  it("handed out no address twice and left none behind", () => {
    assert.equal(results.duplicates, 0, "duplicate addresses");
    assert.equal(results.leaks, 0, `leaks: ${JSON.stringify(results.leakDetail)}`);
  });
});
