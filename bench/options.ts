/**
 * Command line of `npm run bench`. Three sizes share every code path: `--quick` (what e2e runs
 * so the harness cannot rot), `--medium` (validation on a shared machine) and the default full
 * run of the issue (1000 pods on 10 simulated nodes). Any size knob can be overridden.
 */
import path from "node:path";
import { parseArgs } from "node:util";

export const SYSTEM_IDS = ["static-floor", "runtime-floor", "ours", "whereabouts"] as const;
export type SystemId = (typeof SYSTEM_IDS)[number];

export const SCENARIO_IDS = ["S1", "S2", "S3", "S5", "S6", "scale"] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface BenchOptions {
  mode: "quick" | "medium" | "full";
  clusterDir: string;
  systems: SystemId[];
  scenarios: ScenarioId[];
  /** Pods per storm (S2, S3, S6 refill); S2's pool holds exactly this many addresses. */
  pods: number;
  /** Simulated nodes the harness registers, each with its own agent. */
  nodes: number;
  /** Invocations in flight per node, one storm per value. */
  concurrency: number[];
  /** ADDs (then DELs) of the sequential baseline S1. */
  sequential: number;
  churnRounds: number;
  /** Addresses claimed in the pool-scale test. */
  scaleAddresses: number;
  /** ADDs measured at each end of the pool-scale test. */
  scaleSamples: number;
  /** Upper bound of plugin processes alive at once on this machine (memory guard). */
  maxProcs: number;
  /** Launching pauses while MemAvailable is below this (MiB). */
  minFreeMiB: number;
  /** Hard deadline of one plugin process (ms); Whereabouts gives up by itself at 120 s. */
  processTimeoutMs: number;
  out: string;
  /** docs/benchmarks.md to update; undefined = leave the docs alone (e2e). */
  docs?: string;
  seed: number;
}

const SIZES = {
  quick: {
    pods: 100,
    nodes: 3,
    concurrency: [10],
    sequential: 10,
    churnRounds: 1,
    scaleAddresses: 500,
    scaleSamples: 10,
  },
  medium: {
    pods: 200,
    nodes: 5,
    concurrency: [10, 100],
    sequential: 30,
    churnRounds: 5,
    scaleAddresses: 2000,
    scaleSamples: 50,
  },
  full: {
    pods: 1000,
    nodes: 10,
    concurrency: [10, 100],
    sequential: 100,
    churnRounds: 5,
    scaleAddresses: 20000,
    scaleSamples: 100,
  },
} as const;

const USAGE = `usage: npm run bench -- [--quick|--medium] [--cluster-dir DIR] [--systems a,b] [--scenarios S1,S2,S3,S5,S6,scale]
  [--pods N] [--nodes N] [--concurrency 10,100] [--sequential N] [--churn-rounds N] [--scale-addresses N]
  [--scale-samples N] [--max-procs N] [--min-free-mib N] [--process-timeout-s N] [--out FILE] [--no-docs] [--seed N]`;

export class UsageError extends Error {
  readonly code = "usage";
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
  }
}

export function parseBenchOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
  repoRoot: string,
  now = new Date(),
): BenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: "boolean" },
        medium: { type: "boolean" },
        "cluster-dir": { type: "string" },
        systems: { type: "string" },
        scenarios: { type: "string" },
        pods: { type: "string" },
        nodes: { type: "string" },
        concurrency: { type: "string" },
        sequential: { type: "string" },
        "churn-rounds": { type: "string" },
        "scale-addresses": { type: "string" },
        "scale-samples": { type: "string" },
        "max-procs": { type: "string" },
        "min-free-mib": { type: "string" },
        "process-timeout-s": { type: "string" },
        out: { type: "string" },
        "no-docs": { type: "boolean" },
        seed: { type: "string" },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.quick && values.medium)
    throw new UsageError("--quick and --medium exclude each other");
  const mode = values.quick ? "quick" : values.medium ? "medium" : "full";
  const size = SIZES[mode];
  const int = (flag: string, fallback: number, min: number, max: number): number => {
    const raw = values[flag];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(
        `--${flag}: expected an integer ${min}..${max}, got ${JSON.stringify(raw)}`,
      );
    return n;
  };
  const list = <T extends string>(
    flag: string,
    known: readonly T[],
    fallback: readonly T[],
  ): T[] => {
    const raw = values[flag];
    if (raw === undefined) return [...fallback];
    const items = String(raw).split(",").filter(Boolean);
    const bad = items.filter(i => !(known as readonly string[]).includes(i));
    if (bad.length || !items.length)
      throw new UsageError(
        `--${flag}: unknown ${JSON.stringify(bad.join(",") || raw)}; known: ${known.join(",")}`,
      );
    return items as T[];
  };
  const concurrency =
    values.concurrency === undefined
      ? [...size.concurrency]
      : String(values.concurrency)
          .split(",")
          .map(c => Number(c));
  if (!concurrency.length || concurrency.some(c => !Number.isInteger(c) || c < 1 || c > 1000)) {
    throw new UsageError(
      `--concurrency: expected integers 1..1000 separated by commas, got ${JSON.stringify(values.concurrency)}`,
    );
  }
  const pods = int("pods", size.pods, 2, 60000);
  const nodes = int("nodes", size.nodes, 1, 50);
  if (pods < nodes)
    throw new UsageError(`--pods: need at least one pod per node (${nodes} nodes), got ${pods}`);
  const clusterDir = path.resolve(
    String(values["cluster-dir"] ?? env.SPIDERPOOL_CLUSTER_DIR ?? path.join(repoRoot, ".cluster")),
  );
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  return {
    mode,
    clusterDir,
    systems: list("systems", SYSTEM_IDS, SYSTEM_IDS),
    scenarios: list("scenarios", SCENARIO_IDS, SCENARIO_IDS),
    pods,
    nodes,
    concurrency,
    sequential: int("sequential", size.sequential, 1, 10000),
    churnRounds: int("churn-rounds", size.churnRounds, 0, 100),
    scaleAddresses: int("scale-addresses", size.scaleAddresses, 1, 65000),
    scaleSamples: int("scale-samples", size.scaleSamples, 1, 10000),
    maxProcs: int("max-procs", 400, 1, 5000),
    minFreeMiB: int("min-free-mib", 3072, 0, 1 << 20),
    processTimeoutMs: int("process-timeout-s", 300, 1, 3600) * 1000,
    out: path.resolve(String(values.out ?? path.join(repoRoot, "bench/results", `${stamp}.json`))),
    docs: values["no-docs"] ? undefined : path.join(repoRoot, "docs/benchmarks.md"),
    seed: int("seed", 1, 0, 2 ** 31 - 1),
  };
}
