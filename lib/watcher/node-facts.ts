import type { Node } from "../k8s/core-kinds.js";
import type { NodeFacts } from "../core/lifecycle/gc-decision.js";

/** Kubernetes' own word that a node is dead and its workloads may be recovered elsewhere. */
const OUT_OF_SERVICE = "node.kubernetes.io/out-of-service";

/**
 * Whether a node may still hold sandboxes on the wire. NotReady and unreachable (Ready
 * `Unknown`) both may: the kubelet lost the control plane, not necessarily its NIC. `since` is
 * the Ready condition's last transition, stamped by the API server's side.
 */
export function nodeFacts(node: Node): NodeFacts {
  if (node.metadata.deletionTimestamp || node.spec?.taints?.some(t => t.key === OUT_OF_SERVICE))
    return { state: "dead" };
  const ready = node.status?.conditions?.find(c => c.type === "Ready");
  if (ready?.status === "True") return { state: "ready" };
  const since = Date.parse(ready?.lastTransitionTime ?? "");
  return { state: "notReady", since: Number.isNaN(since) ? undefined : since };
}
