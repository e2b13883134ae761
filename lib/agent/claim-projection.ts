import { CLAIM_API_VERSION } from "../core/base/well-known-names.js";
import type { Stored } from "../k8s/api-client.js";
import type { IPClaim } from "../schemas/ip-claim.js";

type Claim = Stored<IPClaim>;

/**
 * What the agent keeps of a claim in its cache: every claim of the cluster sits there, so a field
 * no code of the agent reads is paid once per claim on every node
 * (docs/concepts/scale.md#agent-memory). Kept: the name, uid and resourceVersion (deletes and
 * patches are preconditioned on them), the creation and deletion timestamps (sandbox evidence,
 * lib/agent/sandbox-sweep.ts) and the whole spec. Dropped: the labels, which repeat the spec for
 * the API server's selectors and which the agent never reads (its patches set the labels they
 * change, they never send a cached claim back), and the rest of the metadata. apiVersion and kind
 * are one shared string each instead of a copy per claim.
 */
export function claimProjection(c: Claim): Claim {
  const m = c.metadata;
  return {
    apiVersion: CLAIM_API_VERSION,
    kind: "IPClaim",
    metadata: {
      name: m.name,
      ...(m.uid !== undefined && { uid: m.uid }),
      ...(m.resourceVersion !== undefined && { resourceVersion: m.resourceVersion }),
      ...(m.creationTimestamp !== undefined && { creationTimestamp: m.creationTimestamp }),
      ...(m.deletionTimestamp !== undefined && { deletionTimestamp: m.deletionTimestamp }),
    },
    spec: c.spec,
  };
}
