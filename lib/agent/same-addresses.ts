import { readAddress } from "../core/net/address.js";

/**
 * Whether recorded addresses (with prefix length, as in endpoints) are exactly the claimed ones,
 * compared as numbers so that IPv6 spellings do not matter.
 */
export function sameAddresses(recorded: (string | undefined)[], claimed: string[]): boolean {
  const norm = (a: string) => {
    const v = readAddress(a.split("/")[0] ?? "");
    return v ? `${v.family}:${v.value}` : a;
  };
  const r = recorded
    .filter((a): a is string => !!a)
    .map(norm)
    .sort();
  const c = claimed.map(norm).sort();
  return r.length === c.length && r.every((x, i) => x === c[i]);
}
