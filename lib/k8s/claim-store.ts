import type { KubeApi, Stored } from "./api-client.js";
import {
  claimName,
  QUARANTINE_POD_UID,
  type ClaimSpec,
  type IPClaim,
} from "../schemas/ip-claim.js";
import { K8sError } from "./k8s-error.js";
import { backoffDelay, type BackoffPolicy } from "../core/base/backoff.js";
import { isOwnClaim } from "../core/lifecycle/claim-ownership.js";
import {
  CLAIM_API_VERSION,
  CLAIM_GROUP,
  CLAIM_LABELS,
  CLAIM_VERSION,
} from "../core/base/well-known-names.js";

export const CLAIMS_PATH = `/apis/${CLAIM_GROUP}/${CLAIM_VERSION}/ipclaims`;

/**
 * Claims an address for a Pod: one CREATE that the API server refuses with 409 when the
 * address's claim already exists. Returns the created claim, or "taken".
 */
export async function createClaim(
  api: KubeApi,
  spec: ClaimSpec,
  value: bigint,
): Promise<Stored<IPClaim> | "taken"> {
  const body = {
    apiVersion: CLAIM_API_VERSION,
    kind: "IPClaim",
    metadata: {
      name: claimName(spec.ipVersion, value),
      labels: {
        ...labelIfFits(CLAIM_LABELS.pool, spec.pool),
        [CLAIM_LABELS.podUid]: spec.podUID,
        [CLAIM_LABELS.podNamespace]: spec.podNamespace,
        ...labelIfFits(CLAIM_LABELS.podName, spec.podName),
        [CLAIM_LABELS.node]: spec.node,
      },
    },
    spec,
  };
  try {
    return await api.create<Stored<IPClaim>>(CLAIMS_PATH, body);
  } catch (e) {
    if (e instanceof K8sError && e.code === "already_exists") return "taken";
    throw e;
  }
}

/** The claim of that name as the API server has it now, or `undefined` when there is none. */
export async function readClaim(api: KubeApi, name: string): Promise<Stored<IPClaim> | undefined> {
  try {
    return await api.get<Stored<IPClaim>>(`${CLAIMS_PATH}/${name}`);
  } catch (e) {
    if (e instanceof K8sError && e.code === "not_found") return undefined;
    throw e;
  }
}

/** Retries of a CREATE whose outcome is unknown: up to 0.1 s, 0.2 s, … 2 s, jittered. */
const UNKNOWN_OUTCOME_PAUSE: BackoffPolicy = { baseMs: 100, maxMs: 2000, jitter: 0.5 };

/** What a 409 is judged by: whose claim it is. */
export interface ClaimSpecHolder {
  spec: ClaimSpec;
}

export interface ClaimAttempt {
  /** The claim this Pod's NIC now holds. */
  claim: Stored<IPClaim>;
  /** True when the claim existed already and is this Pod's (an earlier CREATE of ours committed). */
  adopted: boolean;
}

/**
 * Claims `value` for the Pod and NIC of `spec`, settling what a lost reply leaves open:
 *  - 409 AlreadyExists: the claim is read; it is ours when it names this Pod (UID, namespace,
 *    name) and NIC — an earlier CREATE of ours committed and its reply was lost — and adopted;
 *    anyone else's is "taken". Gone again by the time we read it: the CREATE is repeated.
 *  - a timeout, a cut connection, a 5xx or 429: the CREATE may or may not have committed, and may
 *    still commit later. It is repeated for the same address (never another one), which is
 *    idempotent by name: a CREATE that did commit shows up as the 409 above.
 * Throws the last error when the outcome stays unknown after `attempts` tries: the caller must
 * not claim another address for this NIC before it knows (docs/adr/0002-address-claims.md).
 *
 * `watched`, when given, is asked first after a 409: the claim as the caller's watch shows it
 * (waiting a little for the watch to bring it), `undefined` if it has not. A lost race is the
 * common 409 under a storm, and the winner's claim reaches every agent's watch anyway, so the
 * GET is only spent when the watch lags behind.
 */
export async function claimAddress(
  api: KubeApi,
  spec: ClaimSpec,
  value: bigint,
  opts: {
    attempts?: number;
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
    watched?: (name: string) => Promise<ClaimSpecHolder | undefined>;
  } = {},
): Promise<ClaimAttempt | "taken"> {
  const attempts = opts.attempts ?? 4;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>(r => setTimeout(r, ms)));
  const name = claimName(spec.ipVersion, value);
  for (let attempt = 1; ; attempt++) {
    try {
      const created = await createClaim(api, spec, value);
      if (created !== "taken") return { claim: created, adopted: false };
      // Only a first CREATE's 409 is likely someone else's: after an unknown outcome it is
      // likely our own, which only the GET below can adopt.
      const seen = attempt === 1 ? await opts.watched?.(name) : undefined;
      if (seen && !isOwnClaim(seen.spec, spec)) return "taken";
      // Ours in the watch, or not in it yet: only the API server's copy is adopted.
      const existing = await readClaim(api, name);
      if (existing)
        return isOwnClaim(existing.spec, spec) ? { claim: existing, adopted: true } : "taken";
      // Released between our CREATE and our read: the address is free again, try it once more.
    } catch (e) {
      if (!(e instanceof K8sError && e.retryable) || attempt >= attempts) throw e;
    }
    if (attempt >= attempts) return "taken";
    await sleep(backoffDelay(UNKNOWN_OUTCOME_PAUSE, attempt, opts.random ?? Math.random));
  }
}

/**
 * Deletes a claim, but only the incarnation we read (uid precondition) and, given its
 * resourceVersion, only as we read it: a claim re-pointed meanwhile is someone else's decision.
 * Absent is success; says whether this call deleted it, found it gone, or found it changed.
 */
export async function deleteClaim(
  api: KubeApi,
  name: string,
  uid: string | undefined,
  resourceVersion?: string,
): Promise<"deleted" | "absent" | "changed"> {
  const preconditions = {
    ...(uid ? { uid } : {}),
    ...(resourceVersion ? { resourceVersion } : {}),
  };
  try {
    await api.request("DELETE", `${CLAIMS_PATH}/${name}`, {
      body: {
        apiVersion: "v1",
        kind: "DeleteOptions",
        ...(uid || resourceVersion ? { preconditions } : {}),
      },
    });
    return "deleted";
  } catch (e) {
    if (e instanceof K8sError && e.code === "not_found") return "absent";
    if (e instanceof K8sError && e.code === "conflict") return "changed";
    throw e;
  }
}

/**
 * Hands a StatefulSet Pod's claim to the Pod's new incarnation. The resourceVersion in the merge
 * patch makes it a compare-and-swap: if anyone changed the claim since we read it, nothing is
 * written and the API server answers 409. (A JSON-patch `test` would fail with 422 instead.)
 */
export async function repointClaim(
  api: KubeApi,
  claim: Stored<IPClaim>,
  to: { podUID: string; node: string; containerID: string },
): Promise<Stored<IPClaim>> {
  return api.patch<Stored<IPClaim>>(
    `${CLAIMS_PATH}/${claim.metadata.name}`,
    {
      metadata: {
        resourceVersion: claim.metadata.resourceVersion,
        labels: { [CLAIM_LABELS.podUid]: to.podUID, [CLAIM_LABELS.node]: to.node },
      },
      spec: { podUID: to.podUID, node: to.node, containerID: to.containerID },
    },
    "merge",
  );
}

/**
 * Takes an address from its Pod and quarantines it in one write (docs/usage/conflict-detection.md):
 * the claim stays, so the address is never free in between, but names no Pod any more. The
 * resourceVersion makes it a compare-and-swap: a claim changed since we judged it (released,
 * re-pointed) is not touched, the API server answers 409.
 */
export async function quarantineClaim(
  api: KubeApi,
  claim: Stored<IPClaim>,
  q: { until: string; since: string; mac: string },
): Promise<Stored<IPClaim>> {
  return api.patch<Stored<IPClaim>>(
    `${CLAIMS_PATH}/${claim.metadata.name}`,
    {
      metadata: {
        resourceVersion: claim.metadata.resourceVersion,
        labels: { [CLAIM_LABELS.podUid]: QUARANTINE_POD_UID },
      },
      spec: { podUID: QUARANTINE_POD_UID, quarantine: { ...q, podUID: claim.spec.podUID } },
    },
    "merge",
  );
}

/**
 * Label values are at most 63 characters, object names up to 253: a longer name is left out of
 * the labels (the spec always has it) and readers fall back to filtering on the spec.
 */
export function labelIfFits(key: string, value: string): Record<string, string> {
  return value.length <= 63 ? { [key]: value } : {};
}
