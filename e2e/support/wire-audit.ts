import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fabricNetns } from "../cluster/fabric.js";
import { ip } from "../cluster/netns.js";

const execFileAsync = promisify(execFile);

export interface WireAudit {
  probed: string[];
  /** Address → the MACs that answered an ARP request for it. */
  answered: Map<string, string[]>;
  /** Addresses answered by more than one MAC: two hosts on the wire claim them. */
  duplicates: string[];
}

/**
 * Asks the underlay itself who holds each address: from a network namespace of its own, plugged
 * into the fabric bridge like a foreign host, it ARPs every address (broadcast each time, so a
 * second holder cannot hide behind the first's unicast answers) and collects the MACs that answer.
 * The namespace is removed afterwards. `source` is an address in the pods' subnet that nothing
 * else uses, with its prefix length.
 */
export async function wireAudit(netnsPrefix: string, addresses: readonly string[], source: string): Promise<WireAudit> {
  const ns = `${netnsPrefix}-audit`;
  const peer = `v-audit`;
  ip("netns", "add", ns);
  try {
    ip("-n", ns, "link", "set", "lo", "up");
    ip("link", "add", "aud0", "netns", ns, "type", "veth", "peer", "name", peer, "netns", fabricNetns(netnsPrefix));
    ip("-n", fabricNetns(netnsPrefix), "link", "set", peer, "master", "br0", "up");
    ip("-n", ns, "addr", "add", source, "dev", "aud0");
    ip("-n", ns, "link", "set", "aud0", "up");
    const answered = new Map<string, string[]>();
    await Promise.all(
      addresses.map(async (a) => {
        const macs = await arpingMacs(ns, "aud0", a);
        if (macs.length) answered.set(a, macs);
      }),
    );
    const duplicates = [...answered].filter(([, m]) => m.length > 1).map(([a]) => a);
    return { probed: [...addresses], answered, duplicates };
  } finally {
    ip("netns", "delete", ns); // takes its veth, and so the bridge port, with it
  }
}

/** Distinct MACs answering `address` within 3 s (iputils arping; exit 1 = nobody answered). */
async function arpingMacs(ns: string, ifname: string, address: string): Promise<string[]> {
  let out: string;
  try {
    out = (await execFileAsync("ip", ["netns", "exec", ns, "arping", "-b", "-c", "3", "-w", "3", "-I", ifname, address], { encoding: "utf8" })).stdout;
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
    if (err.code !== 1) throw new Error(`arping ${address}: ${(err.stderr ?? err.message).trim()}`);
    out = err.stdout ?? "";
  }
  const macs = [...out.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase());
  return [...new Set(macs)].sort();
}

export function formatWireAudit(a: WireAudit): string {
  const lines = [`wire audit: ${a.probed.length} addresses probed, ${a.answered.size} answered, ${a.duplicates.length} answered by two MACs or more`];
  for (const d of a.duplicates) lines.push(`  DUPLICATE ${d}: ${a.answered.get(d)!.join(" ")}`);
  return lines.join("\n");
}
