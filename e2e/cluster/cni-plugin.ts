import { buildCni } from "../../cni/build.js";

/** Builds (or reuses, when its inputs are unchanged) the plugin executable for this machine. */
export async function buildCniPlugin(log: (l: string) => void = () => undefined): Promise<string> {
  const { executables } = await buildCni({ targets: ["linux-amd64"], log });
  const exe = executables["linux-amd64"];
  if (!exe) throw new Error("the CNI build produced no linux-amd64 executable");
  return exe;
}
