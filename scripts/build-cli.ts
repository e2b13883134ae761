/**
 * Builds the operator CLI: `tsx scripts/build-cli.ts`.
 *
 *   dist/cli/spiderpool.cjs   esbuild bundle of cli/main.ts, every dependency inside, with a
 *                             `#!/usr/bin/env node` line and the executable bit
 *   dist/cli-package/         the same bundle as an npm package of its own (no dependencies):
 *                             `npm pack dist/cli-package` gives the tarball an operator runs
 *                             with `npx` or installs with `npm install -g`
 *
 * One file on purpose: it runs on a bare Node ≥ 20 without a clone, node_modules or tsx, as the
 * package's `spiderpool` bin and, copied onto PATH as `kubectl-spiderpool`, as a kubectl plugin
 * (docs/usage/cli.md#install).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { runIfMain, writeBundle, type WrittenBundle } from "./bundle-output.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const CLI_BUNDLE = join(ROOT, "dist/cli/spiderpool.cjs");
export const CLI_PACKAGE_DIR = join(ROOT, "dist/cli-package");

/** The published name: the repository's own package is private and carries Pepr and the agent. */
export const CLI_PACKAGE_NAME = "pepr-spiderpool-cli";

/** The CLI reads; Pepr, the Pepr module and the agent's and plugin's wiring do not belong in it. */
const FORBIDDEN_INPUTS = [
  /^capabilities\//,
  /^cni\//,
  /^lib\/agent\//,
  /^node_modules\/pepr\//,
  /^node_modules\/kubernetes-fluent-client\//,
];

export async function buildCli(out = CLI_BUNDLE): Promise<WrittenBundle> {
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
  return writeBundle(result, out, {
    what: "the CLI bundle must not contain Pepr, the agent or the plugin",
    forbidden: FORBIDDEN_INPUTS,
    executable: true,
  });
}

/**
 * Lays the bundle out as a package of its own in `dir`: package.json with both bin names and no
 * dependencies, so `npx` and `npm install -g` of its tarball need neither a clone nor the
 * registry's copies of our dependencies (docs/usage/cli.md#install).
 */
export function writeCliPackage(bundle: string, dir = CLI_PACKAGE_DIR): string {
  const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    version: string;
    license: string;
  };
  mkdirSync(dir, { recursive: true });
  copyFileSync(bundle, join(dir, "spiderpool.cjs"));
  const manifest = {
    name: CLI_PACKAGE_NAME,
    version: root.version,
    description:
      "Operator CLI of pepr-spiderpool: pools, subnets, who holds an address, leak check",
    license: root.license,
    bin: { spiderpool: "spiderpool.cjs", "kubectl-spiderpool": "spiderpool.cjs" },
    files: ["spiderpool.cjs"],
    // The bundle's esbuild target (above): it uses nothing newer.
    engines: { node: ">=20" },
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

runIfMain(import.meta.url, "build-cli", async () => {
  const written = await buildCli();
  writeCliPackage(written.path);
  return written;
});
