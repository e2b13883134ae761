/**
 * What the one-file bundles (the agent: scripts/build-agent.ts; the CLI: scripts/build-cli.ts)
 * do alike once esbuild has run: refuse inputs that must not be inside, write the file whole,
 * and print one line when run as a script.
 */
import { chmodSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BuildResult } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface WrittenBundle {
  path: string;
  bytes: number;
}

/**
 * Checks `result`'s inputs against `forbidden` (paths relative to the repository) and writes its
 * one output to `out` through a temporary file, so a reader never sees half a bundle.
 */
export function writeBundle(
  result: BuildResult<{ write: false; metafile: true }>,
  out: string,
  o: { what: string; forbidden: readonly RegExp[]; executable?: boolean },
): WrittenBundle {
  const stray = Object.keys(result.metafile.inputs).filter(input =>
    o.forbidden.some(re => re.test(input)),
  );
  if (stray.length) throw new Error(`${o.what}; found: ${stray.join(", ")}`);
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error("esbuild produced no output");
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, code);
  if (o.executable) chmodSync(tmp, 0o755);
  renameSync(tmp, out);
  return { path: out, bytes: statSync(out).size };
}

/** Runs `build` when `moduleUrl` is the script node was started with: one line, or exit 1. */
export function runIfMain(
  moduleUrl: string,
  name: string,
  build: () => Promise<WrittenBundle>,
): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  build().then(
    ({ path, bytes }) =>
      console.log(
        `${relative(ROOT, path).padEnd(34)} ${`${(bytes / 1024).toFixed(1)} KiB`.padStart(10)}`,
      ),
    (error: unknown) => {
      console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
