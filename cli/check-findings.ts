/**
 * The findings of `spiderpool check`, a leak report in the manner of `calicoctl ipam check`,
 * from plain cluster objects. Pure: the caller lists them.
 *
 *  - LeakedClaim: a claim that `release` would free — its Pod (by UID) is gone or finished and,
 *    for a StatefulSet claim, the StatefulSet no longer wants the ordinal (the rules of
 *    release-decision.ts, which IP GC also applies; docs/concepts/gc.md). Quarantined claims are
 *    held on purpose and are not leaks.
 *  - UnclaimedPodAddress: a Running Pod shows an address inside one of our pools, and no claim
 *    gives it to that Pod: two Pods may end up with it.
 *  - PoolStatusMismatch: a pool's status (allocatedIPCount, allocatedIPs) is not what its claims
 *    say; the watcher projects status from claims, so a lasting mismatch means it is behind.
 */
import { parseAddress, formatAddress, type IpFamily } from "../lib/core/net/address.js";
import { isAlive } from "../lib/core/lifecycle/pod-liveness.js";
import { poolStatusOf, statusDiffers } from "../lib/core/lifecycle/pool-status.js";
import { isQuarantined } from "../lib/core/lifecycle/quarantine.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import { awaitingImport } from "./pool-usage.js";
import { decideRelease } from "./release-decision.js";
import { usableOf, type Claim, type Pool } from "./selection-request.js";

export type Finding =
  | {
      readonly type: "LeakedClaim";
      readonly address: string;
      readonly ipVersion: IpFamily;
      readonly pool: string;
      /** What `release --from-report` checks before it deletes: the claim as the report saw it. */
      readonly claim: {
        readonly name: string;
        readonly uid: string;
        readonly resourceVersion: string;
      };
      readonly pod: string;
      readonly podUID: string;
      readonly node: string;
      readonly interface: string;
      readonly reason: string;
    }
  | {
      readonly type: "UnclaimedPodAddress";
      readonly address: string;
      readonly ipVersion: IpFamily;
      readonly pool: string;
      readonly pod: string;
      readonly podUID: string;
      readonly node: string;
      readonly reason: string;
    }
  | {
      readonly type: "PoolStatusMismatch";
      readonly pool: string;
      readonly statusAllocatedIPCount: number;
      readonly claims: number;
      readonly reason: string;
    };

export interface CheckFacts {
  readonly pools: readonly Pool[];
  readonly claims: readonly Claim[];
  /** The Pods looked at (one namespace's with -n). */
  readonly pods: readonly Pod[];
  /** Claim names of StatefulSet claims whose StatefulSet still wants the Pod's ordinal. */
  readonly statefulSetWants: ReadonlySet<string>;
  /** Only claims and Pods of this namespace, and no pool-wide findings. */
  readonly namespace?: string;
}

export function checkFindings(f: CheckFacts): Finding[] {
  const findings: Finding[] = [];
  const podsByName = new Map(f.pods.map(p => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const claims = f.namespace ? f.claims.filter(c => c.spec.podNamespace === f.namespace) : f.claims;

  for (const c of claims) {
    if (isQuarantined(c.spec)) continue;
    const ref = `${c.spec.podNamespace}/${c.spec.podName}`;
    const decision = decideRelease(c, podsByName.get(ref), {
      statefulSetWants: f.statefulSetWants.has(c.metadata.name),
    });
    if (!decision.release) continue;
    findings.push({
      type: "LeakedClaim",
      address: c.spec.address,
      ipVersion: c.spec.ipVersion,
      pool: c.spec.pool,
      claim: {
        name: c.metadata.name,
        uid: c.metadata.uid ?? "",
        resourceVersion: c.metadata.resourceVersion ?? "",
      },
      pod: ref,
      podUID: c.spec.podUID,
      node: c.spec.node,
      interface: c.spec.interface,
      reason: decision.why,
    });
  }

  const claimed = new Map(claims.map(c => [`${c.spec.ipVersion}/${c.spec.address}`, c]));
  const usable = f.pools.map(p => ({ p, set: usableOf(p) }));
  for (const pod of f.pods) {
    if (pod.status?.phase !== "Running" || pod.spec.hostNetwork || !isAlive(pod)) continue;
    const ips = pod.status.podIPs?.map(i => i.ip) ?? (pod.status.podIP ? [pod.status.podIP] : []);
    for (const text of ips) {
      const a = parseAddress(text);
      if (!a.ok) continue;
      const { family, value } = a.value;
      const address = formatAddress(value, family);
      const pool = usable.find(u => u.set.family === family && u.set.contains(value));
      if (!pool) continue; // not one of our addresses (another IPAM, the host's)
      const claim = claimed.get(`${family}/${address}`);
      if (claim && claim.spec.podUID === pod.metadata.uid) continue;
      findings.push({
        type: "UnclaimedPodAddress",
        address,
        ipVersion: family,
        pool: pool.p.metadata.name,
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        podUID: pod.metadata.uid ?? "",
        node: pod.spec.nodeName ?? "",
        reason: claim
          ? `the claim of ${address} names Pod ${claim.spec.podNamespace}/${claim.spec.podName} (uid ${claim.spec.podUID})`
          : `no IPClaim for ${address}: another Pod may be given it`,
      });
    }
  }

  if (!f.namespace) {
    const waiting = awaitingImport(f.pools, f.claims);
    for (const p of f.pools) {
      // A pool awaiting import still shows Spiderpool's records: a difference is expected there.
      if (waiting.has(p.metadata.name) || p.metadata.deletionTimestamp) continue;
      const mine = f.claims
        .filter(c => c.spec.pool === p.metadata.name)
        .map(c => ({
          address: c.spec.address,
          podNamespace: c.spec.podNamespace,
          podName: c.spec.podName,
          podUID: c.spec.podUID,
        }));
      const wanted = poolStatusOf(usableOf(p), mine);
      const status = p.status;
      if (!statusDiffers(status, wanted)) continue;
      const count = status?.allocatedIPCount ?? 0;
      findings.push({
        type: "PoolStatusMismatch",
        pool: p.metadata.name,
        statusAllocatedIPCount: count,
        claims: mine.length,
        reason:
          count !== mine.length
            ? `status.allocatedIPCount is ${count}, the pool has ${mine.length} claim(s)`
            : (status?.totalIPCount ?? -1) !== wanted.totalIPCount
              ? `status.totalIPCount is ${status?.totalIPCount ?? "unset"}, the pool has ${wanted.totalIPCount} usable addresses`
              : "status.allocatedIPs names other holders than the claims",
      });
    }
  }
  return findings;
}
