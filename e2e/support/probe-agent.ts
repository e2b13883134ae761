import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { freePort } from "../cluster/free-port.js";
import { waitFor } from "./wait-for.js";

/** A built agent bundle run outside any node, until its caches are synced; stop it with `kill()`. */
export interface ProbeAgent {
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far (its JSON log lines). */
  stderr(): string;
  kill(): void;
}

/**
 * Starts `bundle` with `conf` and `kubeconfig` as a node named `node` (its socket in `dir`) and
 * waits until it reports ready; an exit before that fails with its stderr. Suites use it to show
 * that a configuration or an identity is enough for the agent to start.
 */
export async function startProbeAgent(o: {
  bundle: string;
  conf: string;
  kubeconfig: string;
  node: string;
  dir: string;
  what: string;
}): Promise<ProbeAgent> {
  const health = await freePort(28710);
  let stderr = "";
  const child = spawn(process.execPath, [o.bundle, `--config-path=${o.conf}`], {
    env: {
      PATH: process.env.PATH ?? "",
      KUBECONFIG: o.kubeconfig,
      SPIDERPOOL_NODE_NAME: o.node,
      SPIDERPOOL_IPAM_SOCKET: path.join(o.dir, "agent.sock"),
      SPIDERPOOL_HEALTH_PORT: String(health),
      SPIDERPOOL_METRIC_HTTP_PORT: "0",
      SPIDERPOOL_OPS_ADDRESS: "127.0.0.1",
      SPIDERPOOL_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
  const agent: ProbeAgent = { child, stderr: () => stderr, kill: () => void child.kill("SIGTERM") };
  try {
    await waitFor(
      o.what,
      async () => {
        if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}: ${stderr}`);
        return (
          (await fetch(`http://127.0.0.1:${health}/v1/runtime/readiness`).catch(() => undefined))
            ?.status === 200
        );
      },
      60_000,
    );
  } catch (e) {
    agent.kill();
    throw e;
  }
  return agent;
}
