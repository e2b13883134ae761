/**
 * Builds the per-node agent: `tsx scripts/build-agent.ts`.
 *
 *   dist/agent/spiderpool-agent.cjs             esbuild bundle of lib/agent/main.ts, every dependency
 *                                               inside but one, so it runs on a bare Node ≥ 20
 *   dist/agent/spiderpool-agent-kube-auth.cjs   @kubernetes/client-node, for kubeconfig users with
 *                                               `exec` or `auth-provider` only, loaded from beside
 *                                               the agent on first use (lib/k8s/kubeconfig.ts)
 *
 * The agent image copies both next to the plugin executables (containers/agent/Containerfile)
 * and runs the first with the image's Node; nothing else is installed. client-node is a file of
 * its own because it is 2.9 MiB of the agent's 4.5: inside the agent, compiling it (even never
 * run) cost every agent about 21 MiB of RSS (docs/concepts/scale.md#agent-memory), for a
 * credential the DaemonSet's service account never needs.
 */
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { runIfMain, writeBundle, type WrittenBundle } from "./bundle-output.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const AGENT_BUNDLE = join(ROOT, "dist/agent/spiderpool-agent.cjs");
/** The file beside the agent bundle that holds @kubernetes/client-node. */
export const KUBE_AUTH_NAME = "spiderpool-agent-kube-auth.cjs";
export const AGENT_KUBE_AUTH_BUNDLE = join(dirname(AGENT_BUNDLE), KUBE_AUTH_NAME);

/**
 * `import("@kubernetes/client-node")` in the agent becomes `require("./<KUBE_AUTH_NAME>")`,
 * which Node resolves next to the bundle file, wherever it was copied.
 */
const kubeAuthBeside: Plugin = {
  name: "kube-auth-beside",
  setup(b) {
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({
      path: `./${KUBE_AUTH_NAME}`,
      external: true,
    }));
  },
};

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

/** What both files of the agent are built with: one CommonJS file each for Node 24. */
const BUNDLE_OPTIONS = {
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
} as const;

/** Writes the agent bundle to `out` and its client-node file beside it. */
export async function buildAgent(out = AGENT_BUNDLE): Promise<WrittenBundle> {
  await buildKubeAuth(join(dirname(out), KUBE_AUTH_NAME));
  const result = await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [join(ROOT, "lib/agent/main.ts")],
    plugins: [kubeAuthBeside],
  });
  return writeBundle(result, out, {
    what: "the agent bundle must not contain Pepr, client-node or the plugin's process wiring",
    forbidden: [...FORBIDDEN_INPUTS, /^node_modules\/@kubernetes\/client-node\//],
  });
}

async function buildKubeAuth(out: string): Promise<WrittenBundle> {
  const result = await build({
    stdin: {
      // Named exports from an ES module entry: esbuild then marks them for Node's CommonJS
      // export detection, so the agent's `import()` of this file finds KubeConfig by name.
      contents: 'export { KubeConfig } from "@kubernetes/client-node";',
      resolveDir: ROOT,
      sourcefile: basename(out),
      loader: "js",
    },
    ...BUNDLE_OPTIONS,
  });
  return writeBundle(result, out, { what: "client-node for the agent", forbidden: [] });
}

runIfMain(import.meta.url, "build-agent", () => buildAgent());
