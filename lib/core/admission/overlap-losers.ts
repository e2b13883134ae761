import type { IPPoolObject } from "./admission-objects.js";
import type { FieldError } from "./field-error.js";
import { checkPoolCidrAgainstPeers, checkPoolRangesAgainstPeers } from "./pool-peer-rules.js";
import { describeStored, readStoredRanges } from "../net/stored-objects.js";

/** A pool that must go because an older pool already owns some of its addresses. */
export interface OverlapLoser {
  name: string;
  /** The surviving pools it overlaps, with their creation times. */
  winners: { name: string; creationTimestamp?: string }[];
  /** The admission errors it would have got had it been created after the winner was stored. */
  reasons: FieldError[];
}

/**
 * Admission judges each create against what is already stored, so two admins creating
 * overlapping pools at the same moment can both be admitted. This decides, after the fact,
 * which of them must go: pools are replayed in creation order (name breaks ties), each judged
 * by the same peer rules admission uses against the pools that survived before it; a pool that
 * fails is a loser. Deterministic: every watcher instance reaches the same verdict.
 */
export function findOverlapLosers(
  pools: readonly (IPPoolObject & { metadata?: { name?: string; creationTimestamp?: string } })[],
): OverlapLoser[] {
  const ordered = [...pools].sort((a, b) => {
    const ta = a.metadata?.creationTimestamp ?? "";
    const tb = b.metadata?.creationTimestamp ?? "";
    return ta < tb
      ? -1
      : ta > tb
        ? 1
        : (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
  });
  const survivors: IPPoolObject[] = [];
  const losers: OverlapLoser[] = [];
  for (const pool of ordered) {
    const id = describeStored(pool);
    if (!id?.cidr) {
      survivors.push(pool);
      continue;
    }
    const identity = { name: id.name, family: id.family, cidr: id.cidr, subnetText: id.subnetText };
    const ranges = readStoredRanges(id.cidr, pool.spec.ips, pool.spec.excludeIPs);
    const check = (peers: readonly IPPoolObject[]) => [
      ...checkPoolCidrAgainstPeers(identity, peers).errors,
      ...checkPoolRangesAgainstPeers(identity, ranges, peers),
    ];
    const reasons = check(survivors);
    if (!reasons.length) {
      survivors.push(pool);
      continue;
    }
    // Only losers pay for finding which survivors they collide with.
    const winners = survivors
      .filter(s => check([s]).length > 0)
      .map(s => ({
        name: s.metadata?.name ?? "",
        creationTimestamp: (s.metadata as { creationTimestamp?: string } | undefined)
          ?.creationTimestamp,
      }));
    losers.push({ name: id.name, winners, reasons });
  }
  return losers;
}
