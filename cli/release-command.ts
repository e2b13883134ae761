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
import type { CommandResult } from "./output.js";
import { decideRelease } from "./release-decision.js";
import type { ReportedLeak } from "./check-report.js";
import type { Claim } from "./selection-request.js";

/** How often a release that met a changed claim reads it again and decides again. */
const ROUNDS = 3;

/** One address's outcome, as `-o json` items of kind ReleaseResult show it. */
export interface ReleaseOutcome {
  readonly address: string;
  readonly pool: string;
  readonly claim: string;
  /** released, wouldRelease (--dry-run), refused, or gone (no claim any more). */
  readonly result: "released" | "wouldRelease" | "refused" | "gone";
  readonly reason: string;
}

/**
 * `spiderpool release ADDRESS`: deletes the address's claim when its Pod is gone or finished and,
 * for a StatefulSet Pod, when the StatefulSet no longer wants its ordinal (or `--force`). The
 * delete is conditioned on the claim's UID and resourceVersion as read: a claim re-created for
 * another Pod, or taken over by a StatefulSet Pod's new incarnation between the check and the
 * delete, is never removed; the command reads it again and decides again
 * (docs/adr/0002-address-claims.md). A refusal or a missing claim is a CliError (exit 1).
 */
export async function releaseCommand(
  api: KubeApi,
  reads: ClusterReads,
  text: string,
  opts: { dryRun: boolean; force?: boolean },
): Promise<CommandResult> {
  const address = parseAddressArg(text);
  const canonical = formatAddress(address.value, address.family);
  const name = claimName(address.family, address.value);
  for (let round = 1; ; round++) {
    const claim = await reads.claim(name);
    if (!claim)
      throw new CliError("not_found", `${canonical} is not allocated: there is no IPClaim for it`);
    const decision = await decide(reads, claim, opts.force);
    if (!decision.release)
      throw new CliError(
        "refused",
        `refusing to release ${canonical} (pool ${claim.spec.pool}): ${decision.why}`,
      );
    const at = { address: canonical, pool: claim.spec.pool, claim: name, reason: decision.why };
    if (opts.dryRun) return released([{ ...at, result: "wouldRelease" }]);
    const outcome = await deleteChecked(api, claim);
    if (outcome === "deleted") return released([{ ...at, result: "released" }]);
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

/**
 * `spiderpool release --from-report FILE`: exactly the LeakedClaim findings of a saved check
 * report, each only while its claim is still the one the report saw (same UID and
 * resourceVersion, checked on read and again as preconditions of the DELETE) and the release
 * rules still allow it. Nothing else is touched; a changed claim is refused, not re-decided.
 * Exit 1 when any was refused.
 */
export async function releaseFromReport(
  api: KubeApi,
  reads: ClusterReads,
  leaks: readonly ReportedLeak[],
  dryRun: boolean,
): Promise<CommandResult> {
  const items: ReleaseOutcome[] = [];
  for (const leak of leaks) {
    const at = { address: leak.address, pool: leak.pool, claim: leak.claim.name };
    const claim = await reads.claim(leak.claim.name);
    if (!claim) {
      items.push({ ...at, result: "gone", reason: "its IPClaim no longer exists" });
      continue;
    }
    if (
      claim.metadata.uid !== leak.claim.uid ||
      claim.metadata.resourceVersion !== leak.claim.resourceVersion
    ) {
      items.push({
        ...at,
        result: "refused",
        reason: `its IPClaim changed since the report (uid ${claim.metadata.uid}, resourceVersion ${claim.metadata.resourceVersion}; the report saw ${leak.claim.uid}, ${leak.claim.resourceVersion}); run check again`,
      });
      continue;
    }
    const decision = await decide(reads, claim, false);
    if (!decision.release) {
      items.push({ ...at, result: "refused", reason: decision.why });
      continue;
    }
    if (dryRun) {
      items.push({ ...at, result: "wouldRelease", reason: decision.why });
      continue;
    }
    const outcome = await deleteChecked(api, claim);
    items.push(
      outcome === "deleted"
        ? { ...at, result: "released", reason: decision.why }
        : outcome === "absent"
          ? { ...at, result: "gone", reason: "its IPClaim was deleted meanwhile" }
          : {
              ...at,
              result: "refused",
              reason: "its IPClaim changed while we decided; run check again",
            },
    );
  }
  return released(items);
}

async function decide(reads: ClusterReads, claim: Claim, force?: boolean) {
  const pod = await reads.pod(claim.spec.podNamespace, claim.spec.podName);
  const statefulSetWants = claim.spec.static
    ? await statefulSetWantsPod(reads, claim.spec.podNamespace, claim.spec.podName)
    : undefined;
  return decideRelease(claim, pod, { statefulSetWants, force });
}

async function deleteChecked(api: KubeApi, claim: Claim) {
  try {
    return await deleteClaim(
      api,
      claim.metadata.name,
      claim.metadata.uid,
      claim.metadata.resourceVersion,
    );
  } catch (e) {
    throw apiError(`DELETE ipclaim ${claim.metadata.name}`, e);
  }
}

const VERB: Readonly<Record<ReleaseOutcome["result"], string>> = {
  released: "released",
  wouldRelease: "would release",
  refused: "refusing to release",
  gone: "already gone:",
};

function released(items: ReleaseOutcome[]): CommandResult {
  return {
    kind: "ReleaseResult",
    body: { items },
    exit: items.some(i => i.result === "refused") ? 1 : 0,
    table: () =>
      items.length
        ? items.map(i => `${VERB[i.result]} ${i.address} (pool ${i.pool}): ${i.reason}`).join("\n")
        : "the report lists no leaked claims: nothing to release",
  };
}

/** Whether the StatefulSet named by the Pod name still wants its ordinal: the rule IP GC applies (docs/concepts/gc.md). */
export async function statefulSetWantsPod(
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
