/**
 * Process wiring of the `spiderpool` CNI IPAM plugin (bundled by cni/build.ts into
 * dist/cni/spiderpool.cjs and the single executables). All behaviour lives in
 * lib/cni-plugin/plugin.ts.
 */
import { realpathSync } from "node:fs";
import { dirname } from "node:path";
import { isSea } from "node:sea";
import { startupSnapshot } from "node:v8";
import { formatCniError, cniError } from "../lib/cni-plugin/cni-error.js";
import { readHostDirs } from "../lib/cni-plugin/host-dirs.js";
import { LATEST_CNI_VERSION } from "../lib/cni-plugin/netconf.js";
import { runPlugin } from "../lib/cni-plugin/plugin.js";
import { fdChunks } from "../lib/cni-plugin/stdin.js";
import { warmUp } from "../lib/cni-plugin/warm-up.js";

// Replaced by esbuild's `define` with the package version; absent when run from source.
declare const __SPIDERPOOL_CNI_VERSION__: string | undefined;
const version = typeof __SPIDERPOOL_CNI_VERSION__ === "string" ? __SPIDERPOOL_CNI_VERSION__ : "dev";

let printed = false;
// The runtime parses stdout as one JSON document: never let a second write follow the first.
function writeStdout(text: string): void {
  if (printed) return;
  printed = true;
  process.stdout.write(text);
}

function exit(code: number): void {
  // Pipes and files are written synchronously on Linux; the callback covers anything else.
  process.stdout.write("", () => process.exit(code));
}

/**
 * Where the node's plugin configuration lives: beside this executable, in the CNI bin directory
 * only root writes (docs/adr/0007-node-plugin-dirs.md). For `node spiderpool.cjs`, beside the bundle.
 */
function binDir(): string {
  const self = isSea() ? process.execPath : (process.argv[1] ?? process.execPath);
  try {
    return dirname(realpathSync(self));
  } catch {
    return dirname(self);
  }
}

function main(): void {
  // Last resort for an exception that escapes runPlugin's own handling (e.g. thrown in a callback).
  process.on("uncaughtException", error => {
    process.stderr.write(`${error.stack ?? String(error)}\n`);
    writeStdout(
      `${formatCniError(cniError("internal", `spiderpool plugin internal error: ${error.message}`), LATEST_CNI_VERSION)}\n`,
    );
    exit(1);
  });

  runPlugin(
    {
      env: process.env,
      stdin: () => fdChunks(0),
      stdout: writeStdout,
      stderr: text => process.stderr.write(text),
    },
    { version, hostDirs: readHostDirs(binDir()) },
  ).then(exit, (error: unknown) => {
    writeStdout(
      `${formatCniError(cniError("internal", `spiderpool plugin internal error: ${String(error)}`), LATEST_CNI_VERSION)}\n`,
    );
    exit(1);
  });
}

// In a SEA built with a V8 start-up snapshot the modules above are already initialised in the
// snapshot; only main() runs at each start.
if (startupSnapshot.isBuildingSnapshot()) {
  warmUp();
  startupSnapshot.setDeserializeMainFunction(main);
} else main();
