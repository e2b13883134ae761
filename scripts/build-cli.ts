/**
 * Builds the operator CLI: `tsx scripts/build-cli.ts`.
 *
 *   dist/cli/spiderpool.cjs   esbuild bundle of cli/main.ts, every dependency inside, with a
 *                             `#!/usr/bin/env node` line and the executable bit
 *
 * One file on purpose: it runs on a bare Node ≥ 20 without a clone, node_modules or tsx, as the
 * package's `spiderpool` bin and, copied onto PATH as `kubectl-spiderpool`, as a kubectl plugin
 * (docs/usage/cli.md#install).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const CLI_BUNDLE = join(ROOT, "dist/cli/spiderpool.cjs");

/** The CLI reads; Pepr, the Pepr module and the agent's and plugin's wiring do not belong in it. */
const FORBIDDEN_INPUTS = [
  /^capabilities\//,
  /^cni\//,
  /^lib\/agent\//,
  /^node_modules\/pepr\//,
  /^node_modules\/kubernetes-fluent-client\//,
];

export async function buildCli(out = CLI_BUNDLE): Promise<{ path: string; bytes: number }> {
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    version: string;
  };
  const result = await build({
    entryPoints: [join(ROOT, "cli/main.ts")],
    absWorkingDir: ROOT,
    // Inputs are checked by path: a symlinked node_modules (a git worktree's) must keep its name.
    preserveSymlinks: true,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    keepNames: true,
    legalComments: "none",
    banner: { js: "#!/usr/bin/env node" },
    // cli/version.ts: the version is written in; its fallback (package.json next to the sources)
    // is dead code in the bundle, where import.meta is empty.
    define: { SPIDERPOOL_CLI_VERSION: JSON.stringify(version) },
    logOverride: { "empty-import-meta": "silent" },
    write: false,
    metafile: true,
    logLevel: "warning",
  });
  const stray = Object.keys(result.metafile.inputs).filter(input =>
    FORBIDDEN_INPUTS.some(re => re.test(input)),
  );
  if (stray.length)
    throw new Error(
      `the CLI bundle must not contain Pepr, the agent or the plugin; found: ${stray.join(", ")}`,
    );
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error("esbuild produced no output");
  mkdirSync(join(out, ".."), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, code);
  chmodSync(tmp, 0o755);
  renameSync(tmp, out);
  return { path: out, bytes: statSync(out).size };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildCli().then(
    ({ path, bytes }) =>
      console.log(
        `${relative(ROOT, path).padEnd(34)} ${`${(bytes / 1024).toFixed(1)} KiB`.padStart(10)}`,
      ),
    (error: unknown) => {
      console.error(`build-cli: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
