import { IntervalSet } from "./interval-set.js";

/**
 * Chooses a free address of a pool for one allocation.
 *
 * Spiderpool takes the lowest free address. With one agent per node racing for the same pool,
 * that makes every agent try the same address and all but one lose a 409. We take one of the
 * lowest `window` free addresses instead, chosen by a hash of `seed` (the Pod UID and NIC), so
 * concurrent requests spread out while the pool still fills from the bottom; the choice is
 * deterministic, so a retried request asks for the same address again.
 *
 * Addresses freed recently are picked last, the least recently freed first: a freed address
 * may still be answered on the wire for a while (a sandbox torn down late, neighbours' ARP
 * caches), and the lowest-first order would make it the very next one handed out
 * (docs/concepts/fault-model.md). They are set aside as if taken; only when nothing else is
 * free does the pick hash into the `window` oldest of them. The cost per pick grows with the
 * length of `recentlyFreed` (bounded by the caller), never with the size of the pool.
 *
 * Agents on different nodes racing for one pool pick from the same lowest free addresses, and
 * the hash alone makes two of them meet as often as two picks land on one of `window` addresses.
 * With a `lane`, the pick looks at twice the window and takes one of its addresses whose value
 * modulo `lane.lanes` is `lane.lane`: each node (and pool) has its own lane, so agents in
 * different lanes ask for different addresses, and two agents that share a lane still hash among
 * a few. With no address of its lane there, the pick hashes into the whole doubled window. Lanes
 * only make races rarer; the API server's unique claim name is what rules out a duplicate
 * (docs/adr/0002-address-claims.md).
 *
 * @param usable  the pool's allocatable set (ips minus excludeIPs minus reserved)
 * @param taken   addresses known to be claimed, plus ones this caller just lost a race for
 * @param recentlyFreed  addresses of the pool freed lately, the least recently freed first
 * @param lane  this caller's lane among `lanes` (laneOf), or none
 * @returns the address, or undefined when the pool has no free address
 */
export function pickAddress(
  usable: IntervalSet,
  taken: IntervalSet,
  seed: string,
  window: number,
  recentlyFreed: readonly bigint[] = [],
  lane?: PickLane,
): bigint | undefined {
  const size = Math.max(1, window);
  const cooling = recentlyFreed.length
    ? IntervalSet.fromAddresses(usable.family, recentlyFreed)
    : undefined;
  const laned = lane !== undefined && lane.lanes > 1;
  const free = usable.firstFreeAddresses(
    cooling ? taken.union(cooling) : taken,
    laned ? size * 2 : size,
  );
  if (free.length) {
    const lanes = BigInt(laned ? lane.lanes : 1);
    const own = laned ? free.filter(v => v % lanes === BigInt(lane.lane)) : [];
    const from = own.length ? own : free;
    return from[fnv1a(seed) % from.length];
  }
  const oldest: bigint[] = [];
  for (const v of recentlyFreed) {
    if (oldest.length === size) break;
    if (usable.contains(v) && !taken.contains(v)) oldest.push(v);
  }
  if (oldest.length === 0) return undefined;
  return oldest[fnv1a(seed) % oldest.length];
}

/** 32-bit FNV-1a: cheap, stable across processes and versions, good enough to spread choices. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** One of `lanes` lanes of a pick (pickAddress). */
export interface PickLane {
  lane: number;
  lanes: number;
}

/** The lane of `who` (a node and a pool): two nodes that share a lane in one pool rarely do in the next. */
export function laneOf(who: string, lanes: number): PickLane {
  const n = Math.max(1, Math.floor(lanes));
  return { lane: fnv1a(who) % n, lanes: n };
}
