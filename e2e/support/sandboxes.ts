import fs from "node:fs";
import path from "node:path";
import { paths } from "../cluster/paths.js";
import type { SandboxRecord } from "../kubelet-sim/sandbox-store.js";

/**
 * The sandbox a simulated node keeps for a pod UID (what `crictl inspectp` would show), or
 * undefined. Tests use it to find the pod's network namespace.
 */
export function sandboxOf(node: string, podUid: string): SandboxRecord | undefined {
  try {
    return JSON.parse(
      fs.readFileSync(path.join(paths.nodeDir(node), "sandboxes", `${podUid}.json`), "utf8"),
    ) as SandboxRecord;
  } catch {
    return undefined;
  }
}
