/**
 * What the agent's records say about the sandboxes that held a claim's address, so that the
 * address of a gone Pod goes back only once no sandbox on the node still holds it
 * (docs/concepts/gc.md, "Ready nodes: the agent confirms"; docs/adr/0008-sandbox-confirmation.md).
 * Pure: the netns of each record has been looked at by the caller.
 */

/** What looking at a recorded network namespace found. */
export type NetnsState =
  /** It still exists and is the namespace the ADD came for. */
  | "present"
  /** The path is gone, is no network namespace any more, or is another one (other inode). */
  | "absent"
  /** Could not tell (not visible to the agent when recorded, or not readable now). */
  | "unknown";

/** One recorded attachment and what its namespace looks like now. */
export interface ObservedSandbox {
  readonly containerID: string;
  readonly ifName: string;
  readonly podUID: string;
  readonly addresses: readonly string[];
  /** The runtime said it is gone (CNI DEL, or a CNI GC that did not list it). */
  readonly released: boolean;
  readonly netns: NetnsState;
  /** The netns path, for messages. */
  readonly netnsPath: string;
}

export type SandboxEvidence =
  | { readonly state: "gone"; readonly how: string }
  | { readonly state: "held"; readonly holder: string }
  | { readonly state: "unknown"; readonly why: string };

/** The claim as the decision reads it. */
export interface EvidenceClaim {
  readonly podUID: string;
  readonly address: string;
  /** `metadata.creationTimestamp` (epoch ms, API server clock, whole seconds). */
  readonly createdAt: number;
}

/**
 * The claim against the recorded sandboxes. A sandbox counts when it is the Pod's (all NICs of a
 * Pod share one namespace) or was given the address. Held when one of them may still be up; gone
 * when every one is known gone. With none: gone if the claim was made after the agent began
 * keeping records (`recordsSince`, API server clock) — every ADD is recorded before it claims,
 * so no sandbox of this node got the address through us — else unknown (made earlier, when
 * nothing was recorded). Unknown also when a namespace cannot be looked at. Only "gone" lets an
 * address go before the bound.
 */
export function sandboxEvidence(
  claim: EvidenceClaim,
  sandboxes: readonly ObservedSandbox[],
  recordsSince: number,
): SandboxEvidence {
  const relevant = sandboxes.filter(
    s => s.podUID === claim.podUID || s.addresses.includes(claim.address),
  );
  if (!relevant.length) {
    if (claim.createdAt >= recordsSince) {
      return {
        state: "gone",
        how: `its node's agent served no sandbox of Pod UID ${claim.podUID} or with ${claim.address} since it began keeping records`,
      };
    }
    return {
      state: "unknown",
      why: `the claim predates this node's sandbox records and no record names Pod UID ${claim.podUID} or ${claim.address}`,
    };
  }
  const live = relevant.find(s => !s.released && s.netns === "present");
  if (live) return { state: "held", holder: `${live.containerID.slice(0, 12)}/${live.ifName}` };
  const unsure = relevant.find(s => !s.released && s.netns === "unknown");
  if (unsure)
    return {
      state: "unknown",
      why: `the network namespace ${JSON.stringify(unsure.netnsPath)} of sandbox ${unsure.containerID.slice(0, 12)}/${unsure.ifName} cannot be looked at`,
    };
  const how = relevant.map(s =>
    s.released
      ? `${s.containerID.slice(0, 12)}/${s.ifName} released by the runtime`
      : `${s.containerID.slice(0, 12)}/${s.ifName}'s netns is gone`,
  );
  return {
    state: "gone",
    how: `its node's agent confirms no sandbox holds it (${how.join(", ")})`,
  };
}
