/**
 * Whether releasing an address by hand is safe: only when no Pod can still be using it. The
 * holder is the claim's Pod by UID. A Pod that is terminating may still have the address in its
 * network namespace, so it keeps it until its DEL (or IP GC) runs; a finished Pod (Succeeded or
 * Failed) does not. A StatefulSet claim (static) also belongs to a live Pod of the same name,
 * which takes it over at its next ADD. Pure.
 */
import { isAlive } from "../lib/core/pod-liveness.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import type { Claim } from "./selection-request.js";

export type ReleaseDecision = { readonly release: boolean; readonly why: string };

const FINISHED = ["Succeeded", "Failed"];

/** `pod` is the Pod currently named by the claim (`podNamespace/podName`), if any. */
export function decideRelease(claim: Claim, pod: Pod | undefined): ReleaseDecision {
  const s = claim.spec;
  const ref = `${s.podNamespace}/${s.podName}`;
  if (!pod) return { release: true, why: `Pod ${ref} (uid ${s.podUID}) no longer exists` };
  const phase = pod.status?.phase ?? "Unknown";
  if (pod.metadata.uid === s.podUID) {
    if (isAlive(pod)) {
      return { release: false, why: `Pod ${ref} (uid ${s.podUID}) on node ${pod.spec.nodeName ?? "(none)"} is alive (${phase}) and holds it; delete the Pod instead, its CNI DEL releases the address` };
    }
    if (!FINISHED.includes(phase)) {
      return { release: false, why: `Pod ${ref} (uid ${s.podUID}) is terminating (${phase}) and may still use the address; its CNI DEL or IP GC releases it` };
    }
    return { release: true, why: `Pod ${ref} (uid ${s.podUID}) has finished (${phase})` };
  }
  if (s.static && isAlive(pod)) {
    return { release: false, why: `StatefulSet Pod ${ref} was re-created (uid ${pod.metadata.uid}) and keeps this address; scale the StatefulSet down to release it` };
  }
  return { release: true, why: `Pod ${ref} now has uid ${pod.metadata.uid}; the holder (uid ${s.podUID}) is gone` };
}
