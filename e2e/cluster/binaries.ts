import { spawnSync } from "node:child_process";
import path from "node:path";
import { repoRoot } from "./paths.js";
import { StepError } from "./step-error.js";

/**
 * Builds (first time) or finds (cached) etcd, the Kubernetes control plane, kubectl and the CNI
 * plugins, keyed by every version involved. Returns the directory holding them.
 */
export function ensureBinaries(log: (l: string) => void = () => undefined): string {
  const script = path.join(repoRoot, "e2e/cluster/build-binaries.sh");
  const r = spawnSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const stderr = (r.stderr ?? "").trim();
  if (r.status !== 0) {
    const first = stderr.split("\n")[0] ?? `exit code ${r.status}`;
    throw new StepError("build binaries", first.replace(/^build-binaries: /, ""));
  }
  if (stderr) log(stderr);
  return r.stdout.trim().split("\n").pop() ?? "";
}
