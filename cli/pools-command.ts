import type { ClusterReads } from "./cluster-reads.js";
import { CliError } from "./cli-error.js";
import type { CommandResult } from "./output.js";
import { usageBar } from "./output.js";
import { holdersOf, orphanClaims, poolUsage } from "./pool-usage.js";
import { table } from "./table.js";

/**
 * `spiderpool pools [POOL...]`: usage of every pool (or the named ones) with a bar of the used
 * share of what can be allocated (total − reserved), and the holders of named pools.
 */
export async function poolsCommand(
  reads: ClusterReads,
  names: readonly string[],
): Promise<CommandResult> {
  const [pools, claims, reserved] = await Promise.all([
    reads.pools(),
    reads.claims(),
    reads.reserved(),
  ]);
  const unknown = names.filter(n => !pools.some(p => p.metadata.name === n));
  if (unknown.length)
    throw new CliError(
      "not_found",
      `SpiderIPPool ${unknown.map(n => JSON.stringify(n)).join(", ")} not found; pools: ${pools.map(p => p.metadata.name).join(", ") || "(none)"}`,
    );
  const usage = poolUsage(
    names.length ? pools.filter(p => names.includes(p.metadata.name)) : pools,
    claims,
    reserved,
  );
  const orphans = names.length ? [] : orphanClaims(pools, claims);
  const items = usage.map(u => ({
    name: u.name,
    ipVersion: u.family,
    subnet: u.subnet,
    total: Number(u.total),
    reserved: Number(u.reserved),
    used: Number(u.used),
    quarantined: u.quarantined,
    free: Number(u.free),
    terminating: u.terminating,
    ...(u.awaitingImport ? { awaitingImport: u.awaitingImport } : {}),
    holders: holdersOf(u.name, claims),
  }));

  return {
    kind: "PoolList",
    body: {
      items,
      orphanClaims: orphans.map(c => ({
        address: c.spec.address,
        pool: c.spec.pool,
        pod: `${c.spec.podNamespace}/${c.spec.podName}`,
        podUID: c.spec.podUID,
      })),
    },
    table: () => {
      const out = [
        table(
          [
            "POOL",
            "VERSION",
            "SUBNET",
            "TOTAL",
            "RESERVED",
            "USED",
            "QUARANTINED",
            "FREE",
            "USAGE",
          ],
          usage.map(u => [
            u.name +
              (u.terminating ? " (terminating)" : "") +
              (u.awaitingImport ? " (awaiting import)" : ""),
            `IPv${u.family}`,
            u.subnet,
            String(u.total),
            String(u.reserved),
            String(u.used),
            String(u.quarantined),
            String(u.free),
            usageBar(u.used, u.total - u.reserved),
          ]),
        ),
      ];
      for (const n of names) {
        const holders = holdersOf(n, claims);
        out.push("", `${n}: ${holders.length} address${holders.length === 1 ? "" : "es"} held`);
        if (holders.length) {
          const rows = holders.map(h => [
            h.address,
            h.quarantine
              ? `(quarantined until ${h.quarantine.until}, answered by ${h.quarantine.mac})`
              : h.pod,
            h.podUID,
            h.nic,
            h.node,
            h.static ? "yes" : "",
          ]);
          out.push(table(["ADDRESS", "POD", "POD UID", "NIC", "NODE", "STATIC"], rows));
        }
      }
      if (orphans.length)
        out.push(
          "",
          `${orphans.length} claim(s) name a pool that does not exist: ${orphans.map(c => `${c.spec.address} (${c.spec.pool})`).join(", ")}`,
        );
      return out.join("\n");
    },
  };
}
