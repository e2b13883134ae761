/**
 * One timed phase: every call is enqueued at once, each simulated node admits `perNode` calls at
 * a time (or the whole phase one at a time for the sequential baseline), the machine gate caps
 * processes alive, and each call's plugin process is timed from spawn to exit.
 */
import fs from "node:fs";
import crypto from "node:crypto";
import type { AddressWindow } from "./address-window.js";
import type { BenchNode } from "./bench-nodes.js";
import { readAnswer } from "./failure-reasons.js";
import { Slots, type MachineGate } from "./launch-gate.js";
import type { SystemId } from "./options.js";
import type { BenchPod } from "./pods.js";
import { execPlugin, runClock } from "./plugin-exec.js";
import type { Progress } from "./progress.js";
import type { BenchSystem } from "./system.js";

/** One plugin execution as stored in the results file (times in ms on the run clock). */
export interface CallRecord {
  system: SystemId;
  phase: string;
  op: "ADD" | "DEL";
  node: string;
  pod: string;
  containerId: string;
  enqueuedMs: number;
  startMs: number;
  endMs: number;
  exitCode: number | null;
  address?: string;
  error?: string;
  reason?: string;
}

export interface Call {
  op: "ADD" | "DEL";
  pod: BenchPod;
  node: BenchNode;
  /** The sandbox: a DEL names the container its ADD made. */
  containerId: string;
  /** Precomputed systems only. */
  address?: string;
}

export interface StormSettings {
  system: BenchSystem;
  window: AddressWindow;
  phase: string;
  /** Calls in flight per node; "sequential" = one in flight in the whole phase. */
  perNode: number | "sequential";
  gate: MachineGate;
  timeoutMs: number;
  cniPath: string;
  progress: Progress;
}

export interface StormResult {
  records: CallRecord[];
  /** First spawn to last exit. */
  wallMs: number;
  /** Largest sum of VmRSS over live plugin processes seen by the sampler (KiB). */
  peakPluginRssKiB: number;
  /** Largest VmHWM of one plugin process seen while it ran (KiB). */
  maxProcessHwmKiB: number;
}

export function newContainerId(): string {
  return crypto.randomBytes(32).toString("hex");
}

export async function runStorm(calls: Call[], s: StormSettings): Promise<StormResult> {
  const slots = new Map<string, Slots>();
  const slotOf = (node: string) => {
    const key = s.perNode === "sequential" ? "*" : node;
    let sl = slots.get(key);
    if (!sl) slots.set(key, (sl = new Slots(s.perNode === "sequential" ? 1 : s.perNode)));
    return sl;
  };
  const live = new Set<number>();
  const mem = { peakSum: 0, maxHwm: 0 };
  const sampler = setInterval(() => sampleRss(live, mem), 1000);
  s.progress.start(s.phase, calls.length);
  const enqueuedMs = runClock();
  try {
    const records = await Promise.all(
      calls.map(async (c): Promise<CallRecord> => {
        const sl = slotOf(c.node.name);
        await sl.acquire();
        await s.gate.acquire();
        try {
          const out = await execPlugin(
            {
              exe: s.system.exe,
              command: c.op,
              containerId: c.containerId,
              netns: `/var/run/netns/storm-${c.containerId.slice(0, 12)}`,
              ifname: "eth0",
              cniPath: s.cniPath,
              pod: c.pod,
              netconf: s.system.netconf(c.node, s.window, c.address),
              timeoutMs: s.timeoutMs,
            },
            pid => live.add(pid),
          );
          live.delete(out.pid);
          const a = readAnswer(c.op, out.exitCode, out.signal, out.stdout, out.stderr);
          s.progress.tick(!a.error);
          return {
            system: s.system.id,
            phase: s.phase,
            op: c.op,
            node: c.node.name,
            pod: `${c.pod.namespace}/${c.pod.name}`,
            containerId: c.containerId,
            enqueuedMs: round(enqueuedMs),
            startMs: round(out.startMs),
            endMs: round(out.endMs),
            exitCode: out.exitCode,
            ...(a.address ? { address: a.address } : {}),
            ...(a.error ? { error: a.error, reason: a.reason } : {}),
          };
        } finally {
          s.gate.release();
          sl.release();
        }
      }),
    );
    const wallMs = records.length
      ? Math.max(...records.map(r => r.endMs)) - Math.min(...records.map(r => r.startMs))
      : 0;
    return {
      records,
      wallMs: round(wallMs),
      peakPluginRssKiB: mem.peakSum,
      maxProcessHwmKiB: mem.maxHwm,
    };
  } finally {
    clearInterval(sampler);
    s.progress.stop();
  }
}

function sampleRss(live: Set<number>, mem: { peakSum: number; maxHwm: number }): void {
  let sum = 0;
  for (const pid of live) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      sum += Number(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? 0);
      mem.maxHwm = Math.max(mem.maxHwm, Number(/VmHWM:\s+(\d+)/.exec(st)?.[1] ?? 0));
    } catch {
      // exited between the set and the read
    }
  }
  mem.peakSum = Math.max(mem.peakSum, sum);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
