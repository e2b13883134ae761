/**
 * The machine and software a run measured, for the report: CPU, memory, kernel, load (the
 * machine is shared), and every component's version.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ClusterTarget } from "./cluster-target.js";
import { memAvailableMiB } from "./launch-gate.js";
import type { BenchSystem } from "./system.js";

export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  memoryMiB: number;
  memAvailableMiB: number;
  kernel: string;
  os: string;
  loadAverage: number[];
  /** kube-apiserver processes on the machine: other people's clusters share the CPUs. */
  apiserversRunning: number;
}

export function machineInfo(): MachineInfo {
  let osName = os.type();
  try {
    osName =
      /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync("/etc/os-release", "utf8"))?.[1] ?? osName;
  } catch {
    // keep os.type()
  }
  return {
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    cpus: os.cpus().length,
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    memAvailableMiB: Math.round(memAvailableMiB()),
    kernel: os.release(),
    os: osName,
    loadAverage: os.loadavg().map(l => Math.round(l * 100) / 100),
    apiserversRunning: countProcesses("kube-apiserver"),
  };
}

function countProcesses(exeName: string): number {
  let n = 0;
  for (const pid of fs.readdirSync("/proc").filter(d => /^\d+$/.test(d))) {
    try {
      if (
        path.basename(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "") ===
        exeName
      )
        n++;
    } catch {
      // gone
    }
  }
  return n;
}

export async function versions(
  target: ClusterTarget,
  systems: BenchSystem[],
): Promise<Record<string, string>> {
  const v: Record<string, string> = { node: process.version };
  try {
    v.kubernetes = (await target.api.get<{ gitVersion: string }>("/version")).gitVersion;
  } catch {
    v.kubernetes = "unknown";
  }
  try {
    v.etcd =
      execFileSync(path.join(target.state.binDir, "etcd"), ["--version"], { encoding: "utf8" })
        .split("\n")[0]
        ?.replace(/^etcd Version:\s*/, "") ?? "unknown";
  } catch {
    v.etcd = "unknown";
  }
  for (const s of systems) v[s.id] = s.version;
  return v;
}
