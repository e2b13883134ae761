/**
 * The text of `spiderpool explain`: for each NIC and family, every candidate pool in the order
 * the source named it, taken (with its try order) or skipped (with the agent's reason), then
 * what the CNI ADD would do. Pure.
 */
import type {
  NicPlan,
  PoolSource,
  PoolView,
  SelectionError,
} from "../lib/core/selection/pool-selection.js";
import type { Result } from "../lib/core/base/result.js";
import {
  ANNO_NS_DEFAULT_V4_POOL,
  ANNO_POD_IPPOOL,
  ANNO_POD_IPPOOLS,
  ANNO_SUBNET,
} from "../lib/core/base/well-known-names.js";

export interface Explanation {
  readonly pod: string;
  readonly uid: string;
  readonly node: string;
  /** Whether the node came from `spec.nodeName` or was assumed with --node. */
  readonly nodeAssumed: boolean;
  readonly ifName: string;
  readonly pools: readonly PoolView[];
  readonly result: Result<NicPlan[], SelectionError>;
  /** Where each NIC's candidates came from, known even when selection failed later. */
  readonly sources?: ReadonlyMap<string, PoolSource>;
  /** Pools the agent skips at allocation until Spiderpool's records in their status are imported, with why. */
  readonly awaitingImport?: ReadonlyMap<string, string>;
}

const SOURCE: Readonly<Record<PoolSource, string>> = {
  subnet: `Pod annotation ${ANNO_SUBNET}(s): the workload's auto-created pool`,
  ippools: `Pod annotation ${ANNO_POD_IPPOOLS}`,
  ippool: `Pod annotation ${ANNO_POD_IPPOOL}`,
  namespace: `Namespace annotations ${ANNO_NS_DEFAULT_V4_POOL} / default-ipv6-ippool`,
  netconf: "CNI netconf default_ipv4_ippool / default_ipv6_ippool",
  "cluster-default": "cluster default pools (spec.default: true)",
};

export function formatExplanation(e: Explanation): string {
  const out: string[] = [];
  out.push(
    `Pod ${e.pod} (uid ${e.uid || "none"}) on node ${e.node}${e.nodeAssumed ? " (assumed: --node)" : ""}, interface ${e.ifName}`,
  );
  const counts = new Map(e.pools.map(p => [p.name, p]));
  const usage = (name: string) => {
    const p = counts.get(name);
    return p ? `${p.free}/${p.total} free` : "not found";
  };
  const width = (names: readonly string[]) => Math.max(4, ...names.map(n => n.length));

  if (e.result.ok) {
    for (const plan of e.result.value) {
      out.push(
        `NIC ${plan.nic}: candidates from ${SOURCE[plan.source]}${plan.cleanGateway ? " (cleanGateway)" : ""}`,
      );
      if (!plan.families.length) out.push("  no pool of an enabled IP family named for this NIC");
      for (const f of plan.families) {
        out.push(`  IPv${f.family}:`);
        const w = width(f.original);
        for (const name of f.original) {
          const order = f.pools.indexOf(name);
          const skipped = f.skipped.find(s => s.pool === name);
          const waiting = e.awaitingImport?.get(name);
          if (order >= 0)
            out.push(
              `    ${name.padEnd(w)}  taken, try ${order + 1} (${usage(name)})${waiting ? `; skipped at allocation until imported: ${waiting}` : ""}`,
            );
          else if (skipped)
            out.push(`    ${name.padEnd(w)}  skipped [${skipped.rule}]: ${skipped.reason}`);
        }
      }
    }
    const current =
      e.result.value.find(p => p.nic === e.ifName || p.mode === "unnamed") ?? e.result.value[0];
    const usable = (pools: readonly string[]) => pools.find(n => !e.awaitingImport?.has(n));
    const blocked = current?.families.filter(f => !usable(f.pools)) ?? [];
    if (blocked.length) {
      out.push(
        `result: the CNI ADD would fail until the watcher imports ${blocked.flatMap(f => f.pools).join(", ")} (docs/usage/migrate-from-spiderpool.md)`,
      );
      return out.join("\n");
    }
    const first = current?.families.map(f => `IPv${f.family} from ${usable(f.pools)}`).join(", ");
    out.push(`result: ${e.ifName} would be allocated ${first || "nothing"}`);
    return out.join("\n");
  }

  const error = e.result.error;
  if (error.code === "all_pools_filtered") {
    const source = e.sources?.get(error.nic);
    if (source) out.push(`NIC ${error.nic}: candidates from ${SOURCE[source]}`);
    out.push(`NIC ${error.nic}, IPv${error.family}: every candidate was filtered out`);
    const w = width(error.original);
    for (const name of error.original) {
      const skipped = error.skipped.find(s => s.pool === name);
      out.push(
        `    ${name.padEnd(w)}  skipped [${skipped?.rule ?? "?"}]: ${skipped?.reason ?? "no reason recorded"}`,
      );
    }
  }
  out.push(`result: the CNI ADD would fail (${error.code}): ${error.message}`);
  return out.join("\n");
}
