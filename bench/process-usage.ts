/**
 * CPU seconds and memory of the processes a phase exercises, from /proc: the API server, etcd,
 * our agents and Pepr watcher, and the plugin processes (the harness's reaped children, i.e.
 * its own cutime + cstime). Used to say where the time of a phase went.
 */
import fs from "node:fs";

/** Linux USER_HZ; /proc/<pid>/stat times are in these ticks. */
const TICKS = 100;

export type CpuSample = Record<string, number>;

/** CPU seconds used so far by `pid` (user + system), or NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields 14 and 15 of stat(5), counted from the state field (3) here
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return NaN;
  }
}

/** CPU seconds of this process's reaped children: every plugin process it ran. */
export function childrenCpuSeconds(): number {
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[13]) + Number(f[14])) / TICKS;
}

export function rssKiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** A CPU snapshot of named process groups. */
export function sampleCpu(groups: Record<string, number[]>): CpuSample {
  const out: CpuSample = { plugins: childrenCpuSeconds() };
  for (const [name, pids] of Object.entries(groups))
    out[name] = pids.reduce((s, p) => s + (cpuSeconds(p) || 0), 0);
  return out;
}

export function cpuDelta(a: CpuSample, b: CpuSample): CpuSample {
  const out: CpuSample = {};
  for (const k of Object.keys(b)) out[k] = Math.round(((b[k] ?? 0) - (a[k] ?? 0)) * 100) / 100;
  return out;
}
