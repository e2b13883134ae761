/**
 * Command line of `npm run bench:cluster`: the cluster-scale benchmark (docs/concepts/scale.md).
 * `--quick` is what e2e runs so the harness cannot rot; `--nodes` and `--pods` set the point of
 * the curve.
 */
import path from "node:path";
import { parseArgs } from "node:util";

export interface ClusterBenchOptions {
  mode: "quick" | "full";
  clusterDir: string;
  /** Simulated nodes, each with its own agent process. */
  nodes: number;
  /** Replicas over every Deployment. */
  pods: number;
  /** Replicas per Deployment (the last one takes the rest). */
  replicasPerDeployment: number;
  /** Namespaces the Deployments are spread over. */
  namespaces: number;
  /** Share of the Pods deleted (and replaced by their ReplicaSets) in the churn phase. */
  churn: number;
  /** CNI calls in flight per node. */
  perNode: number;
  /**
   * Racks the nodes and pools are split into: with more than one, each pool is bound by
   * nodeAffinity to one rack's nodes and each Deployment to its pool's rack, so an agent needs
   * only its rack's claims (docs/adr/0011-node-scoped-claim-watch.md). 1: every pool cluster-wide.
   */
  racks: number;
  /** Plugin processes alive at once on the machine. */
  maxProcs: number;
  /** How long a phase may take before the run gives up on it (ms). */
  phaseTimeoutMs: number;
  out: string;
}

export class ClusterUsageError extends Error {
  readonly code = "usage";
}

const USAGE = `usage: npm run bench:cluster -- [--quick] [--nodes N] [--pods P] [--per-node C] [--churn 0.1] [--racks R] [--cluster-dir DIR] [--out FILE]`;

export function parseClusterOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
  repoRoot: string,
  now = new Date(),
): ClusterBenchOptions {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        quick: { type: "boolean" },
        nodes: { type: "string" },
        pods: { type: "string" },
        "per-node": { type: "string" },
        churn: { type: "string" },
        racks: { type: "string" },
        "cluster-dir": { type: "string" },
        out: { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new ClusterUsageError(`${(e as Error).message}\n${USAGE}`);
  }
  if (v.help) throw new ClusterUsageError(USAGE);
  const quick = !!v.quick;
  const int = (flag: string, raw: string | undefined, d: number, min: number, max: number) => {
    if (raw === undefined) return d;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max)
      throw new ClusterUsageError(
        `--${flag}: expected an integer ${min}-${max}, got ${JSON.stringify(raw)}`,
      );
    return n;
  };
  const nodes = int("nodes", v.nodes, quick ? 3 : 100, 1, 500);
  // 16 pools of 4094 addresses each hold the largest run with its churn.
  const pods = int("pods", v.pods, quick ? 100 : 10_000, 1, 40_000);
  const perNode = int("per-node", v["per-node"], 4, 1, 64);
  // A rack per pool at most: the workload has 16 pools.
  const racks = int("racks", v.racks, 1, 1, 16);
  let churn = 0.1;
  if (v.churn !== undefined) {
    churn = Number(v.churn);
    if (!Number.isFinite(churn) || churn < 0 || churn > 1)
      throw new ClusterUsageError(`--churn: expected a share 0-1, got ${JSON.stringify(v.churn)}`);
  }
  const replicasPerDeployment = quick ? 10 : 50;
  const clusterDir = path.resolve(
    v["cluster-dir"] ?? env.SPIDERPOOL_CLUSTER_DIR ?? path.join(repoRoot, ".cluster"),
  );
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  return {
    mode: quick ? "quick" : "full",
    clusterDir,
    nodes,
    pods,
    replicasPerDeployment,
    namespaces: Math.max(2, Math.min(50, Math.ceil(pods / 200))),
    churn,
    perNode,
    racks,
    maxProcs: Math.max(8, Math.min(64, nodes * perNode)),
    phaseTimeoutMs: Math.max(300_000, pods * 40),
    out: path.resolve(v.out ?? path.join(repoRoot, "bench", "results", `cluster-${stamp}.json`)),
  };
}
