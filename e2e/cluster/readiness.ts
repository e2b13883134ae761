import http from "node:http";
import https from "node:https";
import fs from "node:fs";
import net from "node:net";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { isAlive, type Daemon } from "./daemon.js";
import { StepError } from "./step-error.js";

/** GETs a URL; resolves with status and body, never rejects. */
export function probe(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise(resolve => {
    const u = new URL(url);
    const mod = u.protocol === "https:" ? https : http;
    const req = mod.get(
      u,
      { ca: ca ? fs.readFileSync(ca) : undefined, rejectUnauthorized: !!ca, timeout: 2000 },
      res => {
        let body = "";
        res.on("data", c => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve({ status: 0, body: "" }));
  });
}

/**
 * Polls `check` until it returns true. Fails with one line naming the step, the daemon's log and
 * its last lines when the daemon dies or the deadline passes (a CI machine's log is not kept).
 */
export async function waitUntil(
  step: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  daemon?: Daemon,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (daemon && !isAlive(daemon))
      throw new StepError(step, `${daemon.name} exited: ${logTail(daemon.log)}`, daemon.log);
    if (Date.now() > deadline) {
      const tail = daemon ? `: ${logTail(daemon.log, 5)}` : "";
      throw new StepError(
        step,
        `not ready after ${Math.round(timeoutMs / 1000)}s${tail}`,
        daemon?.log,
      );
    }
    await new Promise(r => setTimeout(r, 250));
  }
}

/** The last lines of a daemon's log, on one line: why it exited is nearly always there. */
export function logTail(file: string, lines = 3): string {
  try {
    const text = fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines);
    return text.map(l => l.slice(0, 300)).join(" | ");
  } catch {
    return "(no log)";
  }
}

/** Resolves once nothing accepts connections on 127.0.0.1:port (a stopped server has let go of it). */
export async function waitPortClosed(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>(resolve => {
      const s = net.connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (!open) return;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new StepError(
    `port ${port}`,
    `still accepting connections after ${Math.round(timeoutMs / 1000)}s`,
  );
}

/**
 * Whether a Node is Ready and schedulable: the Ready condition is True and the not-ready taint
 * added at registration is gone (or nothing schedules there).
 */
export async function nodeReady(api: ApiClient, name: string): Promise<boolean> {
  const node = await api.get<{
    status?: { conditions?: { type: string; status: string }[] };
    spec?: { taints?: { key: string }[] };
  }>(`/api/v1/nodes/${name}`);
  const ready = node.status?.conditions?.some(c => c.type === "Ready" && c.status === "True");
  const tainted = node.spec?.taints?.some(t => t.key.startsWith("node.kubernetes.io/not-ready"));
  return !!ready && !tainted;
}
