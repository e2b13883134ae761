import type { IntervalSet } from "./interval-set.js";

/**
 * Chooses a free address of a pool for one allocation.
 *
 * Spiderpool takes the lowest free address. With one agent per node racing for the same pool,
 * that makes every agent try the same address and all but one lose a 409. We take one of the
 * lowest `window` free addresses instead, chosen by a hash of `seed` (the Pod UID and NIC), so
 * concurrent requests spread out while the pool still fills from the bottom; the choice is
 * deterministic, so a retried request asks for the same address again.
 *
 * @param usable  the pool's allocatable set (ips minus excludeIPs minus reserved)
 * @param taken   addresses known to be claimed, plus ones this caller just lost a race for
 * @returns the address, or undefined when the pool has no free address
 */
export function pickAddress(usable: IntervalSet, taken: IntervalSet, seed: string, window: number): bigint | undefined {
  const free = usable.firstFreeAddresses(taken, Math.max(1, window));
  if (free.length === 0) return undefined;
  return free[fnv1a(seed) % free.length];
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
