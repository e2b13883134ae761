import type { KubeObject } from "./api-client.js";
import type { AutoPoolWorkloadKind, WorkloadFacts } from "../core/auto-pool/auto-pool-workload.js";

/** The collection path of every built-in workload kind that gets auto pools. */
export const WORKLOAD_COLLECTIONS: Readonly<
  Record<AutoPoolWorkloadKind, { apiVersion: string; path: string }>
> = {
  Deployment: { apiVersion: "apps/v1", path: "/apis/apps/v1/deployments" },
  ReplicaSet: { apiVersion: "apps/v1", path: "/apis/apps/v1/replicasets" },
  StatefulSet: { apiVersion: "apps/v1", path: "/apis/apps/v1/statefulsets" },
  DaemonSet: { apiVersion: "apps/v1", path: "/apis/apps/v1/daemonsets" },
  Job: { apiVersion: "batch/v1", path: "/apis/batch/v1/jobs" },
  CronJob: { apiVersion: "batch/v1", path: "/apis/batch/v1/cronjobs" },
};

interface PodTemplate {
  metadata?: { annotations?: Record<string, string> };
  spec?: { hostNetwork?: boolean };
}

interface JobSpec {
  parallelism?: number | null;
  completions?: number | null;
  template?: PodTemplate;
}

/** The fields of a workload object the auto-pool controller reads. */
export interface WorkloadObject extends KubeObject {
  spec?: {
    replicas?: number | null;
    template?: PodTemplate;
    parallelism?: number | null;
    completions?: number | null;
    jobTemplate?: { spec?: JobSpec };
  };
  status?: { desiredNumberScheduled?: number | null };
}

/** Maps a stored workload to what the pure rules read. */
export function workloadFacts(kind: AutoPoolWorkloadKind, w: WorkloadObject): WorkloadFacts {
  const job: JobSpec | undefined =
    kind === "CronJob" ? w.spec?.jobTemplate?.spec : kind === "Job" ? w.spec : undefined;
  const template = kind === "CronJob" ? job?.template : w.spec?.template;
  const controller = w.metadata.ownerReferences?.find(r => r.controller === true);
  return {
    kind,
    namespace: w.metadata.namespace ?? "",
    name: w.metadata.name,
    uid: w.metadata.uid ?? "",
    templateAnnotations: template?.metadata?.annotations ?? {},
    hostNetwork: template?.spec?.hostNetwork === true,
    ...(controller
      ? { controller: { apiVersion: controller.apiVersion, kind: controller.kind } }
      : {}),
    replicas: w.spec?.replicas,
    desiredNumberScheduled: w.status?.desiredNumberScheduled,
    parallelism: job?.parallelism,
    completions: job?.completions,
  };
}
