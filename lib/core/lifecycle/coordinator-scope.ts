/**
 * Whether a coordinator plan or report may touch the addresses it names. As for a DEL
 * (release-scope.ts), the caller is whoever opens the node's socket: it may only speak for a Pod
 * bound to this node, about addresses whose claims are that Pod incarnation's, on the NIC it
 * names, made on this node (docs/security.md, "Trust model of the agent socket"). Pure.
 */

export interface ProbeRequest {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly ifName: string;
}

/** The claim fields the decision reads. */
export interface ProbeClaim {
  readonly spec: {
    readonly address: string;
    readonly podNamespace: string;
    readonly podName: string;
    readonly podUID: string;
    readonly interface: string;
    readonly node: string;
  };
}

export type ProbeScope<C> =
  | { readonly ok: true; readonly claims: readonly C[] }
  | { readonly ok: false; readonly reason: string };

/**
 * `pod` is the Pod of that namespace and name now (any incarnation), `claimOf` the claim of an
 * address by its object name. Every address must be claimed for exactly this Pod, UID and NIC on
 * this node; one that is not refuses the whole request.
 */
export function probeScope<C extends ProbeClaim>(
  req: ProbeRequest,
  thisNode: string,
  pod: { uid: string; node: string } | undefined,
  addresses: readonly { ip: string; claim: string }[],
  claimOf: (name: string) => C | undefined,
): ProbeScope<C> {
  const ref = `${req.namespace}/${req.name}`;
  if (!pod) return { ok: false, reason: `pod ${ref} does not exist` };
  if (pod.uid !== req.uid)
    return { ok: false, reason: `pod ${ref} has UID ${pod.uid}, the request names ${req.uid}` };
  if (pod.node !== thisNode)
    return {
      ok: false,
      reason: `pod ${ref} (uid ${req.uid}) runs on node ${pod.node || '""'}, not on this node ${thisNode}`,
    };
  const claims: C[] = [];
  for (const a of addresses) {
    const c = claimOf(a.claim);
    if (!c)
      return {
        ok: false,
        reason: `address ${a.ip} has no claim: it was not allocated by this IPAM`,
      };
    const s = c.spec;
    if (
      s.podNamespace !== req.namespace ||
      s.podName !== req.name ||
      s.podUID !== req.uid ||
      s.interface !== req.ifName
    ) {
      return {
        ok: false,
        reason: `address ${a.ip} is claimed by pod ${s.podNamespace}/${s.podName} (uid ${s.podUID}) NIC ${s.interface}, not ${ref} (uid ${req.uid}) NIC ${req.ifName}`,
      };
    }
    if (s.node !== thisNode)
      return {
        ok: false,
        reason: `address ${a.ip} of pod ${ref} was claimed on node ${s.node || '""'}, not on this node ${thisNode}`,
      };
    claims.push(c);
  }
  return { ok: true, claims };
}
