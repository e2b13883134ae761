import { readAddress, formatAddress } from "../lib/core/net/address.js";
import type { KubeApi } from "../lib/k8s/api-client.js";
import { deleteClaim } from "../lib/k8s/claim-store.js";
import { claimName } from "../lib/schemas/ip-claim.js";
import {
  isValidStatefulSetPod,
  statefulSetOrdinal,
} from "../lib/core/lifecycle/statefulset-identity.js";
import type { ClusterReads } from "./cluster-reads.js";
import { apiError } from "./cluster-reads.js";
import { CliError } from "./cli-error.js";
import { decideRelease } from "./release-decision.js";

/** How often a release that met a changed claim reads it again and decides again. */
const ROUNDS = 3;

/**
 * `spiderpool release ADDRESS`: deletes the address's claim when its Pod is gone or finished and,
 * for a StatefulSet Pod, when the StatefulSet no longer wants its ordinal (or `--force`). The
 * delete is conditioned on the claim's UID and resourceVersion as read: a claim re-created for
 * another Pod, or taken over by a StatefulSet Pod's new incarnation between the check and the
 * delete, is never removed; the command reads it again and decides again
 * (docs/adr/0002-address-claims.md).
 */
export async function releaseCommand(
  api: KubeApi,
  reads: ClusterReads,
  text: string,
  opts: { dryRun: boolean; force?: boolean },
): Promise<string> {
  const address = parseAddressArg(text);
  const canonical = formatAddress(address.value, address.family);
  const name = claimName(address.family, address.value);
  for (let round = 1; ; round++) {
    const claim = await reads.claim(name);
    if (!claim)
      throw new CliError("not_found", `${canonical} is not allocated: there is no IPClaim for it`);
    const pod = await reads.pod(claim.spec.podNamespace, claim.spec.podName);
    const statefulSetWants = claim.spec.static
      ? await statefulSetWantsPod(reads, claim.spec.podNamespace, claim.spec.podName)
      : undefined;
    const decision = decideRelease(claim, pod, { statefulSetWants, force: opts.force });
    if (!decision.release)
      throw new CliError(
        "refused",
        `refusing to release ${canonical} (pool ${claim.spec.pool}): ${decision.why}`,
      );
    if (opts.dryRun) return `would release ${canonical} (pool ${claim.spec.pool}): ${decision.why}`;
    let outcome: Awaited<ReturnType<typeof deleteClaim>>;
    try {
      outcome = await deleteClaim(
        api,
        claim.metadata.name,
        claim.metadata.uid,
        claim.metadata.resourceVersion,
      );
    } catch (e) {
      throw apiError(`DELETE ipclaim ${claim.metadata.name}`, e);
    }
    if (outcome === "deleted")
      return `released ${canonical} (pool ${claim.spec.pool}): ${decision.why}`;
    if (outcome === "absent")
      throw new CliError(
        "not_found",
        `${canonical} is not allocated: its IPClaim was deleted meanwhile`,
      );
    if (round >= ROUNDS)
      throw new CliError(
        "refused",
        `refusing to release ${canonical}: its IPClaim keeps changing while we decide (${ROUNDS} tries); run again`,
      );
  }
}

/** Whether the StatefulSet named by the Pod name still wants its ordinal: the rule IP GC applies (docs/concepts/gc.md). */
async function statefulSetWantsPod(
  reads: ClusterReads,
  namespace: string,
  podName: string,
): Promise<boolean> {
  const o = statefulSetOrdinal(podName);
  if (!o) return false;
  const sts = await reads.statefulSet(namespace, o.statefulSet);
  if (!sts || sts.metadata.deletionTimestamp) return false;
  return isValidStatefulSetPod(podName, {
    replicas: sts.spec.replicas ?? 1,
    ordinalsStart: sts.spec.ordinals?.start ?? 0,
  });
}

/** An IPv4 or IPv6 address without prefix length. */
export function parseAddressArg(text: string): { family: 4 | 6; value: bigint } {
  const a = readAddress(text.trim());
  if (!a) {
    const hint = text.includes("/") ? " (give the address without a prefix length)" : "";
    throw new CliError(
      "malformed_address",
      `${JSON.stringify(text)} is not an IPv4 or IPv6 address${hint}`,
    );
  }
  return a;
}
