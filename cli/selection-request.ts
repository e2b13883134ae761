/**
 * The input of pool selection (lib/core selectPools) built from plain cluster objects, exactly as
 * the agent builds it at CNI ADD (lib/agent/allocator.ts #plan and #poolView), so `explain`
 * answers with the agent's rules. Pure: the caller fetches the objects.
 *
 * Counts follow the agent's cache: usable = ips − excludeIPs − reserved IPs of the family;
 * taken = every claim naming the pool, except the Pod's own (a retried ADD reuses them).
 */
import { parseAddress, type IpFamily } from "../lib/core/net/address.js";
import { IntervalSet } from "../lib/core/net/interval-set.js";
import type { PoolView, SelectionInput } from "../lib/core/selection/pool-selection.js";
import { topController, type OwnerLookup } from "../lib/core/selection/top-controller.js";
import type { Stored } from "../lib/k8s/api-client.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import type { IPClaim } from "../lib/schemas/ip-claim.js";
import type { SpiderIPPool } from "../lib/schemas/ippool.js";
import type { SpiderReservedIP } from "../lib/schemas/reserved-ip.js";
import type { SpiderpoolConfig } from "../lib/schemas/config.js";
import { usableAddresses } from "../lib/core/net/usable-addresses.js";

export type Pool = Stored<SpiderIPPool>;
export type Claim = Stored<IPClaim>;
export type ReservedIP = Stored<SpiderReservedIP>;

export interface SelectionFacts {
  readonly pod: Pod;
  /** The node the Pod is (or would be) on. */
  readonly node: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly namespace: {
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly pools: readonly Pool[];
  readonly claims: readonly Claim[];
  readonly reserved: readonly ReservedIP[];
  readonly owners: OwnerLookup;
  readonly ifName: string;
  readonly netconf: {
    readonly defaultIPv4IPPool: readonly string[];
    readonly defaultIPv6IPPool: readonly string[];
  };
  readonly config: Pick<
    SpiderpoolConfig,
    "enableIPv4" | "enableIPv6" | "enableSpiderSubnet" | "enableAutoPoolForApplication"
  >;
  readonly agentNamespace: string;
  readonly clusterNetwork?: string;
}

export function selectionInputFor(f: SelectionFacts): SelectionInput {
  const uid = f.pod.metadata.uid ?? "";
  const reserved = reservedSets(f.reserved);
  const mine = f.claims.filter(c => c.spec.podUID === uid && uid !== "");
  return {
    pod: {
      namespace: f.pod.metadata.namespace ?? "",
      name: f.pod.metadata.name,
      uid,
      labels: f.pod.metadata.labels ?? {},
      annotations: f.pod.metadata.annotations ?? {},
      nodeName: f.node.name,
    },
    top: topController(f.pod, f.owners),
    namespace: {
      name: f.pod.metadata.namespace ?? "",
      labels: f.namespace.labels,
      annotations: f.namespace.annotations,
    },
    node: { name: f.node.name, labels: f.node.labels },
    ifName: f.ifName,
    netconf: {
      defaultIPv4IPPool: [...f.netconf.defaultIPv4IPPool],
      defaultIPv6IPPool: [...f.netconf.defaultIPv6IPPool],
    },
    pools: f.pools.map(p => poolView(p, reserved, f.claims, uid)),
    reusablePools: [...new Set(mine.map(c => c.spec.pool))],
    config: {
      enableIPv4: f.config.enableIPv4,
      enableIPv6: f.config.enableIPv6,
      enableSpiderSubnet: f.config.enableSpiderSubnet,
      enableAutoPoolForApplication: f.config.enableAutoPoolForApplication,
    },
    agentNamespace: f.agentNamespace,
    ...(f.clusterNetwork ? { clusterNetwork: f.clusterNetwork } : {}),
  };
}

/** Addresses of SpiderReservedIPs per family; those being deleted no longer reserve. */
export function reservedSets(reserved: readonly ReservedIP[]): Record<IpFamily, IntervalSet> {
  const acc: Record<IpFamily, IntervalSet> = { 4: IntervalSet.empty(4), 6: IntervalSet.empty(6) };
  for (const r of reserved) {
    if (r.metadata.deletionTimestamp) continue;
    const family = (r.spec.ipVersion ?? 4) as IpFamily;
    const s = IntervalSet.fromRanges(r.spec.ips ?? [], family);
    if (s.ok) acc[family] = acc[family].union(s.value);
  }
  return acc;
}

/** ips − excludeIPs of a pool (empty when its ranges do not parse, as the agent treats them). */
export function usableOf(pool: Pool): IntervalSet {
  return usableAddresses(pool.spec, (pool.spec.ipVersion ?? 4) as IpFamily);
}

/** Claimed addresses of a pool, optionally leaving out one Pod UID's own. */
export function takenOf(pool: Pool, claims: readonly Claim[], exceptUid = ""): IntervalSet {
  const family = (pool.spec.ipVersion ?? 4) as IpFamily;
  const values: bigint[] = [];
  for (const c of claims) {
    if (c.spec.pool !== pool.metadata.name || c.spec.ipVersion !== family) continue;
    if (exceptUid && c.spec.podUID === exceptUid) continue;
    const a = parseAddress(c.spec.address, family);
    if (a.ok) values.push(a.value.value);
  }
  return IntervalSet.fromAddresses(family, values);
}

export function poolView(
  pool: Pool,
  reserved: Record<IpFamily, IntervalSet>,
  claims: readonly Claim[],
  uid: string,
): PoolView {
  const family = (pool.spec.ipVersion ?? 4) as IpFamily;
  const allocatable = usableOf(pool).subtract(reserved[family]);
  const total = allocatable.size();
  const free = allocatable.subtract(takenOf(pool, claims, uid)).size();
  return {
    name: pool.metadata.name,
    spec: pool.spec,
    labels: pool.metadata.labels ?? {},
    terminating: !!pool.metadata.deletionTimestamp,
    free,
    total,
    used: total - free,
  };
}
