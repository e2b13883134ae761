import { isAlive } from "./pod-liveness.js";

/** The GC switches of conf.yml (`gc:`) that decisions depend on. */
export interface GcPolicy {
  additionalGraceDelaySeconds: number;
  terminatingPodOnReadyNode: boolean;
  terminatingPodOnNotReadyNode: boolean;
  statelessRunningPodOnEmptyPodStatusIPs: boolean;
}

/** What GC knows about one address claim. */
export interface ClaimFacts {
  podUID: string;
  /** StatefulSet Pods: the claim belongs to the Pod name, not to one incarnation. */
  static: boolean;
}

/** What GC knows about the Pod of that name, if it exists. */
export interface PodFacts {
  uid: string;
  phase?: string;
  reason?: string;
  restartPolicy?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  terminationGracePeriodSeconds?: number;
  /** Latest `finishedAt` of its containers, for Succeeded/Failed Pods. */
  finishedAt?: string;
  podIPs: string[];
  /** Whether the Pod's node is Ready now. */
  nodeReady: boolean;
}

export type GcVerdict =
  | { action: "keep"; reason: string }
  | { action: "release"; reason: string }
  /** Keep for now and look again at `at` (epoch ms): a grace period is still running. */
  | { action: "recheck"; at: number; reason: string };

/**
 * Should the address behind a claim go back to its pool? Spiderpool's trace and scan-all rules
 * (spec §8.2-§8.3), restated for claims. The one invariant: never release an address the live
 * incarnation of its Pod holds. `statefulSetValid` tells whether the Pod name is an ordinal its
 * StatefulSet still wants (only asked for static claims).
 */
export function gcDecision(claim: ClaimFacts, pod: PodFacts | undefined, statefulSetValid: boolean, now: number, policy: GcPolicy): GcVerdict {
  const delayMs = policy.additionalGraceDelaySeconds * 1000;
  if (!pod) {
    if (claim.static && statefulSetValid) return { action: "keep", reason: "StatefulSet Pod is gone but its ordinal is still wanted" };
    return { action: "release", reason: "Pod no longer exists" };
  }
  if (pod.uid !== claim.podUID) {
    if (claim.static && statefulSetValid) return { action: "keep", reason: "StatefulSet Pod re-created; its next ADD takes the address over" };
    return { action: "release", reason: `Pod was re-created (UID ${pod.uid}, claim holds ${claim.podUID})` };
  }
  if (pod.deletionTimestamp) {
    if (claim.static && statefulSetValid) return { action: "keep", reason: "terminating StatefulSet Pod keeps its address for the next incarnation" };
    const deadline = Date.parse(pod.deletionTimestamp) + (pod.deletionGracePeriodSeconds ?? 0) * 1000 + delayMs;
    const allowed = pod.nodeReady ? policy.terminatingPodOnReadyNode : policy.terminatingPodOnNotReadyNode;
    if (!allowed) return { action: "keep", reason: `terminating Pod on a ${pod.nodeReady ? "Ready" : "NotReady"} node: reclaiming is switched off` };
    if (now >= deadline) return { action: "release", reason: "Pod stuck Terminating past its grace period" };
    return { action: "recheck", at: deadline, reason: "Pod is Terminating within its grace period" };
  }
  if ((pod.phase === "Succeeded" || pod.phase === "Failed") && !isAlive(pod)) {
    if (claim.static && statefulSetValid) return { action: "keep", reason: "completed StatefulSet Pod keeps its address" };
    const finished = Date.parse(pod.finishedAt ?? "") || now;
    const deadline = finished + (pod.terminationGracePeriodSeconds ?? 30) * 1000 + delayMs;
    if (now >= deadline) return { action: "release", reason: `Pod is ${pod.phase} and will not run again` };
    return { action: "recheck", at: deadline, reason: `Pod is ${pod.phase}; waiting for its grace period` };
  }
  if (pod.podIPs.length === 0 && pod.phase === "Running" && !claim.static && policy.statelessRunningPodOnEmptyPodStatusIPs) {
    return { action: "release", reason: "Running Pod reports no podIPs" };
  }
  return { action: "keep", reason: "Pod is alive" };
}
