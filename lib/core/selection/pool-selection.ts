/**
 * Pool selection at CNI ADD (docs/reference/allocation.md): which pools each NIC of the Pod may take
 * an address from, per family, in the order to try them. Pure: the agent gathers the input from
 * its caches and does the allocation.
 *
 * Steps, each over every NIC before the next starts, so errors surface in Spiderpool's order:
 * 1. the first applicable source names the candidates (pool-sources.ts);
 * 2. families disabled in the ConfigMap are dropped silently;
 * 3. a pool named twice for one NIC and family, or not in the cache, fails the ADD;
 * 4. each pool goes through the filter (pool-filter.ts); a family left without pools fails the
 *    ADD with every pool's reason;
 * 5. the survivors are ordered by affinity (pool-order.ts, stable).
 */
import type { NicNetwork, NicNetworkError } from "./multus-networks.js";
import { resolveNicNetwork } from "./multus-networks.js";
import { filterPool, type SkippedPool } from "./pool-filter.js";
import { orderPools } from "./pool-order.js";
import { collectCandidates } from "./pool-sources.js";
import type { PoolView } from "./pool-view.js";
import { err, ok, type Result } from "../base/result.js";
import {
  allPoolsFiltered,
  duplicatePool,
  noFamilyCandidates,
  poolNotFound,
  type SelectionError,
} from "./selection-errors.js";
import type { FamilyCandidates, NicPlan, SelectionInput } from "./selection-input.js";

export type { FamilyCandidates, MultiNicMode, NicPlan, SelectionInput } from "./selection-input.js";
export type { PoolView, PoolSpecView } from "./pool-view.js";
export type { SelectionError, SelectionErrorCode, PoolSource } from "./selection-errors.js";
export { describeSelectionError } from "./selection-errors.js";
export type { SkippedPool, SkipRule } from "./pool-filter.js";
export type { TopController } from "./top-controller.js";

/**
 * The allocation plan of every NIC the source covers: all NICs for `ipam.spidernet.io/ippools`,
 * the current NIC otherwise. A NIC other than the current one may have no family (Spiderpool
 * then fails only that NIC's own ADD); the current NIC without any family is an error
 * (`no_family_candidates`). In unnamed multi-NIC mode the current NIC is item `0`.
 */
export function selectPools(input: SelectionInput): Result<NicPlan[], SelectionError> {
  const collected = collectCandidates(input);
  if (!collected.ok) return collected;
  const enabled = (family: 4 | 6): boolean =>
    family === 4 ? input.config.enableIPv4 : input.config.enableIPv6;
  const nics = collected.value.map(nic => ({
    ...nic,
    families: nic.families.filter(f => enabled(f.family)),
  }));

  // The cache may list a name twice only through a caller bug; the first entry wins.
  const byName = new Map<string, PoolView>();
  for (const pool of input.pools) if (!byName.has(pool.name)) byName.set(pool.name, pool);

  for (const nic of nics) {
    for (const { names } of nic.families) {
      const seen = new Set<string>();
      for (const name of names) {
        if (seen.has(name)) return err(duplicatePool(name, nic.nic));
        seen.add(name);
        if (!byName.has(name)) return err(poolNotFound(name, nic.nic));
      }
    }
  }

  const reusablePools = new Set(input.reusablePools ?? []);
  const plans: NicPlan[] = [];
  const isCurrent = (nic: { readonly nic: string; readonly mode?: string }) =>
    nic.nic === (nic.mode === "unnamed" ? "0" : input.ifName);
  for (const nic of nics) {
    let network: Result<NicNetwork, NicNetworkError> | undefined;
    const nicNetwork = (): Result<NicNetwork, NicNetworkError> =>
      (network ??= resolveNicNetwork({
        nic: nic.nic,
        podNamespace: input.pod.namespace,
        podAnnotations: input.pod.annotations,
        agentNamespace: input.agentNamespace,
        ...(input.clusterNetwork === undefined ? {} : { clusterNetwork: input.clusterNetwork }),
      }));
    const families: FamilyCandidates[] = [];
    for (const { family, names } of nic.families) {
      const context = {
        family,
        nic: nic.nic,
        podNamespace: input.pod.namespace,
        podLabels: input.pod.labels,
        nodeName: input.pod.nodeName,
        nodeLabels: input.node.labels,
        namespaceLabels: input.namespace.labels,
        top: input.top,
        agentNamespace: input.agentNamespace,
        nicNetwork,
        reusablePools,
        ...(input.master !== undefined && isCurrent(nic) ? { master: input.master } : {}),
      };
      const accepted: PoolView[] = [];
      const skipped: SkippedPool[] = [];
      for (const name of names) {
        const pool = byName.get(name);
        if (pool === undefined) continue; // unreachable: checked above
        const verdict = filterPool(pool, context);
        if (verdict === undefined) accepted.push(pool);
        else skipped.push(verdict);
      }
      if (accepted.length === 0) return err(allPoolsFiltered(nic.nic, family, names, skipped));
      families.push({
        family,
        pools: orderPools(accepted).map(pool => pool.name),
        original: [...names],
        skipped,
      });
    }
    plans.push({
      nic: nic.nic,
      cleanGateway: nic.cleanGateway,
      families,
      source: nic.source,
      mode: nic.mode,
    });
  }

  const current = plans.find(isCurrent);
  if (current !== undefined && current.families.length === 0)
    return err(noFamilyCandidates(current.nic, current.source));
  return ok(plans);
}
