import { buildCni } from "../../cni/build.js";

/**
 * What a node's CNI directory gets: the exec shim the runtime runs, the Node executable it falls
 * back to, and the chained `coordinator` plugin (conflict and gateway probes).
 */
export interface CniPluginFiles {
  readonly shim: string;
  readonly node: string;
  readonly coordinator: string;
}

/** Builds (or reuses, when its inputs are unchanged) the plugin executables for this machine. */
export async function buildCniPlugin(
  log: (l: string) => void = () => undefined,
): Promise<CniPluginFiles> {
  const { executables, shims, coordinators } = await buildCni({ targets: ["linux-amd64"], log });
  const node = executables["linux-amd64"];
  const shim = shims["linux-amd64"];
  const coordinator = coordinators["linux-amd64"];
  if (!node || !shim || !coordinator)
    throw new Error("the CNI build produced no linux-amd64 executables");
  return { shim, node, coordinator };
}
