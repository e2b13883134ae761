import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import type { ClusterState } from "../cluster/cluster.js";
import { fabricNetns } from "../cluster/fabric.js";
import { ip, ipAsync, listNetns } from "../cluster/netns.js";

const execFileAsync = promisify(execFile);

/** How many probes run at once: each is a process that lives about a second. */
const PARALLEL = 32;
/** The auditor's IPv4 source: link-local, so it can never be an address a pool hands out. */
const AUDITOR_V4 = "169.254.255.1/32";
const AUDITOR_V6 = "fe80::ad:1/64";

export interface WireAudit {
  probed: string[];
  /** Address → the MACs that answered an ARP request (IPv4) or a neighbour solicitation (IPv6) for it. */
  answered: Map<string, string[]>;
  /** Addresses answered by more than one host: two holders on the wire claim them. */
  duplicates: string[];
  /** MAC → the network namespace it belongs to, for the sandboxes and nodes of the cluster. */
  hosts: Map<string, string>;
}

/** Where each address in use was seen: "claim", "pod" (a Running Pod's podIPs) or "netns" (configured in a sandbox). */
export type InUse = Map<string, Set<"claim" | "pod" | "netns">>;

/**
 * Asks the underlay itself who holds each address: from a network namespace of its own, plugged
 * into the fabric bridge like a foreign host, it ARPs every IPv4 address (broadcast each time, so
 * a second holder cannot hide behind the first's unicast answers) and solicits every IPv6 one
 * (ndisc6, all answers kept), and collects the MACs that answer. Answers from two interfaces of
 * one namespace (a Pod with two NICs on the segment, whose kernel answers on both) are one host;
 * any MAC not known as a sandbox's or a node's is a host of its own. The namespace is removed
 * afterwards. `hosts` may be left out outside a cluster: then every MAC is a host.
 */
export async function wireAudit(
  netnsPrefix: string,
  addresses: readonly string[],
  hosts: Map<string, string> = new Map(),
): Promise<WireAudit> {
  const ns = `${netnsPrefix}-audit`;
  const peer = `v-audit`;
  if (listNetns().includes(ns)) ip("netns", "delete", ns); // left by a run that was killed
  ip("netns", "add", ns);
  try {
    ip("-n", ns, "link", "set", "lo", "up");
    ip(
      "link",
      "add",
      "aud0",
      "netns",
      ns,
      "type",
      "veth",
      "peer",
      "name",
      peer,
      "netns",
      fabricNetns(netnsPrefix),
    );
    ip("-n", fabricNetns(netnsPrefix), "link", "set", peer, "master", "br0", "up");
    ip("-n", ns, "addr", "add", AUDITOR_V4, "dev", "aud0");
    ip("-n", ns, "addr", "add", AUDITOR_V6, "dev", "aud0", "nodad");
    ip("-n", ns, "link", "set", "aud0", "up");
    // Any IPv4 target is "on link": arping then takes the link-local source above.
    ip("-n", ns, "route", "add", "default", "dev", "aud0");
    const answered = new Map<string, string[]>();
    const queue = [...new Set(addresses)];
    await Promise.all(
      Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => {
        for (let a = queue.shift(); a !== undefined; a = queue.shift()) {
          const macs = a.includes(":")
            ? await ndiscMacs(ns, "aud0", a)
            : await arpingMacs(ns, "aud0", a);
          if (macs.length) answered.set(a, macs);
        }
      }),
    );
    const holders = (macs: string[]) => new Set(macs.map(m => hosts.get(m) ?? m)).size;
    const duplicates = [...answered].filter(([, m]) => holders(m) > 1).map(([a]) => a);
    return { probed: [...new Set(addresses)], answered, duplicates: duplicates.sort(), hosts };
  } finally {
    ip("netns", "delete", ns); // takes its veth, and so the bridge port, with it
  }
}

/** Distinct MACs answering two broadcast ARP requests, a second apart, for `address` (iputils arping). */
async function arpingMacs(ns: string, ifname: string, address: string): Promise<string[]> {
  let out: string;
  try {
    out = (
      await execFileAsync(
        "ip",
        ["netns", "exec", ns, "arping", "-b", "-c", "2", "-I", ifname, address],
        { encoding: "utf8" },
      )
    ).stdout;
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
    // arping exits 1 both when nobody answered and on bad usage: only the former reports its probes.
    if (err.code !== 1 || !/Sent \d+ probe/.test(err.stdout ?? ""))
      throw new Error(`arping ${address}: ${(err.stderr || err.message).trim()}`);
    out = err.stdout ?? "";
  }
  const macs = [...out.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/g)].map(m =>
    m[1]!.toLowerCase(),
  );
  return [...new Set(macs)].sort();
}

/** Distinct MACs answering neighbour solicitations for `address` (ndisc6 -m keeps every answer; exit 2 = none). */
async function ndiscMacs(ns: string, ifname: string, address: string): Promise<string[]> {
  let out: string;
  try {
    out = (
      await execFileAsync(
        "ip",
        ["netns", "exec", ns, "ndisc6", "-m", "-n", "-r", "2", "-w", "1000", address, ifname],
        { encoding: "utf8" },
      )
    ).stdout;
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (err.code === "ENOENT")
      throw new Error("ndisc6 is not installed (Debian package ndisc6; .ci/run installs it)");
    if (err.code !== 2 || !/No response/.test(`${err.stdout}${err.stderr}`))
      throw new Error(`ndisc6 ${address}: ${(err.stderr || err.message).trim()}`);
    out = err.stdout ?? "";
  }
  const macs = [...out.matchAll(/Target link-layer address: ([0-9A-Fa-f:]{17})/g)].map(m =>
    m[1]!.toLowerCase(),
  );
  return [...new Set(macs)].sort();
}

/** True for the network namespaces the simulated kubelets create for Pod sandboxes (kubelet-sim/pod-sandbox.ts). */
function isSandboxNetns(prefix: string, name: string): boolean {
  return name.startsWith(`${prefix}-p`) && /^[0-9a-f]{10}$/.test(name.slice(prefix.length + 2));
}

interface LinkAddr {
  ifname: string;
  address?: string;
  addr_info?: { local: string; family: string; scope: string }[];
}

/** The pod network namespaces a real node's containerd holds (netns_mounts_under_state_dir). */
function containerdNetns(nodeDir: string): string[] {
  const dir = path.join(nodeDir, "containerd/state/io.containerd.grpc.v1.cri/netns");
  try {
    return fs.readdirSync(dir).map(f => path.join(dir, f));
  } catch {
    return [];
  }
}

/** Links of a namespace named in /run/netns, or of one given by path (entered with nsenter). */
async function linksOf(netns: string): Promise<LinkAddr[]> {
  try {
    if (netns.startsWith("/")) {
      const { stdout } = await execFileAsync(
        "nsenter",
        [`--net=${netns}`, "--", "ip", "-j", "addr", "show"],
        { encoding: "utf8" },
      );
      return JSON.parse(stdout) as LinkAddr[];
    }
    return JSON.parse(await ipAsync("-j", "-n", netns, "addr", "show")) as LinkAddr[];
  } catch {
    return []; // torn down while we looked
  }
}

/**
 * Every address in use in the cluster: each IPClaim's address, each Running Pod's podIPs and
 * each global address configured in a sandbox namespace on any node, frozen ones included (their
 * namespaces stay on the bridge). Also the MAC of every sandbox and node interface, so answers
 * can be told apart by host.
 */
export async function addressesInUse(
  api: ApiClient,
  state: ClusterState,
): Promise<{ inUse: InUse; hosts: Map<string, string> }> {
  const inUse: InUse = new Map();
  const note = (a: string, where: "claim" | "pod" | "netns") =>
    inUse.set(a, (inUse.get(a) ?? new Set()).add(where));
  for (const c of (await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH)).items)
    note(c.spec.address, "claim");
  for (const p of (await api.get<KubeList<Pod>>("/api/v1/pods")).items) {
    if (p.status?.phase !== "Running" || p.spec.hostNetwork) continue;
    for (const x of p.status.podIPs ?? []) note(x.ip, "pod");
  }
  const hosts = new Map<string, string>();
  const real = state.realNodes ?? [];
  const namespaces = listNetns().filter(
    n =>
      isSandboxNetns(state.netnsPrefix, n) ||
      state.nodes.some(node => node.netns === n) ||
      real.some(node => node.netns === n),
  );
  // Sandboxes of real nodes are containerd's, mounted below the node's state, not in /run/netns.
  const realSandboxes = real.flatMap(n => containerdNetns(n.layout.dir));
  for (const n of [...namespaces, ...realSandboxes]) {
    const sandbox = isSandboxNetns(state.netnsPrefix, n) || n.startsWith("/");
    for (const l of await linksOf(n)) {
      if (l.ifname === "lo") continue;
      if (l.address) hosts.set(l.address.toLowerCase(), n);
      if (!sandbox) continue;
      for (const a of l.addr_info ?? []) if (a.scope === "global") note(a.local, "netns");
    }
  }
  return { inUse, hosts };
}

/**
 * The wire audit a fault scenario ends with (docs/concepts/fault-model.md, "What never means"):
 * every address in use is probed from a foreign host on the fabric, the result is printed in the
 * test output, and no address may be answered by two hosts. Returns the audit for further checks.
 */
export async function assertWireClean(
  api: ApiClient,
  state: ClusterState,
  label: string,
): Promise<WireAudit> {
  const { inUse, hosts } = await addressesInUse(api, state);
  const audit = await wireAudit(state.netnsPrefix, [...inUse.keys()], hosts);
  const count = (w: "claim" | "pod" | "netns") => [...inUse.values()].filter(s => s.has(w)).length;
  process.stdout.write(
    `      ${label} (in use: ${count("claim")} claimed, ${count("pod")} Running Pod IPs, ${count("netns")} in sandboxes): ${formatWireAudit(audit)}\n`,
  );
  const doubled = audit.duplicates.map(
    d =>
      `${d}: ${audit.answered
        .get(d)!
        .map(m => `${m} (${hosts.get(m) ?? "unknown host"})`)
        .join(", ")}`,
  );
  if (doubled.length)
    assert.fail(`${label}: addresses answered on the wire by two hosts: ${doubled.join("; ")}`);
  return audit;
}

export function formatWireAudit(a: WireAudit): string {
  const lines = [
    `wire audit: ${a.probed.length} addresses probed, ${a.answered.size} answered, ${a.duplicates.length} answered by two hosts or more`,
  ];
  for (const d of a.duplicates)
    lines.push(
      `        DUPLICATE ${d}: ${a.answered
        .get(d)!
        .map(m => `${m} (${a.hosts.get(m) ?? "unknown host"})`)
        .join(" ")}`,
    );
  return lines.join("\n");
}
