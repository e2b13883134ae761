/**
 * Quarantine of an address another host answered for (docs/usage/conflict-detection.md): its
 * claim stops being the Pod's and holds the address until an expiry, so no agent picks it while
 * the host is likely still there; the watcher's GC then frees it, and the next ADD's probe finds
 * the host again if it stayed. A StatefulSet Pod's address is kept instead: it is the Pod's
 * identity, and another address would not be "the same Pod" to its peers. Pure.
 */
import { QUARANTINE_POD_UID } from "../../schemas/ip-claim.js";

export interface QuarantineFacts {
  readonly podUID: string;
  readonly quarantine?: { readonly until: string };
}

export function isQuarantined(spec: QuarantineFacts): boolean {
  return spec.podUID === QUARANTINE_POD_UID && !!spec.quarantine;
}

/** Epoch ms when a quarantined claim may be freed; NaN `until` counts as expired (a hand-edited claim). */
export function quarantineEnds(spec: QuarantineFacts): number {
  const t = Date.parse(spec.quarantine?.until ?? "");
  return Number.isNaN(t) ? 0 : t;
}

/** What a conflict on a claim does: StatefulSet (static) claims stay with the Pod. */
export function conflictOutcome(claim: { readonly static?: boolean }): "quarantine" | "keep" {
  return claim.static ? "keep" : "quarantine";
}

/** RFC 3339 without milliseconds, as the API server writes times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
