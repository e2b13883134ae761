/**
 * Claims against reality (docs/concepts/gc.md, "Claims against reality"): the addresses the
 * running Pods of one node use, compared with the claims. The claims are the ledger, but an
 * address can be in use without one — a claim deleted by hand, an etcd restore from before the
 * allocation — and then nothing stops it from being handed out twice. Pure: the caller brings the
 * Pods (their `status.podIPs` and the addresses its sandbox records gave them), a lookup of
 * claims by address and of the pool an address belongs to.
 */
import { formatAddress, readAddress, type IpFamily } from "../net/address.js";

/** A running Pod of the node and the addresses it uses, with the NIC when known. */
export interface AuditPod {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly addresses: readonly { readonly address: string; readonly ifName?: string }[];
}

/** Who a claim names. */
export interface AuditHolder {
  readonly podUID: string;
  readonly podNamespace: string;
  readonly podName: string;
}

export type AuditFinding =
  /** In use by the Pod, claimed by nobody, inside a pool: to be claimed for it. */
  | {
      readonly kind: "unclaimed";
      readonly pod: AuditPod;
      readonly address: string;
      readonly family: IpFamily;
      readonly value: bigint;
      readonly ifName: string;
      readonly pool: string;
    }
  /** In use by the Pod while the claim names another Pod: reported, never changed here. */
  | {
      readonly kind: "claimedByOther";
      readonly pod: AuditPod;
      readonly address: string;
      readonly holder: AuditHolder;
      readonly pool?: string;
    };

/**
 * One finding per address in use that its Pod does not hold. Addresses outside every pool are
 * not ours (another IPAM, a host address) and are skipped; so are unparsable ones. An address
 * used by two Pods of the node is judged for each. `defaultIfName` is the NIC `status.podIPs`
 * belongs to when no record names one.
 */
export function auditClaims(
  pods: readonly AuditPod[],
  claimOf: (address: string) => AuditHolder | undefined,
  poolOf: (family: IpFamily, value: bigint) => string | undefined,
  defaultIfName = "eth0",
): AuditFinding[] {
  const out: AuditFinding[] = [];
  for (const pod of pods) {
    const seen = new Set<string>();
    for (const used of pod.addresses) {
      const parsed = readAddress(used.address.split("/")[0] ?? "");
      if (!parsed) continue;
      const address = formatAddress(parsed.value, parsed.family);
      if (seen.has(address)) continue;
      seen.add(address);
      const pool = poolOf(parsed.family, parsed.value);
      const holder = claimOf(address);
      if (holder) {
        if (holder.podUID !== pod.uid)
          out.push({ kind: "claimedByOther", pod, address, holder, pool });
        continue;
      }
      if (!pool) continue;
      const ifName =
        pod.addresses.find(a => a.ifName && a.address.split("/")[0] === used.address.split("/")[0])
          ?.ifName ?? defaultIfName;
      out.push({
        kind: "unclaimed",
        pod,
        address,
        family: parsed.family,
        value: parsed.value,
        ifName,
        pool,
      });
    }
  }
  return out;
}
