import type { ClusterReads } from "./cluster-reads.js";
import { CliError } from "./cli-error.js";
import type { CommandResult } from "./output.js";
import { usageBar } from "./output.js";
import { subnetUsage } from "./subnet-usage.js";
import { table } from "./table.js";

/** Ranges shown in the table before "… and N more"; json/yaml carry them all. */
const RANGES_SHOWN = 4;

/** `spiderpool subnets [SUBNET...]`: usage per SpiderSubnet and its free ranges. */
export async function subnetsCommand(
  reads: ClusterReads,
  names: readonly string[],
): Promise<CommandResult> {
  const [subnets, pools, claims] = await Promise.all([
    reads.subnets(),
    reads.pools(),
    reads.claims(),
  ]);
  const unknown = names.filter(n => !subnets.some(s => s.metadata.name === n));
  if (unknown.length)
    throw new CliError(
      "not_found",
      `SpiderSubnet ${unknown.map(n => JSON.stringify(n)).join(", ")} not found; subnets: ${subnets.map(s => s.metadata.name).join(", ") || "(none)"}`,
    );
  const usage = subnetUsage(
    names.length ? subnets.filter(s => names.includes(s.metadata.name)) : subnets,
    pools,
    claims,
  );
  return {
    kind: "SubnetList",
    body: {
      items: usage.map(u => ({
        ...u,
        total: Number(u.total),
        inPools: Number(u.inPools),
        allocated: Number(u.allocated),
        free: Number(u.free),
      })),
    },
    table: () =>
      table(
        [
          "SUBNET",
          "VERSION",
          "CIDR",
          "TOTAL",
          "IN POOLS",
          "ALLOCATED",
          "FREE",
          "USAGE",
          "FREE RANGES",
        ],
        usage.map(u => [
          u.name + (u.terminating ? " (terminating)" : ""),
          `IPv${u.ipVersion}`,
          u.subnet,
          String(u.total),
          String(u.inPools),
          String(u.allocated),
          String(u.free),
          usageBar(u.inPools, u.total),
          u.freeRanges.length
            ? u.freeRanges.slice(0, RANGES_SHOWN).join(",") +
              (u.freeRanges.length > RANGES_SHOWN
                ? ` … and ${u.freeRanges.length - RANGES_SHOWN} more`
                : "")
            : "none",
        ]),
      ),
  };
}
