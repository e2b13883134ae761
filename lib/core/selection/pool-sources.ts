/**
 * Where a Pod's candidate pools come from (docs/reference/allocation.md#pool-sources), in strict priority: the first source that
 * applies is used exclusively, even if all its pools are later filtered out (no fall-through).
 *
 * 1. `ipam.spidernet.io/subnet(s)` (auto pools; subnet-source.ts)
 * 2. Pod `ipam.spidernet.io/ippools` (every NIC)
 * 3. Pod `ipam.spidernet.io/ippool` (current NIC)
 * 4. Namespace `ipam.spidernet.io/default-ipv4-ippool` / `default-ipv6-ippool`
 * 5. CNI netconf `default_ipv4_ippool` / `default_ipv6_ippool`
 * 6. Every pool with `spec.default: true`
 */
import {
  checkMultiNicItems,
  parseNamespaceDefaultPools,
  parsePodIPPool,
  parsePodIPPools,
} from "./pool-annotations.js";
import { err, ok, type Result } from "../base/result.js";
import { noPoolRules, type PoolSource, type SelectionError } from "./selection-errors.js";
import type { CandidateNic, MultiNicMode, SelectionInput } from "./selection-input.js";
import { subnetCandidates } from "./subnet-source.js";
import { expandPoolNames } from "./wildcard-expansion.js";

/** The NICs and names of the first applicable source. */
export function collectCandidates(input: SelectionInput): Result<CandidateNic[], SelectionError> {
  const fromSubnet = subnetCandidates(input);
  if (!fromSubnet.ok) return fromSubnet;
  if (fromSubnet.value !== undefined) return ok([fromSubnet.value]);

  const ippools = parsePodIPPools(input.pod.annotations);
  if (!ippools.ok) return ippools;
  if (ippools.value !== undefined) {
    const items = ippools.value;
    const expanded: Array<CandidateNic["families"]> = [];
    // Spiderpool expands wildcards before it checks the items, so a bad glob is reported first.
    for (const item of items) {
      const families = expandFamilies(item.ipv4, item.ipv6, input);
      if (!families.ok) return families;
      expanded.push(families.value);
    }
    const nics = checkMultiNicItems(items, input.ifName);
    if (!nics.ok) return nics;
    const mode: MultiNicMode = items[0]?.interface === "" ? "unnamed" : "named";
    return ok(
      nics.value.map((nic, i) => ({
        nic,
        cleanGateway: items[i]?.cleangateway ?? false,
        source: "ippools",
        mode,
        families: expanded[i] ?? [],
      })),
    );
  }

  const ippool = parsePodIPPool(input.pod.annotations);
  if (!ippool.ok) return ippool;
  if (ippool.value !== undefined)
    return currentNic("ippool", ippool.value.ipv4, ippool.value.ipv6, input);

  const namespaceDefaults = parseNamespaceDefaultPools(input.namespace.annotations);
  if (!namespaceDefaults.ok) return namespaceDefaults;
  // Presence is judged before wildcard expansion: globs matching nothing still claim the source.
  const { ipv4: nsV4, ipv6: nsV6 } = namespaceDefaults.value;
  if (nsV4.length > 0 || nsV6.length > 0) return currentNic("namespace", nsV4, nsV6, input);

  const confV4 = input.netconf.defaultIPv4IPPool ?? [];
  const confV6 = input.netconf.defaultIPv6IPPool ?? [];
  if (confV4.length > 0 || confV6.length > 0) return currentNic("netconf", confV4, confV6, input);

  const defaults = input.pools.filter(pool => pool.spec.default === true);
  if (defaults.length === 0) return err(noPoolRules());
  // A default pool without ipVersion (impossible past the webhook) belongs to no family.
  const v4 = defaults.filter(pool => pool.spec.ipVersion === 4).map(pool => pool.name);
  const v6 = defaults.filter(pool => pool.spec.ipVersion === 6).map(pool => pool.name);
  return ok([
    {
      nic: input.ifName,
      cleanGateway: input.netconf.cleanGateway ?? false,
      source: "cluster-default",
      mode: "single",
      families: familiesOf(v4, v6),
    },
  ]);
}

function currentNic(
  source: PoolSource,
  v4: readonly string[],
  v6: readonly string[],
  input: SelectionInput,
): Result<CandidateNic[], SelectionError> {
  const families = expandFamilies(v4, v6, input);
  if (!families.ok) return families;
  return ok([
    {
      nic: input.ifName,
      cleanGateway: input.netconf.cleanGateway ?? false,
      source,
      mode: "single",
      families: families.value,
    },
  ]);
}

function expandFamilies(
  v4: readonly string[],
  v6: readonly string[],
  input: SelectionInput,
): Result<CandidateNic["families"], SelectionError> {
  const expandedV4 = expandPoolNames(v4, 4, input.pools);
  if (!expandedV4.ok) return expandedV4;
  const expandedV6 = expandPoolNames(v6, 6, input.pools);
  if (!expandedV6.ok) return expandedV6;
  return ok(familiesOf(expandedV4.value, expandedV6.value));
}

function familiesOf(v4: string[], v6: string[]): CandidateNic["families"] {
  const families: CandidateNic["families"] = [];
  if (v4.length > 0) families.push({ family: 4, names: v4 });
  if (v6.length > 0) families.push({ family: 6, names: v6 });
  return families;
}
