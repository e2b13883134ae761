import assert from "node:assert/strict";
import { selectPools } from "../lib/core/selection/pool-selection.js";
import { collectCandidates } from "../lib/core/selection/pool-sources.js";
import { formatExplanation } from "./explain-format.js";
import { claim, pod, pool } from "./fixtures.js";
import { selectionInputFor, type SelectionFacts } from "./selection-request.js";

/** Runs the real selection on facts and formats it, as `spiderpool explain` does. */
function explain(overrides: Partial<SelectionFacts>): string {
  const facts: SelectionFacts = {
    pod: pod("web", "u1", {
      annotations: { "ipam.spidernet.io/ippool": JSON.stringify({ ipv4: ["full", "far", "ok"] }) },
    }),
    node: { name: "node-1", labels: { zone: "a" } },
    namespace: { labels: {}, annotations: {} },
    pools: [
      pool("full", { ips: ["10.9.0.1"] }),
      pool("far", { ips: ["10.9.0.2-10.9.0.3"], nodeName: ["node-2"] }),
      pool("ok", { ips: ["10.9.0.4-10.9.0.5"] }),
    ],
    claims: [claim("10.9.0.1", "full", "other")],
    reserved: [],
    owners: () => undefined,
    ifName: "eth0",
    netconf: { defaultIPv4IPPool: [], defaultIPv6IPPool: [] },
    config: {
      enableIPv4: true,
      enableIPv6: true,
      enableSpiderSubnet: true,
      enableAutoPoolForApplication: true,
    },
    agentNamespace: "kube-system",
    ...overrides,
  };
  const input = selectionInputFor(facts);
  const candidates = collectCandidates(input);
  const sources = candidates.ok ? new Map(candidates.value.map(c => [c.nic, c.source])) : undefined;
  return formatExplanation({
    pod: "ns/web",
    uid: "u1",
    node: facts.node.name,
    nodeAssumed: false,
    ifName: "eth0",
    pools: input.pools,
    result: selectPools(input),
    ...(sources ? { sources } : {}),
  });
}

describe("cli/explain-format (with the agent's selection)", () => {
  it("a taken pool awaiting the migration import is flagged, and the next one is the result", () => {
    const input = selectionInputFor({
      pod: pod("web", "u1", {
        annotations: { "ipam.spidernet.io/ippool": JSON.stringify({ ipv4: ["old", "ok"] }) },
      }),
      node: { name: "node-1", labels: {} },
      namespace: { labels: {}, annotations: {} },
      pools: [
        pool("old", { ips: ["10.9.0.1-10.9.0.2"] }),
        pool("ok", { ips: ["10.9.0.4-10.9.0.5"] }),
      ],
      claims: [],
      reserved: [],
      owners: () => undefined,
      ifName: "eth0",
      netconf: { defaultIPv4IPPool: [], defaultIPv6IPPool: [] },
      config: {
        enableIPv4: true,
        enableIPv6: true,
        enableSpiderSubnet: true,
        enableAutoPoolForApplication: true,
      },
      agentNamespace: "kube-system",
    });
    const base = {
      pod: "ns/web",
      uid: "u1",
      node: "node-1",
      nodeAssumed: false,
      ifName: "eth0",
      pools: input.pools,
      result: selectPools(input),
    };
    const one = formatExplanation({
      ...base,
      awaitingImport: new Map([["old", "1 of Spiderpool's allocation records …"]]),
    });
    assert.match(
      one,
      /^ {4}old +taken, try 1 \(.*\); skipped at allocation until imported: 1 of Spiderpool's/m,
    );
    assert.match(one, /^result: eth0 would be allocated IPv4 from ok$/m);
    const both = formatExplanation({
      ...base,
      awaitingImport: new Map([
        ["old", "r"],
        ["ok", "r"],
      ]),
    });
    assert.match(both, /^result: the CNI ADD would fail until the watcher imports old, ok /m);
  });

  it("shows each candidate taken or skipped, with the rule and reason, and the outcome", () => {
    const text = explain({});
    assert.match(text, /^Pod ns\/web \(uid u1\) on node node-1, interface eth0$/m);
    assert.match(text, /candidates from Pod annotation ipam\.spidernet\.io\/ippool$/m);
    assert.match(text, /^ {4}full +skipped \[exhausted\]: /m);
    assert.match(text, /^ {4}far +skipped \[node\]: /m);
    assert.match(text, /^ {4}ok +taken, try 1 \(2\/2 free\)$/m);
    assert.match(text, /^result: eth0 would be allocated IPv4 from ok$/m);
  });

  it("explains a refusal pool by pool when every candidate is filtered out", () => {
    const text = explain({
      pools: [
        pool("full", { ips: ["10.9.0.1"] }),
        pool("far", { ips: ["10.9.0.2"], nodeName: ["node-2"] }),
        pool("ok", { ips: ["10.9.0.4"], nodeName: ["node-3"] }),
      ],
    });
    assert.match(text, /^NIC eth0: candidates from Pod annotation ipam\.spidernet\.io\/ippool$/m);
    assert.match(text, /^NIC eth0, IPv4: every candidate was filtered out$/m);
    assert.match(text, /^ {4}ok +skipped \[node\]: /m);
    assert.match(
      text,
      /^result: the CNI ADD would fail \(all_pools_filtered\): no IPPool available, all IPv4 IPPools \[full far ok\] of eth0 filtered out/m,
    );
  });

  it("does not count the Pod's own claim as taken (a retried ADD reuses it)", () => {
    const text = explain({ claims: [claim("10.9.0.1", "full", "u1")] });
    assert.match(text, /^ {4}full +taken, try 1 \(1\/1 free\)$/m);
  });

  it("reports a pool the annotation names that does not exist", () => {
    const text = explain({ pools: [pool("ok", { ips: ["10.9.0.4"] })] });
    assert.match(text, /^result: the CNI ADD would fail \(pool_not_found\): /m);
  });

  it("names the cluster default pools as the source when nothing else applies", () => {
    const text = explain({
      pod: pod("web", "u1"),
      pools: [pool("dflt", { ips: ["10.9.0.4"], default: true })],
    });
    assert.match(text, /candidates from cluster default pools \(spec\.default: true\)/);
    assert.match(text, /^ {4}dflt +taken, try 1 \(1\/1 free\)$/m);
  });
});
