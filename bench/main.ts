/**
 * `npm run bench [-- --quick|--medium] [--cluster-dir DIR] …`: the storm benchmark against an
 * already running local cluster (`npm run cluster:up`, or the e2e cluster). See bench/options.ts
 * for every flag and docs/benchmarks.md for what is measured.
 */
import { fileURLToPath } from "node:url";
import { parseBenchOptions } from "./options.js";

async function main(): Promise<void> {
  const repoRoot = fileURLToPath(new URL("..", import.meta.url));
  const opts = parseBenchOptions(process.argv.slice(2), process.env, repoRoot);
  // The reused cluster helpers read the cluster directory when they are loaded.
  process.env.SPIDERPOOL_CLUSTER_DIR = opts.clusterDir;
  const { runBench } = await import("./run.js");
  await runBench(opts);
}

main().then(
  () => process.exit(0),
  (e: Error & { code?: string }) => {
    process.stderr.write(`bench: ${e.code === "usage" ? "" : "error: "}${e.message}\n`);
    process.exit(e.code === "usage" ? 2 : 1);
  },
);
