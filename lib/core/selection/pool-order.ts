/**
 * The order in which a NIC's candidate pools are tried (docs/reference/allocation.md#order): the more specific a pool's
 * affinity, the earlier. Pools are compared on the presence of, in turn, `podAffinity`,
 * `nodeName`, `nodeAffinity`, `namespaceName`, `namespaceAffinity` and `multusName`; the first
 * property present on one and absent on the other decides.
 *
 * Spiderpool leaves ties in arbitrary order (map iteration and an unstable sort). Ties here keep
 * the source order, so "first pool, then backups" lists behave as written.
 */
import type { PoolSpecView } from "./pool-view.js";

// Presence tests in priority order; lists count as present when non-empty, as in Spiderpool.
const PRIORITY: ReadonlyArray<(spec: PoolSpecView) => boolean> = [
  spec => spec.podAffinity !== undefined,
  spec => (spec.nodeName ?? []).length > 0,
  spec => spec.nodeAffinity !== undefined,
  spec => (spec.namespaceName ?? []).length > 0,
  spec => spec.namespaceAffinity !== undefined,
  spec => (spec.multusName ?? []).length > 0,
];

/**
 * Negative when `a` goes first, positive when `b` does, 0 on a tie. A consistent total preorder:
 * it compares the presence bits lexicographically.
 */
export function comparePoolPriority(a: PoolSpecView, b: PoolSpecView): number {
  for (const present of PRIORITY) {
    const pa = present(a);
    const pb = present(b);
    if (pa !== pb) return pa ? -1 : 1;
  }
  return 0;
}

/** A new array of `pools` in try order; ties keep their input order (the sort is stable). */
export function orderPools<P extends { readonly spec: PoolSpecView }>(pools: readonly P[]): P[] {
  return [...pools].sort((a, b) => comparePoolPriority(a.spec, b.spec));
}
