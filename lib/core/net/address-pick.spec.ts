import assert from "node:assert/strict";
import fc from "fast-check";
import { IntervalSet } from "./interval-set.js";
import { fnv1a, laneOf, pickAddress } from "./address-pick.js";

const set = (ranges: string[]) => {
  const r = IntervalSet.fromRanges(ranges, 4);
  assert.ok(r.ok);
  return r.value;
};
const v4 = (s: string) => s.split(".").reduce((a, o) => (a << 8n) | BigInt(o), 0n);

describe("pickAddress", () => {
  it("returns the lowest free address when the window is 1", () => {
    assert.equal(
      pickAddress(set(["10.0.0.1-10.0.0.9"]), set(["10.0.0.1-10.0.0.3"]), "uid/eth0", 1),
      v4("10.0.0.4"),
    );
  });

  it("returns undefined when every usable address is taken", () => {
    assert.equal(
      pickAddress(set(["10.0.0.1-10.0.0.2"]), set(["10.0.0.1-10.0.0.2"]), "x", 8),
      undefined,
    );
  });

  it("works on a /64 sized IPv6 pool without expanding it", () => {
    const r = IntervalSet.fromRanges(["fd00::1-fd00::ffff:ffff:ffff:ffff"], 6);
    assert.ok(r.ok);
    const a = pickAddress(r.value, IntervalSet.empty(6), "p", 16);
    assert.ok(a !== undefined && a >= 0xfd00n << 112n);
  });

  it("always picks a free address among the lowest `window` free ones, deterministically", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 63 })),
        fc.string(),
        fc.integer({ min: 1, max: 20 }),
        (takenHosts, seed, window) => {
          const usable = set(["10.0.0.0-10.0.0.63"]);
          const taken = IntervalSet.fromAddresses(
            4,
            takenHosts.map(h => v4("10.0.0.0") + BigInt(h)),
          );
          const a = pickAddress(usable, taken, seed, window);
          const free = usable.firstFreeAddresses(taken, window);
          if (free.length === 0) return a === undefined;
          return (
            a !== undefined &&
            free.includes(a) &&
            !taken.contains(a) &&
            pickAddress(usable, taken, seed, window) === a
          );
        },
      ),
    );
  });

  it("spreads different seeds over the window", () => {
    const usable = set(["10.0.0.1-10.0.0.254"]);
    const picks = new Set(
      Array.from({ length: 200 }, (_, i) =>
        pickAddress(usable, IntervalSet.empty(4), `pod-${i}/eth0`, 16),
      ),
    );
    assert.ok(picks.size >= 12, `only ${picks.size} distinct picks out of a window of 16`);
  });
});

describe("pickAddress with recently freed addresses", () => {
  it("hands out a never-used address before a freed one, though the freed one is lower", () => {
    const usable = set(["10.0.0.1-10.0.0.9"]);
    const taken = set(["10.0.0.2-10.0.0.3"]);
    assert.equal(pickAddress(usable, taken, "uid/eth0", 1), v4("10.0.0.1"));
    assert.equal(pickAddress(usable, taken, "uid/eth0", 1, [v4("10.0.0.1")]), v4("10.0.0.4"));
  });

  it("falls back to the least recently freed once nothing else is free", () => {
    const usable = set(["10.0.0.1-10.0.0.4"]);
    const freed = [v4("10.0.0.3"), v4("10.0.0.1"), v4("10.0.0.2")];
    assert.equal(pickAddress(usable, set(["10.0.0.4"]), "x", 1, freed), v4("10.0.0.3"));
    assert.equal(pickAddress(usable, set(["10.0.0.3-10.0.0.4"]), "x", 1, freed), v4("10.0.0.1"));
    assert.equal(pickAddress(usable, set(["10.0.0.1-10.0.0.4"]), "x", 1, freed), undefined);
  });

  it("ignores freed addresses that are taken again or no longer usable", () => {
    const usable = set(["10.0.0.1-10.0.0.2"]);
    assert.equal(
      pickAddress(usable, set(["10.0.0.1"]), "x", 4, [v4("10.0.0.1"), v4("10.0.0.77")]),
      v4("10.0.0.2"),
    );
    assert.equal(
      pickAddress(usable, set(["10.0.0.1-10.0.0.2"]), "x", 4, [v4("10.0.0.1"), v4("10.0.0.77")]),
      undefined,
    );
  });

  it("picks a free address whenever one exists, a freed one only if nothing else is free", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 31 })),
        fc.uniqueArray(fc.integer({ min: 0, max: 40 })),
        fc.string(),
        fc.integer({ min: 1, max: 20 }),
        (takenHosts, freedHosts, seed, window) => {
          const usable = set(["10.0.0.0-10.0.0.31"]);
          const taken = IntervalSet.fromAddresses(
            4,
            takenHosts.map(h => v4("10.0.0.0") + BigInt(h)),
          );
          const freed = freedHosts.map(h => v4("10.0.0.0") + BigInt(h));
          const a = pickAddress(usable, taken, seed, window, freed);
          const free = usable.firstFreeAddresses(taken, 64);
          if (free.length === 0) return a === undefined;
          if (a === undefined || taken.contains(a) || !usable.contains(a)) return false;
          const fresh = free.filter(v => !freed.includes(v));
          return fresh.length
            ? !freed.includes(a)
            : freed
                .filter(v => free.includes(v))
                .slice(0, window)
                .includes(a);
        },
      ),
    );
  });

  it("on a /16 pool with a thousand recently freed addresses, picks never-used ones without expanding the pool", () => {
    const usable = set(["10.1.0.0-10.1.255.255"]);
    const taken = IntervalSet.of(4, [{ start: v4("10.1.0.0"), end: v4("10.1.199.255") }]);
    const freed = Array.from({ length: 1024 }, (_, i) => v4("10.1.0.0") + BigInt(i * 37));
    for (let i = 0; i < 200; i++) {
      const a = pickAddress(
        usable,
        taken.subtract(IntervalSet.fromAddresses(4, freed)),
        `p${i}`,
        16,
        freed,
      );
      assert.ok(a !== undefined && a >= v4("10.1.200.0"), "a never-used address is picked first");
    }
  });
});

/** mulberry32: a seeded generator, so each simulated storm is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A storm on one pool as the agents meet it: in each round every node starts up to `inFlight`
 * picks from its view (what the ledger held when the round began, plus its own picks and lost
 * races), with the allocator's window (16 × (1 + its unsettled picks) × 2^attempt). Then the
 * CREATEs reach the "API server" (a map by address, refusing a second one: the unique claim name)
 * in a random order; a refused one is a 409, remembered by its node, and retried next round.
 */
type Mode = "hash" | "hash, twice the window" | "lanes";

function storm(o: { nodes: string[]; pods: number; inFlight: number; mode: Mode; seed: number }) {
  const usable = set(["10.0.0.1-10.0.7.254"]);
  const ledger = new Map<bigint, string>();
  const random = rng(o.seed);
  const queue = o.nodes.map((_, n) =>
    Array.from({ length: Math.ceil(o.pods / o.nodes.length) }, (_, i) => ({
      uid: `pod-${n}-${i}`,
      attempt: 0,
    })),
  );
  const lost = o.nodes.map(() => new Set<bigint>());
  let conflicts = 0;
  for (let round = 0; queue.some(q => q.length); round++) {
    assert.ok(round < 1000, "the storm ends");
    const known = [...ledger.keys()];
    const creates: Array<{ node: number; pod: { uid: string; attempt: number }; v: bigint }> = [];
    o.nodes.forEach((node, n) => {
      const mine: bigint[] = [];
      for (const pod of queue[n]!.splice(0, o.inFlight)) {
        const taken = IntervalSet.fromAddresses(4, [...known, ...mine, ...lost[n]!]);
        const window = 16 * (1 + mine.length) * 2 ** Math.min(pod.attempt, 6);
        const v = pickAddress(
          usable,
          taken,
          `${pod.uid}/eth0/4`,
          o.mode === "hash, twice the window" ? window * 2 : window,
          [],
          o.mode === "lanes" ? laneOf(`${node}/pool`, 16) : undefined,
        );
        assert.ok(v !== undefined && !taken.contains(v), "a pick is free in its node's view");
        mine.push(v);
        creates.push({ node: n, pod, v });
      }
    });
    for (let i = creates.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [creates[i], creates[j]] = [creates[j]!, creates[i]!];
    }
    for (const c of creates) {
      if (ledger.has(c.v)) {
        conflicts++;
        lost[c.node]!.add(c.v);
        queue[c.node]!.push({ uid: c.pod.uid, attempt: c.pod.attempt + 1 });
      } else ledger.set(c.v, c.pod.uid);
    }
  }
  return { conflicts, ledger };
}

describe("pickAddress with lanes: agents of many nodes racing for one pool", () => {
  const cases = [
    { nodes: 10, seed: 1 },
    { nodes: 10, seed: 2 },
    { nodes: 5, seed: 3 },
    { nodes: 16, seed: 4 },
  ];

  it("every Pod gets one address and no address goes to two Pods, with lanes or without", () => {
    for (const c of cases)
      for (const mode of ["hash", "lanes"] as const) {
        const nodes = Array.from({ length: c.nodes }, (_, i) => `node-${i + 1}`);
        const r = storm({ nodes, pods: 400, inFlight: 4, mode, seed: c.seed });
        const pods = [...r.ledger.values()];
        assert.equal(pods.length, Math.ceil(400 / c.nodes) * c.nodes);
        assert.equal(new Set(pods).size, pods.length, "each Pod holds one address");
      }
  });

  it("collide less than half as often as the hash alone, and less than the hash over their wider window", () => {
    const total = { hash: 0, "hash, twice the window": 0, lanes: 0 };
    for (const c of cases)
      for (const mode of Object.keys(total) as Mode[]) {
        const nodes = Array.from({ length: c.nodes }, (_, i) => `node-${i + 1}`);
        total[mode] += storm({ nodes, pods: 400, inFlight: 4, mode, seed: c.seed }).conflicts;
      }
    const text = JSON.stringify(total);
    assert.ok(total.hash > 0, "the storm makes races to lose");
    assert.ok(total.lanes * 2 < total.hash, `409s: ${text}`);
    assert.ok(total.lanes < total["hash, twice the window"], `409s: ${text}`);
  });

  it("prefers its lane's addresses in the window and falls back to the whole window", () => {
    const usable = set(["10.0.0.0-10.0.0.255"]);
    const lane = laneOf("node-a/pool", 16);
    const v = pickAddress(usable, IntervalSet.empty(4), "uid/eth0/4", 8, [], lane);
    assert.equal(Number(v! % 16n), lane.lane);
    assert.ok(v! < v4("10.0.0.16"), "within the doubled window");
    // The lane's only address in the doubled window is taken: any other of it will do.
    const taken = IntervalSet.fromAddresses(4, [BigInt(lane.lane) + v4("10.0.0.0")]);
    const w = pickAddress(usable, taken, "uid/eth0/4", 8, [], lane);
    assert.ok(w !== undefined && w <= v4("10.0.0.16") && !taken.contains(w));
  });
});

describe("fnv1a", () => {
  it("matches the published FNV-1a test vectors", () => {
    assert.equal(fnv1a(""), 0x811c9dc5);
    assert.equal(fnv1a("a"), 0xe40c292c);
    assert.equal(fnv1a("foobar"), 0xbf9cf968);
  });
});
