import type { AgentRoute, IpConfig } from "../../schemas/agent-api.js";
import type { IPAllocationDetail } from "../../schemas/endpoint.js";
import { parseAddress, type IpFamily } from "../net/address.js";
import { cidrContains, parseCidrLenient } from "../net/cidr.js";

/** One address granted to one NIC, with what the result needs from its pool. */
export interface Grant {
  nic: string;
  family: IpFamily;
  /** Canonical address, no prefix length. */
  address: string;
  pool: { name: string; subnet: string; gateway?: string; routes?: { dst: string; gw: string }[] };
  cleanGateway: boolean;
}

export interface ResultFlags {
  enableIPConflictDetection: boolean;
  enableGatewayDetection: boolean;
}

/**
 * Builds the agent's answer and the SpiderEndpoint details from the grants of every NIC, as
 * Spiderpool does at allocation time (docs/reference/allocation.md#add, steps 5 and 6): each grant gets its pool's routes,
 * the custom routes whose gateway lies in its subnet (first match wins, in grant order), and a
 * default route via the pool gateway unless clean-gateway applies or there is no gateway.
 * Results are computed once and stored, so later pool edits do not change a running Pod's view.
 */
export function buildAllocationResult(
  grants: readonly Grant[],
  customRoutes: readonly { dst: string; gw: string }[],
  flags: ResultFlags,
): {
  ips: IpConfig[];
  routes: AgentRoute[];
  details: IPAllocationDetail[];
  droppedRoutes: { dst: string; gw: string }[];
} {
  const remaining = [...customRoutes];
  const ips: IpConfig[] = [];
  const routes: AgentRoute[] = [];
  const byNic = new Map<string, IPAllocationDetail>();
  for (const g of grants) {
    const prefix = g.pool.subnet.split("/")[1] ?? (g.family === 4 ? "32" : "128");
    ips.push({
      version: g.family,
      address: `${g.address}/${prefix}`,
      nic: g.nic,
      ipPool: g.pool.name,
      gateway: g.pool.gateway || undefined,
      vlan: 0,
      enableIPConflictDetection: flags.enableIPConflictDetection,
      enableGatewayDetection: flags.enableGatewayDetection && !!g.pool.gateway,
    });
    const attached = takeRoutesWithin(remaining, g.pool.subnet, g.family);
    const own = [...(g.pool.routes ?? []), ...attached];
    for (const r of own) routes.push({ ifName: g.nic, dst: r.dst, gw: r.gw });
    if (g.pool.gateway && !g.cleanGateway)
      routes.push({
        ifName: g.nic,
        dst: g.family === 4 ? "0.0.0.0/0" : "::/0",
        gw: g.pool.gateway,
      });

    const d = byNic.get(g.nic) ?? { interface: g.nic, vlan: 0 };
    if (g.family === 4) {
      d.ipv4 = `${g.address}/${prefix}`;
      d.ipv4Pool = g.pool.name;
      if (g.pool.gateway) d.ipv4Gateway = g.pool.gateway;
    } else {
      d.ipv6 = `${g.address}/${prefix}`;
      d.ipv6Pool = g.pool.name;
      if (g.pool.gateway) d.ipv6Gateway = g.pool.gateway;
    }
    if (g.pool.gateway) d.cleanGateway = g.cleanGateway;
    if (own.length) d.routes = [...(d.routes ?? []), ...own];
    byNic.set(g.nic, d);
  }
  return { ips, routes, details: [...byNic.values()], droppedRoutes: remaining };
}

/** Removes and returns the routes whose gateway lies inside `subnet`. */
function takeRoutesWithin(
  routes: { dst: string; gw: string }[],
  subnet: string,
  family: IpFamily,
): { dst: string; gw: string }[] {
  const c = parseCidrLenient(subnet, family);
  if (!c.ok) return [];
  const taken: { dst: string; gw: string }[] = [];
  for (let i = 0; i < routes.length; ) {
    const gw = parseAddress(routes[i]!.gw, family);
    if (gw.ok && cidrContains(c.value.cidr, gw.value)) taken.push(...routes.splice(i, 1));
    else i++;
  }
  return taken;
}

/**
 * The answer for a NIC from stored details (a repeated ADD, or a StatefulSet Pod re-created):
 * Spiderpool returns every recorded NIC; the plugin keeps its own.
 */
export function resultFromDetails(
  details: readonly IPAllocationDetail[],
  flags: ResultFlags,
): { ips: IpConfig[]; routes: AgentRoute[] } {
  const ips: IpConfig[] = [];
  const routes: AgentRoute[] = [];
  for (const d of details) {
    for (const [family, addr, pool, gw] of [
      [4, d.ipv4, d.ipv4Pool, d.ipv4Gateway],
      [6, d.ipv6, d.ipv6Pool, d.ipv6Gateway],
    ] as const) {
      if (!addr) continue;
      ips.push({
        version: family,
        address: addr,
        nic: d.interface,
        ipPool: pool,
        gateway: gw,
        vlan: d.vlan ?? 0,
        enableIPConflictDetection: flags.enableIPConflictDetection,
        enableGatewayDetection: flags.enableGatewayDetection && !!gw,
      });
      if (gw && !d.cleanGateway)
        routes.push({ ifName: d.interface, dst: family === 4 ? "0.0.0.0/0" : "::/0", gw });
    }
    for (const r of d.routes ?? []) routes.push({ ifName: d.interface, dst: r.dst, gw: r.gw });
  }
  return { ips, routes };
}
