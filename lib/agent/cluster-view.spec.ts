import assert from "node:assert/strict";
import fc from "fast-check";
import { IntervalSet } from "../core/net/interval-set.js";
import type { ApiClient } from "../k8s/api-client.js";
import type { Logger } from "../logger.js";
import { addressValue, ClusterView, type Claim, type Pool } from "./cluster-view.js";

/** The view's bookkeeping only: nothing here is started, so no request is ever made. */
const view = () => new ClusterView({} as ApiClient, "node-1", {} as Logger);
let uid = 0;
const claim = (address: string, pool = "p"): Claim => ({
  apiVersion: "ipam.pepr-spiderpool.io/v1alpha1",
  kind: "IPClaim",
  metadata: { name: `claim-${address}`, uid: `c${++uid}` },
  spec: {
    address,
    ipVersion: 4,
    pool,
    podNamespace: "ns",
    podName: `pod-${uid}`,
    podUID: `u${uid}`,
    interface: "eth0",
    node: "node-1",
  },
});
const v4 = (s: string) => s.split(".").reduce((a, o) => (a << 8n) | BigInt(o), 0n);

describe("ClusterView: recently freed addresses", () => {
  it("lists freed addresses of a pool, least recently freed first", () => {
    const v = view();
    const [a, b, c] = [claim("10.0.0.3"), claim("10.0.0.1"), claim("10.0.0.2", "other")];
    for (const x of [a, b, c]) v.noteClaim(x);
    assert.deepEqual(v.recentlyFreed("p"), []);
    v.forgetClaim(b);
    v.forgetClaim(a);
    v.forgetClaim(c);
    assert.deepEqual(v.recentlyFreed("p"), [v4("10.0.0.1"), v4("10.0.0.3")]);
    assert.deepEqual(v.recentlyFreed("other"), [v4("10.0.0.2")]);
  });

  it("drops an address claimed again, and puts it last when freed again", () => {
    const v = view();
    const [a, b] = [claim("10.0.0.1"), claim("10.0.0.2")];
    for (const x of [a, b]) v.noteClaim(x);
    v.forgetClaim(a);
    v.forgetClaim(b);
    const again = claim("10.0.0.1");
    v.noteClaim(again);
    assert.deepEqual(v.recentlyFreed("p"), [v4("10.0.0.2")]);
    v.forgetClaim(again);
    assert.deepEqual(v.recentlyFreed("p"), [v4("10.0.0.2"), v4("10.0.0.1")]);
  });

  it("does not count a claim that is only re-pointed (same object updated) as freed", () => {
    const v = view();
    const a = claim("10.0.0.1");
    v.noteClaim(a);
    v.noteClaim({ ...a, spec: { ...a.spec, podUID: "new" } });
    assert.deepEqual(v.recentlyFreed("p"), []);
  });

  it("remembers at most 1024 addresses per pool, forgetting the oldest", () => {
    const v = view();
    for (let i = 0; i < 1100; i++) {
      const c = claim(`10.0.${i >> 8}.${i & 255}`);
      v.noteClaim(c);
      v.forgetClaim(c);
    }
    const freed = v.recentlyFreed("p");
    assert.equal(freed.length, 1024);
    assert.equal(freed[0], v4("10.0.0.76"));
  });
});

describe("ClusterView: taken addresses", () => {
  const pool = (name: string, ipVersion: 4 | 6 = 4) =>
    ({ metadata: { name }, spec: { ipVersion } }) as unknown as Pool;

  it("is the set of the pool's live claims after any sequence of claim events", () => {
    // A claim is named after its address (lib/schemas/ip-claim.ts), so one name holds one
    // address; a name noted again may move between pools or Pods.
    const op = fc.record({
      forget: fc.boolean(),
      host: fc.integer({ min: 0, max: 40 }),
      other: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), ops => {
        const v = view();
        const live = new Map<string, Claim>();
        for (const { forget, host, other } of ops) {
          const c = claim(`10.0.0.${host}`, other ? "other" : "p");
          const cur = live.get(c.metadata.name);
          if (forget) {
            v.forgetClaim(cur ?? c);
            live.delete(c.metadata.name);
          } else {
            v.noteClaim(c);
            live.set(c.metadata.name, c);
          }
          for (const p of ["p", "other"]) {
            const want = IntervalSet.fromAddresses(
              4,
              [...live.values()].filter(c => c.spec.pool === p).map(c => addressValue(c) as bigint),
            );
            assert.ok(v.taken(pool(p)).equals(want), `pool ${p}`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a claim of the other family in a pool, as the interval set it replaced did", () => {
    const v = view();
    v.noteClaim(claim("10.0.0.1"));
    const six = claim("10.0.0.2");
    six.spec = { ...six.spec, ipVersion: 6, address: "fd00::2" };
    assert.throws(() => v.noteClaim(six), /cannot combine an IPv4 set with an IPv6 set/);
    assert.deepEqual(v.taken(pool("p")).toAddressStrings(), ["10.0.0.1"]);
  });
});

describe("ClusterView: claims by Pod", () => {
  it("finds a Pod's live claims by UID and by namespace/name after any sequence of claim events", () => {
    // Few Pods and addresses, so that keys gain and lose a second and third claim, and a name
    // noted again may move to another Pod.
    const op = fc.record({
      forget: fc.boolean(),
      host: fc.integer({ min: 0, max: 8 }),
      pod: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), ops => {
        const v = view();
        const live = new Map<string, Claim>();
        for (const { forget, host, pod } of ops) {
          const c = claim(`10.0.0.${host}`);
          c.spec = { ...c.spec, podUID: `u-${pod}`, podName: `pod-${pod}` };
          const cur = live.get(c.metadata.name);
          if (forget) {
            v.forgetClaim(cur ?? c);
            live.delete(c.metadata.name);
          } else {
            v.noteClaim(c);
            live.set(c.metadata.name, c);
          }
          for (let p = 0; p < 4; p++) {
            const want = [...live.values()]
              .filter(x => x.spec.podUID === `u-${p}`)
              .map(x => x.metadata.name)
              .sort();
            const names = (cs: Claim[]) => cs.map(x => x.metadata.name).sort();
            assert.deepEqual(names(v.claimsOfUid(`u-${p}`)), want, `uid u-${p}`);
            assert.deepEqual(names(v.claimsOfPodKey("ns", `pod-${p}`)), want, `ns/pod-${p}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("ClusterView: awaitClaim, the winner of a lost race from the watch", () => {
  it("answers at once with a claim the view holds", async () => {
    const v = view();
    const a = claim("10.0.0.1");
    v.noteClaim(a);
    assert.equal((await v.awaitClaim(a.metadata.name, 60_000))?.spec.podUID, a.spec.podUID);
  });

  it("answers when the claim arrives, every caller waiting for that name", async () => {
    const v = view();
    const a = claim("10.0.0.1");
    const first = v.awaitClaim(a.metadata.name, 60_000);
    const second = v.awaitClaim(a.metadata.name, 60_000);
    v.noteClaim(claim("10.0.0.2"));
    v.noteClaim(a);
    assert.deepEqual(
      (await Promise.all([first, second])).map(c => c?.spec.podUID),
      [a.spec.podUID, a.spec.podUID],
    );
  });

  it("answers undefined when the watch does not bring it in time, and a later arrival changes nothing", async () => {
    const v = view();
    const a = claim("10.0.0.1");
    assert.equal(await v.awaitClaim(a.metadata.name, 5), undefined);
    v.noteClaim(a);
    assert.equal(v.claim(a.metadata.name)?.spec.podUID, a.spec.podUID);
  });
});
