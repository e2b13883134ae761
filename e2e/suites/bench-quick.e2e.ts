import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { clusterDir, repoRoot } from "../cluster/paths.js";
import { SYSTEM_IDS } from "../../bench/options.js";
import type { ResultsFile } from "../../bench/results-file.js";

/**
 * Keeps the storm benchmark from rotting: its quick mode runs once against this cluster (its
 * own simulated nodes and agents, its own namespace and address windows 10.200-10.202/16, torn
 * down at the end) and must produce a results file covering every system and scenario, with
 * no duplicate and no leaked address for ours. Timings are the benchmark's business, not
 * asserted here.
 */
describe("bench: the storm harness in quick mode", function () {
  this.timeout(40 * 60_000);
  const out = path.join(os.tmpdir(), `bench-quick-${process.pid}-${Date.now()}.json`);
  let results: ResultsFile;

  after(() => fs.rmSync(out, { force: true }));

  it("runs every system through every scenario and writes the results file", () => {
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(repoRoot, "bench/main.ts"),
        "--quick",
        "--no-docs",
        "--out",
        out,
        "--cluster-dir",
        clusterDir,
      ],
      {
        cwd: repoRoot,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const tail = `${run.stdout ?? ""}${run.stderr ?? ""}`.split("\n").slice(-25).join("\n");
    assert.equal(run.status, 0, `bench --quick exited with ${run.status}:\n${tail}`);
    results = JSON.parse(fs.readFileSync(out, "utf8")) as ResultsFile;
    assert.equal(results.mode, "quick");
    assert.deepEqual(results.systems.map(s => s.id).sort(), [...SYSTEM_IDS].sort());
  });

  it("has calls of every system in every scenario", () => {
    for (const id of SYSTEM_IDS) {
      const labels = new Set(
        results.records.filter(r => r.system === id).map(r => r.phase.split(" ")[0]),
      );
      for (const scenario of ["S1", "S2", "S3", "S4", "S6"])
        assert.ok(
          labels.has(scenario),
          `${id}: no calls in ${scenario} (has ${[...labels].join(", ")})`,
        );
    }
    for (const id of ["ours", "whereabouts"] as const) {
      assert.ok(
        results.records.some(r => r.system === id && r.phase.startsWith("S5")),
        `${id}: no S5 calls`,
      );
    }
    const s2 = results.phases.filter(p => p.label.startsWith("S2 ") && p.op === "ADD");
    assert.deepEqual(
      s2.map(p => p.system).sort(),
      [...SYSTEM_IDS].sort(),
      "one S2 ADD storm per system",
    );
    assert.ok(results.poolScale, "the pool-scale test ran");
  });

  it("gave ours no duplicate and leaked no address of ours", () => {
    const ours = results.scenarioChecks.ours;
    assert.ok(ours, "no checks for ours");
    const answered = results.records.filter(
      r => r.system === "ours" && r.op === "ADD" && r.address,
    );
    assert.ok(
      answered.length >= results.options.pods,
      `only ${answered.length} addresses answered to ours`,
    );
    assert.equal(ours.duplicates, 0, "duplicate addresses handed out by ours");
    for (const p of results.phases.filter(x => x.system === "ours"))
      assert.equal(p.duplicates, 0, `${p.label}: duplicates`);
    assert.equal(ours.leaks, 0, "addresses of ours still held after every DEL");
  });
});
