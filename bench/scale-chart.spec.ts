import assert from "node:assert/strict";
import type { ClusterResults } from "./cluster-run.js";
import { scaleChart, scaleTable } from "./scale-chart.js";

function run(nodes: number, pods: number, perAdd: number): ClusterResults {
  const usage = (rss: number) => ({ cpuSeconds: 1, maxRssMiB: rss, peakSumRssMiB: rss });
  return {
    nodes,
    pods,
    apiRequestsPerAdd: perAdd,
    addP50Ms: 10,
    addP99Ms: 20,
    conflicts409: 3,
    failures: 0,
    duplicates: 0,
    leaks: 0,
    agentIdleRssMiB: 100,
    phases: [
      {
        name: "create",
        wallMs: 5000,
        adds: { calls: pods },
        watch: { eventsPerAgentPerAdd: 1.5, bytesPerAgentPerAdd: 2048 },
        usage: {
          agents: usage(120),
          watcher: usage(300),
          apiserver: usage(700),
          etcd: usage(90),
        },
      },
    ],
  } as unknown as ClusterResults;
}

describe("bench:cluster chart and table", () => {
  const runs = [run(100, 1000, 3.3), run(10, 1000, 2.9), run(10, 5000, 2.8)];

  it("draws one bar per run in every panel, ordered by Pods then nodes, with the targets", () => {
    const svg = scaleChart(runs);
    assert.equal(svg.match(/fill="#4a7ab5"/g)?.length, 6 * 3);
    const labels = [...svg.matchAll(/>(\d+\/\d+)</g)].map(m => m[1]).slice(0, 3);
    assert.deepEqual(labels, ["10/1000", "100/1000", "10/5000"]);
    assert.equal(svg.match(/stroke-dasharray/g)?.length, 2);
    assert.match(svg, />3\.30</);
  });

  it("prints a row per run with the measures the page cites", () => {
    const lines = scaleTable(runs).trim().split("\n");
    assert.equal(lines.length, 2 + 3);
    assert.match(
      lines[2]!,
      /^\| 10 \| 1000 \| 5 \| 10 \/ 20 \| 2\.9 \| 3 \| 1\.5 \/ 2\.00 \| 100 \/ 120 \|/,
    );
  });
});
