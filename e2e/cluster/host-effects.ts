/**
 * What a real node changes on the machine outside the cluster directory, whatever its network
 * namespace: the kubelet sets kernel sysctls and may add iptables rules, containerd and the
 * kubelet create fixed paths (/run/containerd, /var/lib/kubelet/device-plugins, /var/lib/cni,
 * /var/log/containers), the kubelet creates cgroups in every hierarchy, and both leave mounts.
 * `recordHost` notes the state before the first real node starts; `restoreHost` puts it back
 * and reports what it could not (README, "Local cluster": real nodes).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const SYSCTLS = [
  "vm/overcommit_memory",
  "kernel/panic",
  "kernel/panic_on_oops",
  "net/ipv4/ip_forward",
] as const;

/** Paths containerd 1.6, CNI and the kubelet use whatever their configuration says. */
const FIXED_PATHS = [
  "/run/containerd",
  "/var/lib/cni",
  "/var/lib/kubelet",
  "/var/log/containers",
  "/var/log/pods",
  "/usr/libexec/kubernetes",
] as const;

const CGROUP_FS = "/sys/fs/cgroup";
const IPTABLES = ["iptables", "ip6tables"] as const;
const TABLES = ["filter", "nat", "mangle"] as const;

export interface HostRecord {
  sysctls: Record<string, string>;
  /** `<tool> -t <table> -S` output, per tool and table; absent when the tool is missing. */
  iptables: Record<string, string[]>;
  /** For each fixed path: null when absent, else its entries. */
  paths: Record<string, string[] | null>;
  /** For each cgroup hierarchy: its top-level child cgroups. */
  cgroups: Record<string, string[]>;
}

function entries(dir: string): string[] | null {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return null;
  }
}

function hierarchies(): string[] {
  return (entries(CGROUP_FS) ?? [])
    .map(h => path.join(CGROUP_FS, h))
    .filter(h => {
      try {
        return fs.statSync(h).isDirectory() && !fs.lstatSync(h).isSymbolicLink();
      } catch {
        return false;
      }
    });
}

function childCgroups(h: string): string[] {
  return (entries(h) ?? []).filter(e => {
    try {
      return fs.statSync(path.join(h, e)).isDirectory();
    } catch {
      return false;
    }
  });
}

function rules(tool: string, table: string): string[] | undefined {
  try {
    return execFileSync(tool, ["-w", "5", "-t", table, "-S"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    })
      .split("\n")
      .filter(Boolean);
  } catch {
    return undefined;
  }
}

export function recordHost(): HostRecord {
  const r: HostRecord = { sysctls: {}, iptables: {}, paths: {}, cgroups: {} };
  for (const s of SYSCTLS) r.sysctls[s] = fs.readFileSync(`/proc/sys/${s}`, "utf8").trim();
  for (const tool of IPTABLES)
    for (const t of TABLES) {
      const got = rules(tool, t);
      if (got) r.iptables[`${tool} ${t}`] = got;
    }
  for (const p of FIXED_PATHS) r.paths[p] = entries(p);
  for (const h of hierarchies()) r.cgroups[h] = childCgroups(h);
  return r;
}

/** Mount points at or below `dir`, deepest first, from this process's mount table. */
export function mountsBelow(dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map(l =>
      l.split(" ")[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
    )
    .filter((m): m is string => !!m && (m === dir || m.startsWith(prefix)))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or below `dir`; returns the mount points still there. */
export function unmountBelow(dir: string): string[] {
  for (let round = 0; round < 3; round++) {
    const left = mountsBelow(dir);
    if (!left.length) return [];
    for (const m of left) {
      try {
        execFileSync("umount", [m], { stdio: "ignore" });
      } catch {
        try {
          execFileSync("umount", ["-l", m], { stdio: "ignore" });
        } catch {
          // reported below if it stays
        }
      }
    }
  }
  return mountsBelow(dir);
}

/** Removes a cgroup and its children, deepest first (rmdir is how cgroups are removed). */
function removeCgroup(dir: string): boolean {
  for (const c of childCgroups(dir)) removeCgroup(path.join(dir, c));
  try {
    fs.rmdirSync(dir);
    return true;
  } catch {
    return !fs.existsSync(dir);
  }
}

/**
 * Puts back what `recordHost` saw. Returns one line per thing it could not restore (empty when
 * the machine is as before). Processes of the real nodes must be gone already. New top-level
 * cgroups are removed when their name starts with `cgroupPrefix` (the nodes' cgroupRoot) or is a
 * kubelet's default one.
 */
export function restoreHost(r: HostRecord, cgroupPrefix: string): string[] {
  const problems: string[] = [];
  for (const [s, v] of Object.entries(r.sysctls)) {
    try {
      if (fs.readFileSync(`/proc/sys/${s}`, "utf8").trim() !== v)
        fs.writeFileSync(`/proc/sys/${s}`, v);
    } catch (e) {
      problems.push(`sysctl ${s}: ${(e as Error).message}`);
    }
  }
  for (const [key, before] of Object.entries(r.iptables)) {
    const [tool, table] = key.split(" ") as [string, string];
    const now = rules(tool, table) ?? [];
    const had = new Set(before);
    // Rules first (in reverse, so jumps go before the chains they name), then the chains.
    for (const rule of now.filter(x => !had.has(x) && x.startsWith("-A ")).reverse()) {
      const args = rule.replace(/^-A /, "-D ").match(/"[^"]*"|\S+/g) ?? [];
      try {
        execFileSync(tool, ["-w", "5", "-t", table, ...args.map(a => a.replace(/^"|"$/g, ""))], {
          stdio: "ignore",
        });
      } catch {
        problems.push(`${tool} -t ${table}: could not delete ${rule}`);
      }
    }
    for (const chain of now.filter(x => !had.has(x) && x.startsWith("-N "))) {
      const name = chain.slice(3);
      try {
        execFileSync(tool, ["-w", "5", "-t", table, "-F", name], { stdio: "ignore" });
        execFileSync(tool, ["-w", "5", "-t", table, "-X", name], { stdio: "ignore" });
      } catch {
        problems.push(`${tool} -t ${table}: could not delete chain ${name}`);
      }
    }
  }
  for (const [p, before] of Object.entries(r.paths)) {
    const left = unmountBelow(p);
    if (left.length) {
      problems.push(`mounts still below ${p}: ${left.join(", ")}`);
      continue;
    }
    if (before === null) fs.rmSync(p, { recursive: true, force: true });
    else
      for (const e of entries(p) ?? [])
        if (!before.includes(e)) fs.rmSync(path.join(p, e), { recursive: true, force: true });
  }
  // Only cgroups a kubelet makes: other software on the machine may create its own meanwhile.
  const ours = (c: string) => c.startsWith(cgroupPrefix) || /^kube(pods|let)/.test(c);
  for (const [h, before] of Object.entries(r.cgroups))
    for (const c of childCgroups(h))
      if (!before.includes(c) && ours(c) && !removeCgroup(path.join(h, c)))
        problems.push(`cgroup ${path.join(h, c)} could not be removed (processes left in it?)`);
  return problems;
}
