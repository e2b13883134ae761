/**
 * `spiderpool pools`: how full each SpiderIPPool is and who holds which address, from the
 * address claims (the allocation ledger, docs/adr/0002-address-claims.md), not from pool status,
 * which the watcher projects and may lag. Pure.
 */
import { formatAddress, parseAddress, type IpFamily } from "../lib/core/net/address.js";
import {
  importState,
  poolFactsOf,
  type ImportState,
} from "../lib/core/lifecycle/allocation-import.js";
import { isQuarantined } from "../lib/core/lifecycle/quarantine.js";
import {
  reservedSets,
  takenOf,
  usableOf,
  type Claim,
  type Pool,
  type ReservedIP,
} from "./selection-request.js";

export interface PoolUsage {
  readonly name: string;
  readonly family: IpFamily;
  readonly subnet: string;
  /** ips − excludeIPs. */
  readonly total: bigint;
  /** Addresses of `total` held back by SpiderReservedIPs. */
  readonly reserved: bigint;
  /** Addresses with a claim. */
  readonly used: bigint;
  /** Of `used`: addresses quarantined after an IP conflict (docs/usage/conflict-detection.md). */
  readonly quarantined: number;
  readonly free: bigint;
  readonly terminating: boolean;
  /** Set while Spiderpool's records in the pool's status are not claims yet: agents skip the pool. */
  readonly awaitingImport?: string;
}

export interface Holder {
  readonly address: string;
  readonly pod: string;
  readonly podUID: string;
  readonly nic: string;
  readonly node: string;
  readonly static: boolean;
  /** Set for a quarantined address: until when, and the MAC that answered. */
  readonly quarantine?: { readonly until: string; readonly mac: string };
}

export function poolUsage(
  pools: readonly Pool[],
  claims: readonly Claim[],
  reserved: readonly ReservedIP[],
): PoolUsage[] {
  const reservedByFamily = reservedSets(reserved);
  const claimed = new Set(claims.map(c => `${c.spec.ipVersion}/${c.spec.address}`));
  return [...pools]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map(p => {
      const family = (p.spec.ipVersion ?? 4) as IpFamily;
      const usable = usableOf(p);
      const held = usable.intersect(reservedByFamily[family]);
      const taken = takenOf(p, claims);
      return {
        name: p.metadata.name,
        family,
        subnet: p.spec.subnet ?? "",
        total: usable.size(),
        reserved: held.size(),
        used: taken.size(),
        quarantined: claims.filter(c => c.spec.pool === p.metadata.name && isQuarantined(c.spec))
          .length,
        free: usable.subtract(held).subtract(taken).size(),
        terminating: !!p.metadata.deletionTimestamp,
        ...awaiting(
          importState(poolFactsOf(p), v => claimed.has(`${family}/${formatAddress(v, family)}`)),
        ),
      };
    });
}

/** Claims of one pool in address order. */
export function holdersOf(pool: string, claims: readonly Claim[]): Holder[] {
  return claims
    .filter(c => c.spec.pool === pool)
    .map(c => ({ c, v: parseAddress(c.spec.address, c.spec.ipVersion) }))
    .sort((a, b) =>
      a.v.ok && b.v.ok
        ? a.v.value.value < b.v.value.value
          ? -1
          : a.v.value.value > b.v.value.value
            ? 1
            : 0
        : 0,
    )
    .map(({ c, v }) => ({
      address: v.ok ? formatAddress(v.value.value, v.value.family) : c.spec.address,
      pod: `${c.spec.podNamespace}/${c.spec.podName}`,
      podUID: c.spec.podUID,
      nic: c.spec.interface,
      node: c.spec.node,
      static: c.spec.static === true,
      ...(isQuarantined(c.spec) && c.spec.quarantine
        ? { quarantine: { until: c.spec.quarantine.until, mac: c.spec.quarantine.mac } }
        : {}),
    }));
}

/** Claims that name a pool which no longer exists: leaks for `spiderpool release` or GC. */
export function orphanClaims(pools: readonly Pool[], claims: readonly Claim[]): Claim[] {
  const names = new Set(pools.map(p => p.metadata.name));
  return claims.filter(c => !names.has(c.spec.pool));
}

function awaiting(s: ImportState): { awaitingImport?: string } {
  return s.state === "awaiting_import" ? { awaitingImport: s.reason } : {};
}

/** Pools the agent skips until the watcher imports Spiderpool's records of them, with why. */
export function awaitingImport(
  pools: readonly Pool[],
  claims: readonly Claim[],
): Map<string, string> {
  return new Map(
    poolUsage(pools, claims, []).flatMap(u =>
      u.awaitingImport ? [[u.name, u.awaitingImport] as const] : [],
    ),
  );
}
