import assert from "node:assert/strict";
import fc from "fast-check";
import { formatAddress, type IpFamily } from "../net/address.js";
import type { IPPoolObject } from "./admission-objects.js";
import { ALL_ON, assertAllowed, codesOf, invalid, pool } from "../../testing/admission-fixtures.js";
import { parseCidr } from "../net/cidr.js";
import { IntervalSet } from "../net/interval-set.js";
import { validateIPPoolCreate } from "./ippool-validation.js";
import { checkPoolCidrAgainstPeers, checkPoolRangesAgainstPeers } from "./pool-peer-rules.js";
import { readStoredRanges } from "../net/stored-objects.js";

/** A 16-address subnet of each family, small enough to model with explicit sets. */
const SUBNETS: Record<IpFamily, { text: string; base: bigint }> = {
  4: { text: "10.0.0.0/28", base: 0x0a000000n },
  6: { text: "fd00::/124", base: 0xfd00n << 112n },
};

/** A list of entries for a set of offsets: its maximal runs, some split in two, in random order. */
function entriesArb(family: IpFamily): fc.Arbitrary<{ offsets: Set<number>; entries: string[] }> {
  return fc
    .tuple(
      fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 16 }),
      fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
      fc.nat(),
    )
    .map(([offsets, splits, seed]) => {
      const set = IntervalSet.fromAddresses(
        family,
        offsets.map(o => SUBNETS[family].base + BigInt(o)),
      );
      const pieces = set.intervals.flatMap((iv, i) => {
        const mid = iv.start + (iv.end - iv.start) / 2n;
        return splits[i] === true && iv.end > iv.start
          ? [
              { start: iv.start, end: mid },
              { start: mid + 1n, end: iv.end },
            ]
          : [iv];
      });
      const texts = pieces.map(({ start, end }) =>
        start === end
          ? formatAddress(start, family)
          : `${formatAddress(start, family)}-${formatAddress(end, family)}`,
      );
      // Deterministic shuffle: entries need not be sorted.
      const shuffled = texts
        .map((t, i) => [((seed + 1) * (i + 7)) % 101, t] as const)
        .sort((a, b) => a[0] - b[0]);
      return { offsets: new Set(offsets), entries: shuffled.map(([, t]) => t) };
    });
}

describe("pool-peer-rules", () => {
  describe("the overlap verdict agrees with explicit address sets", () => {
    for (const family of [4, 6] as const) {
      it(`IPv${family}`, () => {
        const side = fc.tuple(entriesArb(family), entriesArb(family));
        fc.assert(
          fc.property(
            side,
            fc.array(side, { minLength: 1, maxLength: 4 }),
            ([mineIps, mineEx], peerSides) => {
              const subnet = SUBNETS[family].text;
              const mine = pool("new", {
                subnet,
                ips: mineIps.entries,
                excludeIPs: mineEx.entries,
              });
              const peers = peerSides.map(([ips, ex], i) =>
                pool(`peer${i}`, { subnet, ips: ips.entries, excludeIPs: ex.entries }),
              );
              const usable = (ips: Set<number>, ex: Set<number>) =>
                new Set([...ips].filter(o => !ex.has(o)));
              const myUsable = usable(mineIps.offsets, mineEx.offsets);
              const expected = peerSides
                .map(([ips, ex], i) => ({
                  name: `peer${i}`,
                  shared: [...usable(ips.offsets, ex.offsets)].some(o => myUsable.has(o)),
                }))
                .filter(({ shared }) => shared)
                .map(({ name }) => name);

              const verdict = validateIPPoolCreate({ pool: mine, peers, config: ALL_ON });
              const reported = verdict.allowed
                ? []
                : invalid(verdict).errors.map(e => /IPPool (\S+) in/.exec(e.detail)?.[1]);
              assert.deepEqual(reported, expected);
            },
          ),
          { numRuns: 300 },
        );
      });
    }
  });

  it("lists the peer's entries as written, one per meeting piece", () => {
    const cidr = parseCidr("10.6.0.0/16");
    assert.ok(cidr.ok);
    const identity = {
      name: "new",
      family: 4 as const,
      cidr: cidr.value,
      subnetText: "10.6.0.0/16",
    };
    const mine = readStoredRanges(
      cidr.value,
      ["10.6.0.1-10.6.0.3", "10.6.0.8-10.6.0.20"],
      ["10.6.0.10"],
    );
    const peer = pool("old", { subnet: "10.6.0.0/16", ips: ["10.6.0.9-10.6.0.12", "10.6.0.2"] });
    const [error] = checkPoolRangesAgainstPeers(identity, mine, [peer]);
    assert.deepEqual(error?.value, ["10.6.0.2", "10.6.0.9-10.6.0.12", "10.6.0.9-10.6.0.12"]);
  });

  it("compares CIDRs only within the family and names a taken name", () => {
    const cidr = parseCidr("10.6.0.0/16");
    assert.ok(cidr.ok);
    const identity = {
      name: "new",
      family: 4 as const,
      cidr: cidr.value,
      subnetText: "10.6.0.0/16",
    };
    const check = checkPoolCidrAgainstPeers(identity, [
      pool("new", { subnet: "fd00::/8" }),
      pool("same", { subnet: "10.6.0.0/16" }),
      pool("inner", { subnet: "10.6.3.0/24" }),
    ]);
    assert.equal(check.nameTaken, false);
    assert.deepEqual(
      check.errors.map(e => e.detail),
      ["overlap with IPPool inner which 'spec.subnet' is 10.6.3.0/24"],
    );
    assert.equal(
      checkPoolCidrAgainstPeers(identity, [pool("new", { subnet: "10.9.0.0/16" })]).nameTaken,
      true,
    );
  });

  it("re-reads a peer whose spec is a new object or whose lists changed in place (the memo never goes stale)", () => {
    const cidr = parseCidr("10.6.0.0/16");
    assert.ok(cidr.ok);
    const identity = {
      name: "new",
      family: 4 as const,
      cidr: cidr.value,
      subnetText: "10.6.0.0/16",
    };
    const mine = readStoredRanges(cidr.value, ["10.6.0.2"], []);
    const peer = pool("old", { subnet: "10.6.0.0/16", ips: ["10.6.0.1"] });
    assert.deepEqual(checkPoolRangesAgainstPeers(identity, mine, [peer]), []);
    (peer.spec.ips as string[]).push("10.6.0.2");
    assert.deepEqual(
      checkPoolRangesAgainstPeers(identity, mine, [peer]).map(e => e.code),
      ["pool_ranges_overlap"],
    );
    const replaced = { ...peer, spec: { ...peer.spec, ips: ["10.6.0.3"] } };
    assert.deepEqual(checkPoolRangesAgainstPeers(identity, mine, [replaced]), []);
    const renamed = { ...peer, metadata: { name: "new" } };
    assert.deepEqual(
      checkPoolRangesAgainstPeers(identity, mine, [renamed]),
      [],
      "a peer of our own name is ourselves",
    );
  });

  // How fast is measured by `npm run bench:webhook`; these keep the large shapes correct.
  describe("large inputs", () => {
    it("validates a pool against 1,000 pools with many ranges", () => {
      // 1,000 peers: 500 in the same /16 with 20 ranges each, 500 in other subnets.
      const peers: IPPoolObject[] = [];
      for (let i = 0; i < 500; i++) {
        const ips = Array.from(
          { length: 20 },
          (_, j) => `10.6.${i % 250}.${(Math.floor(i / 250) * 100 + j * 4) % 250}`,
        );
        peers.push(
          pool(
            `same-${i}`,
            { subnet: "10.6.0.0/16", ips },
            { labels: { "ipam.spidernet.io/ippool-cidr": "10-6-0-0-16" } },
          ),
        );
        peers.push(
          pool(`other-${i}`, {
            subnet: `10.${100 + (i % 100)}.${Math.floor(i / 100)}.0/24`,
            ips: [
              `10.${100 + (i % 100)}.${Math.floor(i / 100)}.1-10.${100 + (i % 100)}.${Math.floor(i / 100)}.200`,
            ],
          }),
        );
      }
      const mine = pool("new", {
        subnet: "10.6.0.0/16",
        ips: Array.from(
          { length: 2_000 },
          (_, k) => `10.6.${250 + (k % 6)}.${Math.floor(k / 6) % 250}`,
        ).filter((v, i, a) => a.indexOf(v) === i),
      });
      assertAllowed(validateIPPoolCreate({ pool: mine, peers, config: ALL_ON }));
      const clash = pool("clash", { subnet: "10.6.0.0/16", ips: ["10.6.0.0-10.6.255.255"] });
      assert.equal(
        codesOf(validateIPPoolCreate({ pool: clash, peers, config: ALL_ON })).length,
        500,
      );
    });

    it("validates a /64 pool with thousands of ranges", () => {
      const ips = Array.from(
        { length: 5_000 },
        (_, i) => `fd00:1::${i.toString(16)}:0-fd00:1::${i.toString(16)}:ff`,
      );
      const excludeIPs = Array.from(
        { length: 1_000 },
        (_, i) => `fd00:1::${(i * 5).toString(16)}:7`,
      );
      const big = pool("v6", {
        subnet: "fd00:1::/64",
        ips: [...ips].reverse(),
        excludeIPs,
        gateway: "fd00:1::ffff:1",
      });
      const peer = pool("peer", { subnet: "fd00:1::/64", ips: ["fd00:1::ffff:0-fd00:1::ffff:ff"] });
      assertAllowed(validateIPPoolCreate({ pool: big, peers: [peer], config: ALL_ON }));
    });
  });
});
