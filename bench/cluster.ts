/**
 * `npm run bench:cluster [-- --quick] [--nodes N] [--pods P]`: the cluster-scale benchmark
 * against an already running local cluster (docs/concepts/scale.md); options in
 * bench/cluster-options.ts.
 */
import { fileURLToPath } from "node:url";
import { parseClusterOptions } from "./cluster-options.js";

async function main(): Promise<void> {
  const repoRoot = fileURLToPath(new URL("..", import.meta.url));
  const opts = parseClusterOptions(process.argv.slice(2), process.env, repoRoot);
  // The reused cluster helpers read the cluster directory when they are loaded.
  process.env.SPIDERPOOL_CLUSTER_DIR = opts.clusterDir;
  const { runClusterBench } = await import("./cluster-run.js");
  await runClusterBench(opts);
}

main().then(
  () => process.exit(0),
  (e: Error & { code?: string }) => {
    process.stderr.write(`bench:cluster: ${e.code === "usage" ? "" : "error: "}${e.message}\n`);
    process.exit(e.code === "usage" ? 2 : 1);
  },
);
