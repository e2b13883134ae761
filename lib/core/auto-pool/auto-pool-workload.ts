/**
 * Which built-in workloads get auto pools from the controller, and how many Pods each one counts
 * for (docs/reference/auto-pools.md#workloads-and-pod-counts). The caller maps a Kubernetes object to {@link WorkloadFacts}; nothing here reads
 * the API.
 */
import type { TopController } from "../selection/top-controller.js";

/** The workload kinds whose auto pools the watcher creates (third-party kinds: the agent). */
export const AUTO_POOL_WORKLOAD_KINDS = [
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
] as const;
export type AutoPoolWorkloadKind = (typeof AUTO_POOL_WORKLOAD_KINDS)[number];

const GROUP_OF: Readonly<Record<AutoPoolWorkloadKind, "apps" | "batch">> = {
  Deployment: "apps",
  ReplicaSet: "apps",
  StatefulSet: "apps",
  DaemonSet: "apps",
  Job: "batch",
  CronJob: "batch",
};

/** What sizing and filtering read from a workload object. */
export interface WorkloadFacts {
  readonly kind: AutoPoolWorkloadKind;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** `spec.template.metadata.annotations` (CronJob: `spec.jobTemplate.spec.template…`). */
  readonly templateAnnotations: Readonly<Record<string, string>>;
  /** `hostNetwork` of the Pod template: such Pods take no address. */
  readonly hostNetwork: boolean;
  /** The workload's own controller reference, if any (a Deployment above a ReplicaSet, …). */
  readonly controller?: { readonly apiVersion: string; readonly kind: string };
  /** `spec.replicas` of a Deployment, ReplicaSet or StatefulSet; unset counts as 0. */
  readonly replicas?: number | null;
  /** `status.desiredNumberScheduled` of a DaemonSet. */
  readonly desiredNumberScheduled?: number | null;
  /** `parallelism` / `completions` of a Job (CronJob: of its job template). */
  readonly parallelism?: number | null;
  readonly completions?: number | null;
}

/**
 * Whether the controller sizes pools for this object: not for host-network templates, not for a
 * ReplicaSet a Deployment controls, not for a Job a CronJob controls (the parent is the unit).
 */
export function isAutoPoolUnit(w: WorkloadFacts): boolean {
  if (w.hostNetwork) return false;
  if (
    w.kind === "ReplicaSet" &&
    w.controller?.apiVersion === "apps/v1" &&
    w.controller.kind === "Deployment"
  )
    return false;
  if (
    w.kind === "Job" &&
    w.controller?.apiVersion === "batch/v1" &&
    w.controller.kind === "CronJob"
  )
    return false;
  return true;
}

/**
 * The Pod count of docs/reference/auto-pools.md#workloads-and-pod-counts: replicas (unset 0) for Deployment, ReplicaSet and StatefulSet;
 * `desiredNumberScheduled` for a DaemonSet; for Jobs and CronJobs completions when set, else
 * parallelism, else 1, where a 0 counts as 1.
 */
export function workloadReplicas(w: WorkloadFacts): number {
  switch (w.kind) {
    case "DaemonSet":
      return w.desiredNumberScheduled ?? 0;
    case "Job":
    case "CronJob": {
      const count = w.completions ?? w.parallelism;
      return count == null || count === 0 ? 1 : count;
    }
    default:
      return w.replicas ?? 0;
  }
}

/** The workload as the top controller its Pods resolve to. */
export function workloadIdentity(w: WorkloadFacts): TopController {
  return {
    group: GROUP_OF[w.kind],
    version: "v1",
    kind: w.kind,
    namespace: w.namespace,
    name: w.name,
    uid: w.uid,
  };
}

export function isAutoPoolWorkloadKind(kind: string): kind is AutoPoolWorkloadKind {
  return (AUTO_POOL_WORKLOAD_KINDS as readonly string[]).includes(kind);
}
