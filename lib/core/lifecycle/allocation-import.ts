/**
 * Migration from a live Spiderpool: the addresses its Pods hold are recorded only in each pool's
 * `status.allocatedIPs`. Before anything is allocated from such a pool, every record no claim
 * covers becomes a claim for its Pod, and the pool is marked imported; until then agents skip the
 * pool and the pool-status projection leaves its status alone, since overwriting it from our
 * (empty) claims would free every address Spiderpool handed out
 * (docs/usage/migrate-from-spiderpool.md). Pure: the watcher gathers the facts, this decides.
 */
import { type ClaimSpec } from "../../schemas/ip-claim.js";
import type { IpFamily } from "../net/address.js";
import {
  parseAllocationRecords,
  type AllocationRecord,
  type RecordError,
} from "./allocation-records.js";
import { IMPORTED_ANNOTATION } from "../base/well-known-names.js";

/** NIC recorded when neither the Pod's SpiderEndpoint names one: Spiderpool's single-NIC default. */
export const DEFAULT_IMPORT_INTERFACE = "eth0";

export interface PoolFacts {
  name: string;
  family: IpFamily;
  annotations: Record<string, string>;
  allocatedIPs: string | undefined;
}

export type ImportState =
  | { state: "imported" }
  | { state: "nothing_to_import" }
  | { state: "awaiting_import"; reason: string };

/**
 * Whether a pool may be allocated from and its status projected. `isClaimed(value)` says
 * whether a claim for the address exists (anyone's: then the address is held either way).
 */
export function importState(pool: PoolFacts, isClaimed: (value: bigint) => boolean): ImportState {
  if (pool.annotations[IMPORTED_ANNOTATION] !== undefined) return { state: "imported" };
  const parsed = parseAllocationRecords(pool.allocatedIPs, pool.family);
  if (!parsed.ok)
    return {
      state: "awaiting_import",
      reason: `status.allocatedIPs cannot be imported: ${describeRecordErrors(parsed.error)}`,
    };
  const open = parsed.value.filter(r => !isClaimed(r.value)).length;
  if (!open) return { state: "nothing_to_import" };
  return {
    state: "awaiting_import",
    reason: `${open} of Spiderpool's allocation records in status.allocatedIPs are not imported as claims yet`,
  };
}

/** A live Pod as the watcher read it. */
export interface ImportPod {
  namespace: string;
  name: string;
  uid: string;
  node: string | undefined;
  /** Its controller is an apps/v1 StatefulSet: its claim follows the Pod name. */
  statefulSet: boolean;
}

/** A SpiderEndpoint as the watcher read it (Spiderpool writes one per Pod). */
export interface ImportEndpoint {
  uid: string;
  node: string;
  ownerControllerType: string;
  ips: readonly { interface: string; ipv4?: string; ipv6?: string }[];
}

/** The holder an existing claim names. */
export interface ExistingClaim {
  podNamespace: string;
  podName: string;
  podUID: string;
}

export interface ImportFacts {
  /** The claim of an address, if any. */
  claimOf(address: string): ExistingClaim | undefined;
  /** The Pod of that name, if it exists. */
  podByName(namespace: string, name: string): ImportPod | undefined;
  /** The Pod of that UID in the namespace, if it exists (a KubeVirt record names the VMI, not the Pod). */
  podByUid(namespace: string, uid: string): ImportPod | undefined;
  /** The SpiderEndpoint of that name, if it exists. */
  endpoint(namespace: string, name: string): ImportEndpoint | undefined;
}

/** Why the claim is made for whom: the Pod lives, lives under another name, or is gone. */
export type Holder = "live" | "live_renamed" | "gone";

export interface PlannedClaim {
  spec: ClaimSpec;
  value: bigint;
  holder: Holder;
}

export interface ImportConflict {
  address: string;
  recorded: string;
  claimedBy: string;
}

export interface ImportPlan {
  records: number;
  /** Records no claim covers yet: one claim each. */
  create: PlannedClaim[];
  /** Records a claim of the same Pod covers already (an import that crashed midway, or an agent's). */
  covered: number;
  /** Records whose address another Pod claims: both systems handed it out. Reported, the claim stays. */
  conflicts: ImportConflict[];
}

/**
 * The claims that turn a pool's records into our ledger. A record is never dropped: a Pod that
 * no longer exists, or exists again under another UID, still gets its claim, and IP GC judges it
 * by the usual rules (docs/concepts/gc.md); freeing it here would skip GC's waits for the node.
 */
export function planImport(
  pool: PoolFacts,
  facts: ImportFacts,
): { ok: true; plan: ImportPlan } | { ok: false; errors: RecordError[] } {
  const parsed = parseAllocationRecords(pool.allocatedIPs, pool.family);
  if (!parsed.ok) return { ok: false, errors: parsed.error };
  const plan: ImportPlan = { records: parsed.value.length, create: [], covered: 0, conflicts: [] };
  for (const rec of parsed.value) {
    const planned = claimFor(pool, rec, facts);
    const existing = facts.claimOf(rec.address);
    if (!existing) plan.create.push(planned);
    else if (sameHolder(existing, planned.spec)) plan.covered++;
    else
      plan.conflicts.push({
        address: rec.address,
        recorded: `${rec.podNamespace}/${rec.podName} (${rec.podUID})`,
        claimedBy: `${existing.podNamespace}/${existing.podName} (${existing.podUID})`,
      });
  }
  return { ok: true, plan };
}

/** Whether a claim met on CREATE (409) is the one the import wanted: same Pod incarnation. */
export function sameHolder(existing: ExistingClaim, wanted: ExistingClaim): boolean {
  return (
    existing.podUID === wanted.podUID &&
    existing.podNamespace === wanted.podNamespace &&
    existing.podName === wanted.podName
  );
}

function claimFor(pool: PoolFacts, rec: AllocationRecord, facts: ImportFacts): PlannedClaim {
  const byName = facts.podByName(rec.podNamespace, rec.podName);
  const pod = byName?.uid === rec.podUID ? byName : facts.podByUid(rec.podNamespace, rec.podUID);
  const holder: Holder = !pod ? "gone" : pod.name === rec.podName ? "live" : "live_renamed";
  // Spiderpool names the endpoint after the record's Pod (KubeVirt: the VMI); trusted only for this UID.
  const ep = facts.endpoint(rec.podNamespace, rec.podName);
  const mine = ep && ep.uid === rec.podUID ? ep : undefined;
  const detail = mine?.ips.find(d => bare(d.ipv4) === rec.address || bare(d.ipv6) === rec.address);
  const statefulSet = pod?.statefulSet ?? mine?.ownerControllerType === "StatefulSet";
  return {
    value: rec.value,
    holder,
    spec: {
      address: rec.address,
      ipVersion: pool.family,
      pool: pool.name,
      podNamespace: rec.podNamespace,
      podName: pod?.name ?? rec.podName,
      podUID: rec.podUID,
      interface: detail?.interface || DEFAULT_IMPORT_INTERFACE,
      node: pod?.node ?? mine?.node ?? "",
      ...(statefulSet ? { static: true } : {}),
    },
  };
}

function bare(cidr: string | undefined): string | undefined {
  return cidr?.split("/")[0];
}

/** One line for an Event or an agent error: the first few errors, each naming field and value. */
export function describeRecordErrors(errors: readonly RecordError[]): string {
  const shown = errors.slice(0, 3).map(e => `${e.field}: ${JSON.stringify(e.value)}: ${e.message}`);
  return shown.join("; ") + (errors.length > 3 ? `; and ${errors.length - 3} more` : "");
}

/** What the import looks at of a stored SpiderIPPool. */
export function poolFactsOf(pool: {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { ipVersion?: number };
  status?: { allocatedIPs?: string };
}): PoolFacts {
  return {
    name: pool.metadata.name,
    family: pool.spec.ipVersion === 6 ? 6 : 4,
    annotations: pool.metadata.annotations ?? {},
    allocatedIPs: pool.status?.allocatedIPs,
  };
}
