import assert from "node:assert/strict";
import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { AgentMetrics } from "./agent/metrics.js";
import { WatcherMetrics, type CountedObject } from "./watcher/metrics.js";
import { ApiActivity } from "./k8s/api-activity.js";

/**
 * The names our two processes serve against Spiderpool's published IPAM dashboard (the names its
 * queries read, extracted into lib/testing/spiderpool-dashboard-metrics.json with their source)
 * and against docs/usage/metrics.md: agent series on the agent, controller series on the watcher,
 * counters with `_total`, per-pool and per-subnet usage from the objects' status.
 */
describe("metric names: Spiderpool's dashboard finds ours", function () {
  const dashboard = JSON.parse(
    fs.readFileSync(
      new URL("./testing/spiderpool-dashboard-metrics.json", import.meta.url),
      "utf8",
    ),
  ) as { commit: string; metrics: string[] };
  const pkg = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };

  it("every name the dashboard queries is served, Spiderpool's agent series by the agent, its controller series by the watcher", async () => {
    const agent = exposition(await agentMetrics().registry.metrics());
    const watcher = exposition(
      await new WatcherMetrics().watchApi(new ApiActivity()).registry.metrics(),
    );
    assert.equal(dashboard.metrics.length, 18, "the fixture lists the dashboard's 18 series");
    // Spiderpool's split (docs/usage/metrics.md): the IPAM plugin's series come from the agent,
    // pool counts and IP GC from the controller, whose part the watcher plays here.
    const fromAgent = (n: string) => n.startsWith("spiderpool_ipam_");
    assert.deepEqual(
      dashboard.metrics.filter(n => !(fromAgent(n) ? agent : watcher).names.has(n)),
      [],
      "queried by Spiderpool's dashboard, not served by the process Spiderpool serves it from",
    );
  });

  it("names every counter with `_total`, as Spiderpool's exporter serves them", async () => {
    for (const registry of [agentMetrics().registry, new WatcherMetrics().registry]) {
      const { types } = exposition(await registry.metrics());
      const counters = [...types].filter(([, t]) => t === "counter").map(([n]) => n);
      assert.ok(counters.length > 5, `counters: ${counters.join(", ")}`);
      assert.deepEqual(
        counters.filter(n => !n.endsWith("_total")),
        [],
      );
    }
  });

  it("serves spiderpool_build_info with the package's version on both processes", async () => {
    for (const [component, registry] of [
      ["agent", agentMetrics().registry],
      ["watcher", new WatcherMetrics().registry],
    ] as const) {
      const { samples } = exposition(await registry.metrics());
      assert.equal(
        samples.get(`spiderpool_build_info{version="${pkg.version}",component="${component}"}`),
        1,
      );
    }
  });

  it("gives total, allocated and available per pool and per subnet from their status, and drops a deleted one's series", async () => {
    let pools: CountedObject[] = [
      pool("a", 10, 3),
      pool("b", 4, 4, { ownerRef: "s1" }),
      pool("c", 8, 1, { label: "s1" }),
      pool("fresh", undefined, undefined), // no status written yet
    ];
    const subnets: CountedObject[] = [pool("s1", 254, 12), pool("s2", 16, 0)];
    const m = new WatcherMetrics().watchPools(() => pools).watchSubnets(() => subnets);
    let { samples } = exposition(await m.registry.metrics());
    const at = (name: string, label: string, value: string) =>
      samples.get(`spiderpool_debug_${name}_ip_counts{${label}="${value}"}`);
    assert.deepEqual(
      ["total", "allocated", "available"].map(s => at(`ippool_${s}`, "SpiderIPPool", "a")),
      [10, 3, 7],
    );
    assert.equal(at("ippool_available", "SpiderIPPool", "b"), 0);
    assert.deepEqual(
      ["total", "allocated", "available"].map(s => at(`ippool_${s}`, "SpiderIPPool", "fresh")),
      [0, 0, 0],
    );
    assert.deepEqual(
      ["total", "allocated", "available"].map(s => at(`subnet_${s}`, "SpiderSubnet", "s1")),
      [254, 12, 242],
    );
    assert.equal(samples.get('spiderpool_debug_subnet_ippool_counts{SpiderSubnet="s1"}'), 2);
    assert.equal(samples.get('spiderpool_debug_subnet_ippool_counts{SpiderSubnet="s2"}'), 0);
    assert.equal(samples.get("spiderpool_total_ippool_counts"), 4);
    assert.equal(samples.get("spiderpool_total_subnet_counts"), 2);

    pools = pools.filter(p => p.metadata.name !== "a");
    ({ samples } = exposition(await m.registry.metrics()));
    assert.equal(
      at("ippool_total", "SpiderIPPool", "a"),
      undefined,
      "a deleted pool's series goes",
    );
    assert.equal(samples.get("spiderpool_total_ippool_counts"), 3);
  });

  it("serves spiderpool_total_subnet_counts as 0 while the subnet feature is off", async () => {
    const { samples } = exposition(await new WatcherMetrics().registry.metrics());
    assert.equal(samples.get("spiderpool_total_subnet_counts"), 0);
  });

  it("ships the pool-above-90 % alert and the usage panels on series the watcher serves", async () => {
    const served = exposition(
      await new WatcherMetrics().watchPools(() => [pool("p", 10, 9)]).registry.metrics(),
    ).names;
    const rule = parseYaml(
      fs.readFileSync(
        new URL("../manifests/prometheus/spiderpool-rules.yaml", import.meta.url),
        "utf8",
      ),
    ) as { kind: string; spec: { groups: { rules: { alert?: string; expr: string }[] }[] } };
    assert.equal(rule.kind, "PrometheusRule");
    const alert = rule.spec.groups
      .flatMap(g => g.rules)
      .find(r => r.alert === "SpiderpoolIPPoolAlmostFull");
    assert.ok(alert, "the alert SpiderpoolIPPoolAlmostFull");
    assert.match(alert.expr, />\s*0\.9\s*$/, "fires above 90 %");
    const board = JSON.parse(
      fs.readFileSync(
        new URL("../manifests/grafana/spiderpool-dashboard.json", import.meta.url),
        "utf8",
      ),
    ) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const panel = board.panels.find(p => p.title.startsWith("Pool usage"));
    assert.ok(panel?.targets?.length, "a pool-usage panel");
    for (const expr of [alert.expr, ...panel.targets.map(t => t.expr)]) {
      const names = [...expr.matchAll(/spiderpool_[a-z_]+/g)].map(m => m[0]);
      assert.ok(names.length >= 2, expr);
      assert.deepEqual(
        names.filter(n => !served.has(n)),
        [],
        `${expr}: names not served`,
      );
    }
  });

  it("documents every name both processes serve in docs/usage/metrics.md", async () => {
    const doc = fs.readFileSync(new URL("../docs/usage/metrics.md", import.meta.url), "utf8");
    for (const registry of [
      agentMetrics().registry,
      new WatcherMetrics().watchApi(new ApiActivity()).registry,
    ]) {
      const { types } = exposition(await registry.metrics());
      assert.deepEqual(
        [...types.keys()].filter(n => n.startsWith("spiderpool_") && !doc.includes(`\`${n}\``)),
        [],
        "served but not documented",
      );
    }
  });
});

function agentMetrics(): AgentMetrics {
  return new AgentMetrics().watchApi(new ApiActivity()).watchClaims(
    () => 0,
    () => 0,
  );
}

function pool(
  name: string,
  total: number | undefined,
  allocated: number | undefined,
  owner: { ownerRef?: string; label?: string } = {},
): CountedObject {
  return {
    metadata: {
      name,
      ...(owner.label ? { labels: { "ipam.spidernet.io/owner-spider-subnet": owner.label } } : {}),
      ...(owner.ownerRef
        ? { ownerReferences: [{ kind: "SpiderSubnet", name: owner.ownerRef, controller: true }] }
        : {}),
    },
    ...(total === undefined
      ? {}
      : { status: { totalIPCount: total, allocatedIPCount: allocated } }),
  };
}

/** The exposition text as Prometheus reads it: every sample (name with labels → value), every family's type. */
function exposition(text: string): {
  samples: Map<string, number>;
  names: Set<string>;
  types: Map<string, string>;
} {
  const samples = new Map<string, number>();
  const names = new Set<string>();
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    const s = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (s) {
      samples.set(s[1]! + (s[2] ?? ""), Number(s[3]));
      names.add(s[1]!);
    }
  }
  return { samples, names, types };
}
