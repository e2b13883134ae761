import type { PodFacts } from "../core/lifecycle/gc-decision.js";
import type { Pod } from "./core-kinds.js";

/** The fields of a Pod that GC decisions read (lib/core/lifecycle/gc-decision.ts). */
export function gcPodFacts(pod: Pod): PodFacts {
  const statuses =
    (
      pod.status as
        | { containerStatuses?: { state?: { terminated?: { finishedAt?: string } } }[] }
        | undefined
    )?.containerStatuses ?? [];
  const finished = statuses
    .map(s => s.state?.terminated?.finishedAt ?? "")
    .sort()
    .pop();
  return {
    uid: pod.metadata.uid ?? "",
    phase: pod.status?.phase,
    reason: pod.status?.reason,
    restartPolicy: pod.spec.restartPolicy,
    deletionTimestamp: pod.metadata.deletionTimestamp,
    deletionGracePeriodSeconds: pod.metadata.deletionGracePeriodSeconds,
    terminationGracePeriodSeconds: pod.spec.terminationGracePeriodSeconds,
    finishedAt: finished || undefined,
    podIPs: (pod.status?.podIPs ?? []).map(p => p.ip),
  };
}
