import assert from "node:assert/strict";
import { parseBenchOptions } from "./options.js";

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  parseBenchOptions(argv, env, "/repo", new Date("2026-01-02T03:04:05.678Z"));

describe("bench options", () => {
  it("defaults to the full run of the issue, results named by timestamp, docs updated", () => {
    const o = parse([]);
    assert.deepEqual([o.mode, o.pods, o.nodes, o.concurrency], ["full", 1000, 10, [10, 100]]);
    assert.equal(o.out, "/repo/bench/results/2026-01-02T03-04-05-678Z.json");
    assert.equal(o.docs, "/repo/docs/benchmarks.md");
    assert.equal(o.clusterDir, "/repo/.cluster");
  });
  it("--quick is small; flags override it; the cluster dir comes from the flag, then the env", () => {
    const o = parse(["--quick", "--pods", "40", "--no-docs"], { SPIDERPOOL_CLUSTER_DIR: "/c" });
    assert.deepEqual(
      [o.mode, o.pods, o.nodes, o.docs, o.clusterDir],
      ["quick", 40, 3, undefined, "/c"],
    );
    assert.equal(parse(["--cluster-dir", "/d"], { SPIDERPOOL_CLUSTER_DIR: "/c" }).clusterDir, "/d");
  });
  const bad: Array<[argv: string[], message: RegExp]> = [
    [["--pods", "ten"], /--pods: expected an integer 2\.\.60000, got "ten"/],
    [["--concurrency", "10,0"], /--concurrency: expected integers/],
    [["--systems", "ours,calico"], /--systems: unknown "calico"/],
    [["--quick", "--medium"], /exclude each other/],
    [["--nodes", "20", "--pods", "5"], /at least one pod per node/],
    [["--frobnicate"], /Unknown option/],
  ];
  for (const [argv, message] of bad)
    it(`refuses ${argv.join(" ")}`, () => assert.throws(() => parse(argv), message));
});
