/**
 * One CNI plugin execution, as a container runtime makes it for the IPAM step: the IPAM binary
 * is executed directly (what the main plugin does through libcni's ExecAdd/ExecDel) with the
 * whole network configuration on stdin and the runtime's clean environment — the same
 * variables the kubelet simulator passes, nothing inherited (no NODE_OPTIONS, no CA bundle).
 */
import { spawn } from "node:child_process";

export interface PluginCall {
  exe: string;
  command: "ADD" | "DEL";
  containerId: string;
  netns: string;
  ifname: string;
  cniPath: string;
  pod: { namespace: string; name: string; uid: string };
  netconf: Record<string, unknown>;
  timeoutMs: number;
}

export interface PluginOutcome {
  /** Milliseconds on the run clock. */
  startMs: number;
  endMs: number;
  pid: number;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Milliseconds since the benchmark started; every record uses this clock. */
export const runClock = (() => {
  const origin = performance.now();
  return () => performance.now() - origin;
})();

export function cniEnv(c: PluginCall): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_COMMAND: c.command,
    CNI_CONTAINERID: c.containerId,
    CNI_NETNS: c.netns,
    CNI_IFNAME: c.ifname,
    CNI_PATH: c.cniPath,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${c.pod.namespace};K8S_POD_NAME=${c.pod.name};K8S_POD_INFRA_CONTAINER_ID=${c.containerId};K8S_POD_UID=${c.pod.uid}`,
  };
}

/** Runs the plugin; never rejects (a spawn failure is an outcome with exit code null). */
export function execPlugin(c: PluginCall, onSpawn?: (pid: number) => void): Promise<PluginOutcome> {
  return new Promise(resolve => {
    const startMs = runClock();
    const child = spawn(c.exe, [], { env: cniEnv(c), stdio: ["pipe", "pipe", "pipe"] });
    const pid = child.pid ?? -1;
    if (pid > 0) onSpawn?.(pid);
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), c.timeoutMs);
    child.stdout.on("data", d => (stdout += d));
    child.stderr.on("data", d => {
      // Keep the tail only: a chatty plugin must not grow the harness.
      stderr = (stderr + d).slice(-4000);
    });
    child.on("error", e => {
      clearTimeout(timer);
      resolve({
        startMs,
        endMs: runClock(),
        pid,
        exitCode: null,
        signal: null,
        stdout,
        stderr: e.message,
      });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ startMs, endMs: runClock(), pid, exitCode: code, signal, stdout, stderr });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(JSON.stringify(c.netconf));
  });
}
