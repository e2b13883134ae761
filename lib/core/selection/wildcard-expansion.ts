/**
 * Expanding glob pool names (docs/reference/allocation.md#wildcards). If any name of a per-family list is a glob, every glob is
 * replaced by the pools of that family whose names match it, in cache order, while literal names
 * stay in place; a glob matching nothing disappears. Lists without globs are returned unchanged.
 */
import type { IpFamily } from "../net/address.js";
import { globMatch, hasWildcard } from "../compat/glob-match.js";
import type { PoolView } from "./pool-view.js";
import { err, ok, type Result } from "../base/result.js";
import type { SelectionError } from "./selection-errors.js";

/**
 * The expanded list. A malformed pattern fails with Spiderpool's
 * `failed to match wildcard: IPv4 PoolName pattern '<p>', character '<pool>', error: syntax error in pattern`
 * (Go reports it against the first pool it tries, so a family without pools never fails).
 */
export function expandPoolNames(
  names: readonly string[],
  family: IpFamily,
  pools: readonly PoolView[],
): Result<string[], SelectionError> {
  if (!names.some(hasWildcard)) return ok([...names]);
  const ofFamily = pools.filter(pool => pool.spec.ipVersion === family);
  const expanded: string[] = [];
  for (const name of names) {
    if (!hasWildcard(name)) {
      expanded.push(name);
      continue;
    }
    for (const pool of ofFamily) {
      const matched = globMatch(name, pool.name);
      if (!matched.ok) {
        const message = `failed to match wildcard: IPv${family} PoolName pattern '${name}', character '${pool.name}', error: ${matched.error.message}`;
        return err({ code: "invalid_wildcard", message, pattern: name, family });
      }
      if (matched.value) expanded.push(pool.name);
    }
  }
  return ok(expanded);
}
