/**
 * What the `coordinator` plugin probes for one NIC of a Pod, from the main plugin's result: each
 * address of the NIC for a conflict (ARP for IPv4, DAD for IPv6), and each gateway the result
 * names for reachability, sent from the NIC's own address of that family
 * (docs/usage/conflict-detection.md). Pure.
 */
import { claimName } from "../../schemas/ip-claim.js";
import { formatAddress, readAddress, type IpFamily } from "../net/address.js";

/** One address of the NIC as the main plugin reported it. */
export interface NicAddress {
  /** Canonical text, no prefix length. */
  readonly ip: string;
  readonly family: IpFamily;
  /** The IPAM claim's object name for the address. */
  readonly claim: string;
  readonly gateway?: { readonly ip: string; readonly family: IpFamily };
}

export type PrevResultAddresses =
  | { ok: true; addresses: NicAddress[] }
  | { ok: false; problem: string };

interface RawIp {
  address?: unknown;
  gateway?: unknown;
  interface?: unknown;
}

/**
 * The addresses of `ifName` in a CNI result (0.3.0 … 1.1.0 share the shape): entries of `ips`
 * whose `interface` index names the sandbox interface `ifName`; without an index (a result that
 * lists one interface) every entry.
 */
export function nicAddresses(prevResult: unknown, ifName: string): PrevResultAddresses {
  if (typeof prevResult !== "object" || prevResult === null)
    return {
      ok: false,
      problem: "prevResult is missing: chain the coordinator after the main plugin",
    };
  const r = prevResult as { interfaces?: unknown; ips?: unknown };
  const ifaces = Array.isArray(r.interfaces)
    ? (r.interfaces as { name?: unknown; sandbox?: unknown }[])
    : [];
  const ips = Array.isArray(r.ips) ? (r.ips as RawIp[]) : [];
  const out: NicAddress[] = [];
  for (const [i, e] of ips.entries()) {
    if (typeof e?.interface === "number") {
      const nic = ifaces[e.interface];
      if (!nic || nic.name !== ifName) continue;
    }
    const text = typeof e?.address === "string" ? e.address.split("/")[0]! : "";
    const a = readAddress(text);
    if (!a)
      return {
        ok: false,
        problem: `prevResult.ips[${i}].address: expected an address with prefix length (got ${JSON.stringify(e?.address)})`,
      };
    let gateway: NicAddress["gateway"];
    if (e.gateway !== undefined && e.gateway !== "") {
      const g = typeof e.gateway === "string" ? readAddress(e.gateway) : undefined;
      if (!g || g.family !== a.family)
        return {
          ok: false,
          problem: `prevResult.ips[${i}].gateway: expected an IPv${a.family} address (got ${JSON.stringify(e.gateway)})`,
        };
      gateway = { ip: formatAddress(g.value, g.family), family: g.family };
    }
    out.push({
      ip: formatAddress(a.value, a.family),
      family: a.family,
      claim: claimName(a.family, a.value),
      ...(gateway ? { gateway } : {}),
    });
  }
  return { ok: true, addresses: out };
}

export interface PlannedProbe {
  kind: "conflict" | "gateway";
  ip: string;
  family: IpFamily;
  source?: string;
}

/** The probes for the NIC's addresses under the effective switches. */
export function planProbes(
  addresses: readonly NicAddress[],
  detect: { ipConflict: boolean; gateway: boolean },
): PlannedProbe[] {
  const probes: PlannedProbe[] = [];
  if (detect.ipConflict)
    for (const a of addresses) probes.push({ kind: "conflict", ip: a.ip, family: a.family });
  if (detect.gateway) {
    const seen = new Set<string>();
    for (const a of addresses) {
      if (!a.gateway || seen.has(a.gateway.ip)) continue;
      seen.add(a.gateway.ip);
      probes.push({ kind: "gateway", ip: a.gateway.ip, family: a.gateway.family, source: a.ip });
    }
  }
  return probes;
}

/**
 * The effective switch: the netconf's value when it sets one, else the cluster default of the
 * SpiderCoordinator `default`, else off — the order Spiderpool applies.
 */
export function effectiveSwitch(
  netconf: boolean | undefined,
  clusterDefault: boolean | undefined,
): boolean {
  return netconf ?? clusterDefault ?? false;
}
