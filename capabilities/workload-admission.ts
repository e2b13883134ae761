import type { PeprValidateRequest } from "pepr";
import type { GenericKind } from "kubernetes-fluent-client";
import {
  isAutoPoolUnit,
  type AutoPoolWorkloadKind,
} from "../lib/core/auto-pool/auto-pool-workload.js";
import { workloadAnnotationProblems } from "../lib/core/admission/workload-annotation-check.js";
import { workloadFacts, type WorkloadObject } from "../lib/k8s/workload-objects.js";

/**
 * CREATE and UPDATE of the six workload kinds: a malformed IPAM annotation on the Pod template is
 * refused with the text the auto-pool controller would put in its Warning Event. Only what the
 * controller acts on is checked (not a ReplicaSet under a Deployment or a Job under a CronJob,
 * whose parent was checked; not a host-network template). An UPDATE is refused only for a problem
 * the stored object did not have, so a workload admitted while the webhook was down (its
 * configuration fails open) is never stuck: Kubernetes' own controllers keep updating it.
 * See docs/usage/subnet-auto-pool.md.
 */
export function validateWorkload(kind: AutoPoolWorkloadKind) {
  return (req: PeprValidateRequest<GenericKind>) => {
    const problems = problemsOf(kind, req.Raw);
    if (!problems.length) return req.Approve();
    const before =
      req.Request.operation === "UPDATE" && req.OldResource
        ? problemsOf(kind, req.OldResource)
        : [];
    const fresh = problems.filter(p => !before.includes(p));
    return fresh.length ? req.Deny(fresh.join("; "), 422) : req.Approve();
  };
}

function problemsOf(kind: AutoPoolWorkloadKind, object: GenericKind): string[] {
  const facts = workloadFacts(kind, object as unknown as WorkloadObject);
  return isAutoPoolUnit(facts) ? workloadAnnotationProblems(facts.templateAnnotations) : [];
}
