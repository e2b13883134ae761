import { isAlive } from "./pod-liveness.js";

/** The GC switches of conf.yml (`gc:`) that decisions depend on. */
export interface GcPolicy {
  additionalGraceDelaySeconds: number;
  terminatingPodOnReadyNode: boolean;
  terminatingPodOnNotReadyNode: boolean;
  statelessRunningPodOnEmptyPodStatusIPs: boolean;
  /**
   * Upper bound on how long addresses wait for a NotReady node to be known dead (0 = no bound:
   * they wait). Counted from the node's last Ready transition (docs/concepts/gc.md).
   */
  notReadyNodeReleaseAfterSeconds: number;
  /**
   * Upper bound on how long addresses wait on a Ready node for its agent to confirm that no
   * sandbox still holds them (0 = do not wait). Counted from the grace deadline, or from when GC
   * first saw the Pod gone (docs/concepts/gc.md, "Ready nodes: the agent confirms").
   */
  readyNodeReleaseAfterSeconds: number;
}

/**
 * What is known about the sandboxes that held a claim's addresses, on the node of its
 * incarnation. Only that node's agent can know it: a CNI DEL, the runtime's CNI GC not listing
 * the attachment, or its own record of the sandboxes it served (docs/adr/0008-sandbox-confirmation.md).
 */
export type SandboxFacts =
  /** The node's agent confirms that no sandbox there holds the addresses; `how` says by what. */
  | { state: "gone"; how: string }
  /**
   * Not confirmed: `since` is when GC first judged the addresses free but for the sandbox (epoch
   * ms, API server clock); `holder` names the sandbox when the agent's record shows one alive.
   */
  | { state: "unconfirmed"; since: number; holder?: string };

/**
 * The node where the sandbox holding an address may still live: the claim's node for a Pod that
 * is gone or re-created, the Pod's node otherwise. `dead` means known dead: the Node object is
 * deleted or tainted `node.kubernetes.io/out-of-service`. Anything else not Ready (NotReady,
 * unreachable, unknown) may still have the sandbox answering on the wire.
 */
export type NodeFacts =
  | { state: "ready" }
  | { state: "dead" }
  /** `since`: when the node stopped being Ready (epoch ms, API server clock), if known. */
  | { state: "notReady"; since?: number };

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
}

export type GcVerdict =
  | { action: "keep"; reason: string }
  /** `unconfirmed`: released by a bound, without the sandbox's end being known; said out loud by the caller. */
  | { action: "release"; reason: string; unconfirmed?: true }
  /** Keep for now and look again at `at` (epoch ms): a grace period is still running. */
  | { action: "recheck"; at: number; reason: string };

/**
 * Should the address behind a claim go back to its pool? Spiderpool's trace and scan-all rules
 * (docs/concepts/gc.md), restated for claims, with one rule of our own: an address whose sandbox
 * may still live is not released until no sandbox can hold it — on a Ready node until its agent
 * confirms that, on a NotReady node until it is known dead (or the operator's bound passes) —
 * since that sandbox keeps answering ARP for it (docs/concepts/fault-model.md,
 * docs/adr/0008-sandbox-confirmation.md). The one invariant: never release an address the live
 * incarnation of its Pod holds. `statefulSetValid` tells whether the Pod name is an ordinal its
 * StatefulSet still wants (only asked for static claims). `now` is the API server's clock.
 * `sandbox`: what the node's agent confirmed; by default nothing, since the moment of judging.
 */
export function gcDecision(
  claim: ClaimFacts,
  pod: PodFacts | undefined,
  statefulSetValid: boolean,
  node: NodeFacts,
  now: number,
  policy: GcPolicy,
  sandbox: SandboxFacts = { state: "unconfirmed", since: now },
): GcVerdict {
  const delayMs = policy.additionalGraceDelaySeconds * 1000;
  if (!pod) {
    if (claim.static && statefulSetValid)
      return { action: "keep", reason: "StatefulSet Pod is gone but its ordinal is still wanted" };
    return afterSandbox(node, sandbox, 0, now, policy, "Pod no longer exists");
  }
  if (pod.uid !== claim.podUID) {
    if (claim.static && statefulSetValid)
      return {
        action: "keep",
        reason: "StatefulSet Pod re-created; its next ADD takes the address over",
      };
    return afterSandbox(
      node,
      sandbox,
      0,
      now,
      policy,
      `Pod was re-created (UID ${pod.uid}, claim holds ${claim.podUID})`,
    );
  }
  if (pod.deletionTimestamp) {
    if (claim.static && statefulSetValid)
      return {
        action: "keep",
        reason: "terminating StatefulSet Pod keeps its address for the next incarnation",
      };
    const deadline =
      Date.parse(pod.deletionTimestamp) + (pod.deletionGracePeriodSeconds ?? 0) * 1000 + delayMs;
    const ready = node.state === "ready";
    const allowed = ready ? policy.terminatingPodOnReadyNode : policy.terminatingPodOnNotReadyNode;
    if (!allowed)
      return {
        action: "keep",
        reason: `terminating Pod on a ${ready ? "Ready" : "NotReady"} node: reclaiming is switched off`,
      };
    if (now < deadline)
      return {
        action: "recheck",
        at: deadline,
        reason: "Pod is Terminating within its grace period",
      };
    return afterSandbox(
      node,
      sandbox,
      deadline,
      now,
      policy,
      "Pod stuck Terminating past its grace period",
    );
  }
  if ((pod.phase === "Succeeded" || pod.phase === "Failed") && !isAlive(pod)) {
    if (claim.static && statefulSetValid)
      return { action: "keep", reason: "completed StatefulSet Pod keeps its address" };
    const finished = Date.parse(pod.finishedAt ?? "") || now;
    const deadline = finished + (pod.terminationGracePeriodSeconds ?? 30) * 1000 + delayMs;
    if (now >= deadline)
      return { action: "release", reason: `Pod is ${pod.phase} and will not run again` };
    return {
      action: "recheck",
      at: deadline,
      reason: `Pod is ${pod.phase}; waiting for its grace period`,
    };
  }
  if (
    pod.podIPs.length === 0 &&
    pod.phase === "Running" &&
    !claim.static &&
    policy.statelessRunningPodOnEmptyPodStatusIPs
  ) {
    return { action: "release", reason: "Running Pod reports no podIPs" };
  }
  return { action: "keep", reason: "Pod is alive" };
}

/**
 * Release for `reason` once no sandbox can still hold the addresses. Confirmed by the node's
 * agent: release, whatever the node's state. Else a dead node held nothing that still runs; a
 * Ready node's agent is given `gc.readyNodeReleaseAfterSeconds` (from `earliest` or from when
 * the wait began, whichever is later) to confirm, after which the addresses go anyway, said
 * so (`unconfirmed`); a NotReady node waits until it is known dead, or for the operator's bound
 * (counted from when the node stopped being Ready, never before `earliest`).
 */
function afterSandbox(
  node: NodeFacts,
  sandbox: SandboxFacts,
  earliest: number,
  now: number,
  policy: GcPolicy,
  reason: string,
): GcVerdict {
  if (sandbox.state === "gone") return { action: "release", reason: `${reason}; ${sandbox.how}` };
  if (node.state === "dead") return { action: "release", reason };
  if (node.state === "ready") {
    if (policy.readyNodeReleaseAfterSeconds <= 0) return { action: "release", reason };
    const held = sandbox.holder
      ? `sandbox ${sandbox.holder} still holds them`
      : "no confirmation yet that no sandbox holds them";
    const bound = Math.max(earliest, sandbox.since) + policy.readyNodeReleaseAfterSeconds * 1000;
    if (now >= bound) {
      return {
        action: "release",
        unconfirmed: true,
        reason: `${reason}; its node's agent did not confirm the sandbox gone within gc.readyNodeReleaseAfterSeconds (${held})`,
      };
    }
    return {
      action: "recheck",
      at: bound,
      reason: `${reason}, but ${held} on its Ready node: waiting for its agent, at most until gc.readyNodeReleaseAfterSeconds`,
    };
  }
  const wait = `${reason}, but its node is NotReady and may still hold the sandbox`;
  if (policy.notReadyNodeReleaseAfterSeconds <= 0)
    return {
      action: "keep",
      reason: `${wait}: waiting until the node is deleted or tainted out-of-service`,
    };
  const bound = Math.max(
    earliest,
    (node.since ?? now) + policy.notReadyNodeReleaseAfterSeconds * 1000,
  );
  if (now >= bound)
    return {
      action: "release",
      unconfirmed: true,
      reason: `${reason}; its node has been NotReady longer than gc.notReadyNodeReleaseAfterSeconds`,
    };
  return {
    action: "recheck",
    at: bound,
    reason: `${wait}: bounded by gc.notReadyNodeReleaseAfterSeconds`,
  };
}
