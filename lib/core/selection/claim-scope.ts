/**
 * Which claims an agent has to watch (docs/adr/0011-node-scoped-claim-watch.md): those of the
 * pools that may serve a Pod of its node, decided by the same node rule as selection
 * (pool-filter.ts nodeMismatch), so that a pool selection could hand to this node is never one
 * whose taken addresses the agent does not know. Its own node's claims are watched apart, by
 * their node label, whatever their pool.
 */
import { labelValueErrors } from "../compat/label-syntax.js";
import { nodeMismatch } from "./pool-filter.js";
import type { PoolView } from "./pool-view.js";

/** The pools one watch covers. */
export type ClaimScope = ReadonlySet<string>;

/**
 * The pools whose claims this node needs, by pool label. A pool whose name no label value can
 * hold (over 63 characters) is left out: its claims carry no pool label, and the agent watches
 * the claims without one apart.
 */
export function claimScopeOf(
  pools: readonly Pick<PoolView, "name" | "spec">[],
  node: { readonly name: string; readonly labels: Readonly<Record<string, string>> },
): ClaimScope {
  const wanted = new Set<string>();
  for (const p of pools) {
    if (nodeMismatch(p, node.name, node.labels) !== undefined) continue;
    if (labelValueErrors(p.name).length === 0) wanted.add(p.name);
  }
  return wanted;
}

/** What to do with the watches open now to cover the scope wanted. */
export type ScopeChange =
  | { readonly kind: "keep" }
  /** Open one more watch, for these pools only: the others stay as they are. */
  | { readonly kind: "add"; readonly pools: ReadonlySet<string> }
  /** One watch for the whole scope; the open ones are closed once it has listed. */
  | { readonly kind: "replace"; readonly scope: ClaimScope };

/**
 * Watching more than needed costs bytes, never correctness, so a pool leaving the scope is left
 * watched until there is another reason to rebuild; a pool entering it gets a watch of its own, so
 * that one new pool does not relist the claims of all the others. The watches are merged into one
 * when there are `maxWatches` of them, or when the pools watched but no longer wanted outnumber
 * those wanted (each rebuild is a LIST of the whole scope, so it must stay rare).
 */
export function planClaimScopes(
  watched: readonly ClaimScope[],
  wanted: ClaimScope,
  maxWatches: number,
): ScopeChange {
  const covered = new Set<string>();
  for (const s of watched) for (const p of s) covered.add(p);
  const missing = new Set([...wanted].filter(p => !covered.has(p)));
  let stale = 0;
  for (const p of covered) if (!wanted.has(p)) stale++;
  if (missing.size === 0) {
    return stale > wanted.size || (wanted.size === 0 && watched.length > 0)
      ? replace(wanted)
      : { kind: "keep" };
  }
  if (watched.length === 0 || watched.length + 1 > maxWatches || stale > wanted.size)
    return replace(wanted);
  return { kind: "add", pools: missing };
}

function replace(scope: ClaimScope): ScopeChange {
  return { kind: "replace", scope };
}

/**
 * The label selector of a watch of these pools' claims. Never called with an empty set: `in ()`
 * is refused by the API server, and no pool needs no watch.
 */
export function claimScopeSelector(poolLabel: string, scope: ClaimScope): string {
  return `${poolLabel} in (${[...scope].sort().join(",")})`;
}
