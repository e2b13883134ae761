import { spawn } from "node:child_process";
import fs from "node:fs";
import { paths } from "./paths.js";

/** A long-lived process started for the cluster, recorded so `cluster:down` can stop it by PID. */
export interface Daemon {
  name: string;
  pid: number;
  /** A substring of /proc/<pid>/cmdline that proves the PID still belongs to us. */
  marker: string;
  log: string;
}

/**
 * Starts a process in its own process group with stdout and stderr appended to its log, detached
 * from the caller so the cluster outlives `cluster:up`.
 */
export function startDaemon(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  marker = command,
): Daemon {
  fs.mkdirSync(paths.logs, { recursive: true });
  const log = paths.log(name);
  const fd = fs.openSync(log, "a");
  const child = spawn(command, args, {
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, ...env },
  });
  fs.closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  child.unref();
  return { name, pid: child.pid, marker, log };
}

export function isAlive(d: Pick<Daemon, "pid" | "marker">): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${d.pid}/cmdline`, "utf8").replace(/\0/g, " ");
    return cmdline.includes(d.marker);
  } catch {
    return false;
  }
}

/** SIGTERM to the whole group, a grace period, then SIGKILL. Never signals a PID that is not ours. */
export async function stopDaemon(d: Daemon, graceMs = 8000): Promise<void> {
  if (!isAlive(d)) return;
  signalGroup(d.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(d)) return;
    await new Promise(r => setTimeout(r, 100));
  }
  signalGroup(d.pid, "SIGKILL");
  while (isAlive(d) && !isZombie(d.pid)) await new Promise(r => setTimeout(r, 50));
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}
