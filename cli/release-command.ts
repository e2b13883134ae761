import { readAddress, formatAddress } from "../lib/core/address.js";
import type { ApiClient } from "../lib/k8s/api-client.js";
import { deleteClaim } from "../lib/k8s/claim-store.js";
import { claimName } from "../lib/schemas/ip-claim.js";
import type { ClusterReads } from "./cluster-reads.js";
import { apiError } from "./cluster-reads.js";
import { CliError } from "./cli-error.js";
import { decideRelease } from "./release-decision.js";

/**
 * `spiderpool release ADDRESS`: deletes the address's claim when its Pod is gone or finished.
 * The delete carries the claim's UID as a precondition, so a claim re-created for another Pod
 * between the check and the delete is never removed.
 */
export async function releaseCommand(api: ApiClient, reads: ClusterReads, text: string, dryRun: boolean): Promise<string> {
  const address = parseAddressArg(text);
  const canonical = formatAddress(address.value, address.family);
  const claim = await reads.claim(claimName(address.family, address.value));
  if (!claim) throw new CliError("not_found", `${canonical} is not allocated: there is no IPClaim for it`);
  const pod = await reads.pod(claim.spec.podNamespace, claim.spec.podName);
  const decision = decideRelease(claim, pod);
  if (!decision.release) throw new CliError("refused", `refusing to release ${canonical} (pool ${claim.spec.pool}): ${decision.why}`);
  if (dryRun) return `would release ${canonical} (pool ${claim.spec.pool}): ${decision.why}`;
  try {
    await deleteClaim(api, claim.metadata.name, claim.metadata.uid);
  } catch (e) {
    throw apiError(`DELETE ipclaim ${claim.metadata.name}`, e);
  }
  return `released ${canonical} (pool ${claim.spec.pool}): ${decision.why}`;
}

/** An IPv4 or IPv6 address without prefix length. */
export function parseAddressArg(text: string): { family: 4 | 6; value: bigint } {
  const a = readAddress(text.trim());
  if (!a) {
    const hint = text.includes("/") ? " (give the address without a prefix length)" : "";
    throw new CliError("malformed_address", `${JSON.stringify(text)} is not an IPv4 or IPv6 address${hint}`);
  }
  return a;
}
