/**
 * The helm and kubectl that e2e/cluster/build-binaries.sh builds from their Go modules (cached
 * under ~/.cache/pepr-spiderpool/bin). Finding them never builds: specs that need them say so.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../e2e/cluster/build-binaries.sh", import.meta.url));

/** The cached binary `name` (helm, kubectl), or undefined when it has not been built. */
export function cachedBinary(name: "helm" | "kubectl"): string | undefined {
  const r = spawnSync("bash", [script, "--print-dir"], { encoding: "utf8" });
  const dir = r.status === 0 ? r.stdout.trim() : "";
  const bin = dir && path.join(dir, name);
  return bin && fs.existsSync(bin) ? bin : undefined;
}

/** Runs a binary; throws with its output when it fails. */
export function run(bin: string, args: string[], opts: { input?: string } = {}): string {
  const r = spawnSync(bin, args, {
    encoding: "utf8",
    input: opts.input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(
      `${path.basename(bin)} ${args.join(" ")}: exit ${r.status}\n${r.stderr || r.stdout}`,
    );
  return r.stdout;
}
