import assert from "node:assert/strict";
import { parseClusterOptions } from "./cluster-options.js";

describe("bench:cluster options", () => {
  const at = new Date("2026-12-07T22:00:00.000Z");

  it("defaults to the issue's size and writes a timestamped file under bench/results", () => {
    const o = parseClusterOptions([], {}, "/repo", at);
    assert.equal(o.mode, "full");
    assert.equal(o.nodes, 100);
    assert.equal(o.pods, 10_000);
    assert.equal(o.churn, 0.1);
    assert.equal(o.namespaces, 50);
    assert.equal(o.out, "/repo/bench/results/cluster-2026-12-07T22-00-00-000Z.json");
    assert.equal(o.clusterDir, "/repo/.cluster");
  });

  it("keeps --quick small and lets --nodes and --pods override it", () => {
    const q = parseClusterOptions(["--quick"], {}, "/repo", at);
    assert.deepEqual([q.mode, q.nodes, q.pods, q.namespaces], ["quick", 3, 100, 2]);
    const o = parseClusterOptions(["--quick", "--nodes", "5", "--pods", "250"], {}, "/repo", at);
    assert.deepEqual([o.nodes, o.pods], [5, 250]);
  });

  it("names the flag and the value it refuses", () => {
    assert.throws(
      () => parseClusterOptions(["--nodes", "0"], {}, "/repo"),
      /--nodes: expected an integer 1-500, got "0"/,
    );
    assert.throws(
      () => parseClusterOptions(["--pods", "1e3"], {}, "/repo"),
      /--pods: expected an integer 1-40000, got "1e3"/,
    );
    assert.throws(() => parseClusterOptions(["--churn", "2"], {}, "/repo"), /--churn: .*"2"/);
    assert.throws(() => parseClusterOptions(["--bogus"], {}, "/repo"), { code: "usage" });
  });
});
