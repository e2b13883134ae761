/**
 * The netconf's `match_master_subnet` (docs/usage/match-master-subnet.md): a pool may serve the
 * NIC only when its `spec.subnet` contains an address of the NIC's master on the host (the PF of
 * an SR-IOV VF). The agent reads the master and its addresses; this decides on them.
 */
import { readAddress } from "../net/address.js";
import { cidrContains, parseCidrLenient } from "../net/cidr.js";

/** What the agent found about the master of the NIC being added. */
export type MasterFacts =
  | { readonly name: string; readonly addresses: readonly string[] }
  /** The master could not be found; every pool is skipped with this text. */
  | { readonly problem: string };

/**
 * Spiderpool's reason texts (`filterPoolCandidatesByPfSubnet: …`), with the master's addresses
 * in parentheses so that the refusal says what was compared; `undefined` when the pool may serve.
 */
export function masterSubnetProblem(
  pool: { readonly name: string; readonly subnet?: string },
  master: MasterFacts,
): string | undefined {
  if ("problem" in master) return `filterPoolCandidatesByPfSubnet: ${master.problem}`;
  const subnet = pool.subnet ?? "";
  if (subnet === "") return "filterPoolCandidatesByPfSubnet: subnet is empty";
  const cidr = parseCidrLenient(subnet);
  if (!cidr.ok)
    return `filterPoolCandidatesByPfSubnet: failed to parse subnet "${subnet}": ${cidr.error.message}`;
  for (const text of master.addresses) {
    const address = readAddress(text);
    if (address !== undefined && cidrContains(cidr.value.cidr, address)) return undefined;
  }
  const found = master.addresses.length > 0 ? master.addresses.join(", ") : "none";
  return `filterPoolCandidatesByPfSubnet: the ippool's subnet "${subnet}" not found on pod's PF "${master.name}" (addresses of ${master.name}: ${found})`;
}
