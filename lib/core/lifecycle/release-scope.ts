/**
 * Which address claims a DEL, batch DEL or CHECK that reached a node's agent may touch. The caller
 * is whoever can open the node's socket; a request names a Pod (namespace, name, UID) and may
 * only act on that Pod's claims, made on this node. Anything else is refused as a whole, so a
 * forged request releases nothing (docs/security.md, "Trust model of the agent socket").
 */

/** The Pod a request names; `uid` is empty when the runtime did not send one. */
export interface ScopeRequest {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** The Pod of that namespace and name as the API server has it now (any incarnation). */
export interface ScopePod {
  readonly uid: string;
  /** `spec.nodeName`; empty while the Pod is not bound. */
  readonly node: string;
  readonly alive: boolean;
}

/** The fields of a claim (an IPClaim's spec) the decision reads. */
export interface ScopeClaim {
  readonly spec: {
    readonly address: string;
    readonly podNamespace: string;
    readonly podName: string;
    readonly podUID: string;
    readonly node: string;
  };
}

export interface ScopeOptions {
  /** CNI DEL: a live incarnation keeps its addresses (the runtime re-creates the sandbox). */
  readonly keepLive: boolean;
}

export type ReleaseScope<C> =
  /** The request is not this node's to serve, or names claims of someone else; nothing may be touched. */
  | { readonly verdict: "refused"; readonly reason: string }
  /** The named incarnation is alive and keeps its addresses. */
  | { readonly verdict: "keep"; readonly reason: string }
  /** These claims (possibly none) of incarnation `uid` may be released; `uid` is empty when no incarnation is known. */
  | { readonly verdict: "release"; readonly uid: string; readonly claims: readonly C[] };

/**
 * Decides for one request. `pod` is the Pod of the requested namespace and name if it exists,
 * `claimsOf` the claims recorded for a Pod UID. The incarnation a request names is its UID, or
 * without one the Pod that exists now. Refused: that incarnation bound to another node (its
 * own agent serves it), or any claim of the UID recorded for another Pod name (a borrowed UID)
 * or made on another node (the agent or GC of that node owns it, even when its Pod is gone).
 */
export function releaseScope<C extends ScopeClaim>(
  req: ScopeRequest,
  thisNode: string,
  pod: ScopePod | undefined,
  claimsOf: (uid: string) => readonly C[],
  opts: ScopeOptions,
): ReleaseScope<C> {
  const ref = `${req.namespace}/${req.name}`;
  const uid = req.uid || pod?.uid || "";
  const named = pod && pod.uid === uid ? pod : undefined;
  if (named && named.node !== thisNode) {
    const where = named.node ? `runs on node ${named.node}` : "is not bound to any node";
    return refused(`pod ${ref} (uid ${uid}) ${where}, not on this node ${thisNode}`);
  }
  if (named?.alive && opts.keepLive)
    return { verdict: "keep", reason: `pod ${ref} (uid ${uid}) is alive` };
  if (!uid) return { verdict: "release", uid, claims: [] };
  const claims = claimsOf(uid);
  for (const { spec: c } of claims) {
    if (c.podNamespace !== req.namespace || c.podName !== req.name || c.podUID !== uid) {
      return refused(
        `claim ${c.address} belongs to pod ${c.podNamespace}/${c.podName} (uid ${c.podUID}), not ${ref} (uid ${uid})`,
      );
    }
    if (c.node !== thisNode) {
      return refused(
        `claim ${c.address} of pod ${ref} (uid ${uid}) was made on node ${c.node || '""'}, not on this node ${thisNode}`,
      );
    }
  }
  return { verdict: "release", uid, claims };
}

function refused(reason: string): { verdict: "refused"; reason: string } {
  return { verdict: "refused", reason };
}
