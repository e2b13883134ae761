/**
 * Whether releasing an address by hand is safe: only when no Pod can still be using it. The
 * holder is the claim's Pod by UID. A Pod that is terminating may still have the address in its
 * network namespace, so it keeps it until its DEL (or IP GC) runs; a finished Pod (Succeeded or
 * Failed) does not. A StatefulSet claim (static) follows the Pod name: while the StatefulSet
 * still wants the Pod's ordinal, its next Pod takes the address over, so it is kept, as IP GC
 * keeps it (docs/concepts/gc.md); `--force` overrides that rule, and only that one. Pure.
 */
import { isAlive } from "../lib/core/lifecycle/pod-liveness.js";
import { statefulSetOrdinal } from "../lib/core/lifecycle/statefulset-identity.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import type { Claim } from "./selection-request.js";

export type ReleaseDecision = { readonly release: boolean; readonly why: string };

export interface ReleaseFacts {
  /** For a static claim: whether the StatefulSet named by the Pod name still wants its ordinal (exists, not deleting, ordinal in range). */
  readonly statefulSetWants?: boolean;
  /** `--force`: release although the StatefulSet still wants the ordinal. */
  readonly force?: boolean;
}

const FINISHED = ["Succeeded", "Failed"];

/** `pod` is the Pod currently named by the claim (`podNamespace/podName`), if any. */
export function decideRelease(
  claim: Claim,
  pod: Pod | undefined,
  facts: ReleaseFacts = {},
): ReleaseDecision {
  const s = claim.spec;
  const ref = `${s.podNamespace}/${s.podName}`;
  const phase = pod?.status?.phase ?? "Unknown";
  if (pod && pod.metadata.uid === s.podUID) {
    if (isAlive(pod)) {
      return {
        release: false,
        why: `Pod ${ref} (uid ${s.podUID}) on node ${pod.spec.nodeName ?? "(none)"} is alive (${phase}) and holds it; delete the Pod instead, its CNI DEL releases the address`,
      };
    }
    if (!FINISHED.includes(phase)) {
      return {
        release: false,
        why: `Pod ${ref} (uid ${s.podUID}) is terminating (${phase}) and may still use the address; its CNI DEL or IP GC releases it`,
      };
    }
  }
  if (s.static && facts.statefulSetWants && !facts.force) {
    const sts = statefulSetOrdinal(s.podName);
    return {
      release: false,
      why: `StatefulSet ${s.podNamespace}/${sts?.statefulSet ?? "?"} still wants ordinal ${sts?.ordinal ?? "?"}: its Pod ${s.podName} keeps this address across re-creation; scale the StatefulSet down, or pass --force to release it anyway`,
    };
  }
  const forced =
    s.static && facts.statefulSetWants ? " (--force: its StatefulSet still wants the ordinal)" : "";
  if (!pod) return { release: true, why: `Pod ${ref} (uid ${s.podUID}) no longer exists${forced}` };
  if (pod.metadata.uid === s.podUID)
    return { release: true, why: `Pod ${ref} (uid ${s.podUID}) has finished (${phase})${forced}` };
  if (s.static && isAlive(pod)) {
    return {
      release: false,
      why: `StatefulSet Pod ${ref} was re-created (uid ${pod.metadata.uid}) and keeps this address; scale the StatefulSet down to release it`,
    };
  }
  return {
    release: true,
    why: `Pod ${ref} now has uid ${pod.metadata.uid}; the holder (uid ${s.podUID}) is gone${forced}`,
  };
}
