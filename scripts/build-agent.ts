/**
 * Builds the per-node agent: `tsx scripts/build-agent.ts`.
 *
 *   dist/agent/spiderpool-agent.cjs   esbuild bundle of lib/agent/main.ts, every dependency inside,
 *                                     so it runs on a bare Node ≥ 20 (the agent image, or any node)
 *
 * One file on purpose: the agent image copies it next to the plugin executables
 * (containers/agent/Containerfile) and runs it with the image's Node; nothing else is installed.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { runIfMain, writeBundle, type WrittenBundle } from "./bundle-output.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const AGENT_BUNDLE = join(ROOT, "dist/agent/spiderpool-agent.cjs");

/**
 * Pepr never belongs in the agent (it is not in its image). Of the plugin only its function
 * (lib/cni-plugin/plugin.ts and what it uses) does, for the exec shim's route; the executables'
 * packaging (cni/: process wiring, build), the start-up warm-up and the test helpers do not.
 */
const FORBIDDEN_INPUTS = [
  /^capabilities\//,
  /^cni\//,
  /^lib\/cni-plugin\/warm-up\.ts$/,
  /^lib\/testing\//,
  /^node_modules\/pepr\//,
  /^node_modules\/kubernetes-fluent-client\//,
];

export async function buildAgent(out = AGENT_BUNDLE): Promise<WrittenBundle> {
  const result = await build({
    entryPoints: [join(ROOT, "lib/agent/main.ts")],
    absWorkingDir: ROOT,
    // Inputs are checked by path: a symlinked node_modules (a git worktree's) must keep its name.
    preserveSymlinks: true,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    minify: true,
    keepNames: true,
    legalComments: "none",
    write: false,
    metafile: true,
    logLevel: "warning",
  });
  return writeBundle(result, out, {
    what: "the agent bundle must not contain Pepr or the plugin's process wiring",
    forbidden: FORBIDDEN_INPUTS,
  });
}

runIfMain(import.meta.url, "build-agent", () => buildAgent());
