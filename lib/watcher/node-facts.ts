import type { Node } from "../k8s/core-kinds.js";
import type { NodeFacts } from "../core/lifecycle/gc-decision.js";
import { TAINT_OUT_OF_SERVICE } from "../core/base/well-known-names.js";

/**
 * Whether a node may still hold sandboxes on the wire. NotReady and unreachable (Ready
 * `Unknown`) both may: the kubelet lost the control plane, not necessarily its NIC. `since` is
 * the Ready condition's last transition, stamped by the API server's side.
 */
export function nodeFacts(node: Node): NodeFacts {
  if (
    node.metadata.deletionTimestamp ||
    node.spec?.taints?.some(t => t.key === TAINT_OUT_OF_SERVICE)
  )
    return { state: "dead" };
  const ready = node.status?.conditions?.find(c => c.type === "Ready");
  if (ready?.status === "True") return { state: "ready" };
  const since = Date.parse(ready?.lastTransitionTime ?? "");
  return { state: "notReady", since: Number.isNaN(since) ? undefined : since };
}
