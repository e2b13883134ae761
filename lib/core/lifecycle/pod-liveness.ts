/**
 * Whether a Pod still needs its addresses (Spiderpool's `IsPodAlive`, docs/reference/allocation.md#building-blocks). The agent refuses to
 * allocate to a dead Pod and, on CNI DEL, keeps the addresses of a live one (sandbox re-creation).
 */

/** The Pod fields liveness depends on; `phase`, `reason` and `restartPolicy` as in the Pod API. */
export interface PodLivenessFacts {
  /** `metadata.deletionTimestamp`; any value means the Pod is being deleted. */
  readonly deletionTimestamp?: string | null;
  /** `status.phase`: `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`. */
  readonly phase?: string;
  /** `status.reason`, e.g. `Evicted`. */
  readonly reason?: string;
  /** `spec.restartPolicy`: `Always` (the API default), `OnFailure`, `Never`. */
  readonly restartPolicy?: string;
}

/** The same facts read from a Kubernetes Pod object. */
export interface PodLivenessObject {
  readonly metadata: { readonly deletionTimestamp?: string | null };
  readonly spec?: { readonly restartPolicy?: string };
  readonly status?: { readonly phase?: string; readonly reason?: string };
}

/**
 * Accepts the flat facts or the Pod object. False for a missing Pod, a Pod being deleted, a `Succeeded` Pod that will not restart (policy
 * other than `Always`), a `Failed` Pod with policy `Never`, and an evicted `Failed` Pod; true
 * otherwise.
 *
 * An unset `restartPolicy` is compared as the empty string, as Go compares it: it only happens on
 * objects that skipped API defaulting, and then a `Succeeded` Pod counts as dead.
 */
export function isAlive(input: PodLivenessFacts | PodLivenessObject | undefined): boolean {
  if (input === undefined) return false;
  const pod: PodLivenessFacts =
    "metadata" in input
      ? {
          deletionTimestamp: input.metadata.deletionTimestamp,
          phase: input.status?.phase,
          reason: input.status?.reason,
          restartPolicy: input.spec?.restartPolicy,
        }
      : input;
  if (pod.deletionTimestamp != null) return false;
  const restartPolicy = pod.restartPolicy ?? "";
  if (pod.phase === "Succeeded" && restartPolicy !== "Always") return false;
  if (pod.phase === "Failed" && restartPolicy === "Never") return false;
  if (pod.phase === "Failed" && pod.reason === "Evicted") return false;
  return true;
}
