import assert from "node:assert/strict";
import { checkFindings, type CheckFacts } from "./check-findings.js";
import { claim, pod, pool } from "./fixtures.js";
import type { Pool } from "./selection-request.js";

describe("cli/check-findings", () => {
  const p = () => pool("a", { ips: ["10.9.0.2-10.9.0.9"] });
  const withStatus = (status: Pool["status"]) => ({ ...p(), status }) as Pool;
  const facts = (f: Partial<CheckFacts>): CheckFacts => ({
    pools: [p()],
    claims: [],
    pods: [],
    statefulSetWants: new Set(),
    ...f,
  });
  const types = (f: CheckFacts) =>
    checkFindings(f).map(x => `${x.type}:${"address" in x ? x.address : x.pool}`);

  it("a claim whose Pod is gone is a leak, carrying the claim's UID and resourceVersion", () => {
    const c = claim("10.9.0.2", "a", "u1");
    const leaked = { ...c, metadata: { ...c.metadata, resourceVersion: "7" } };
    const [f] = checkFindings(facts({ claims: [leaked] }));
    assert.equal(f?.type, "LeakedClaim");
    assert.deepEqual(f?.type === "LeakedClaim" && f.claim, {
      name: "10.9.0.2",
      uid: "claim-10.9.0.2",
      resourceVersion: "7",
    });
    assert.match(f?.type === "LeakedClaim" ? f.reason : "", /no longer exists/);
  });

  it("a claim of a live Pod, a quarantined claim, and a StatefulSet claim still wanted are not leaks", () => {
    const live = claim("10.9.0.2", "a", "u1");
    const quarantined = claim("10.9.0.3", "a", "quarantine", {
      quarantine: { until: "2099-01-01T00:00:00Z", since: "x", mac: "m", podUID: "u0" },
    });
    const sts = claim("10.9.0.4", "a", "u9", { static: true, podName: "web-1" });
    const f = facts({
      claims: [live, quarantined, sts],
      pods: [pod("pod-u1", "u1", { phase: "Pending" })],
      statefulSetWants: new Set(["10.9.0.4"]),
    });
    assert.deepEqual(types(f), ["PoolStatusMismatch:a"]); // status never written in this fixture
  });

  it("a finished Pod's claim is a leak; -n keeps only that namespace's claims and no pool findings", () => {
    const done = claim("10.9.0.2", "a", "u1");
    const other = claim("10.9.0.3", "a", "u2", { podNamespace: "other" });
    const f = facts({ claims: [done, other], pods: [pod("pod-u1", "u1", { phase: "Succeeded" })] });
    assert.deepEqual(types(f).sort(), [
      "LeakedClaim:10.9.0.2",
      "LeakedClaim:10.9.0.3",
      "PoolStatusMismatch:a",
    ]);
    assert.deepEqual(types({ ...f, namespace: "ns" }), ["LeakedClaim:10.9.0.2"]);
  });

  it("a Running Pod showing a pool address without its claim; addresses outside every pool are not ours", () => {
    const running = (name: string, uid: string, ip: string) => {
      const x = pod(name, uid);
      return { ...x, status: { ...x.status, podIPs: [{ ip }] } };
    };
    const f = facts({
      pools: [
        withStatus({
          allocatedIPCount: 1,
          totalIPCount: 8,
          allocatedIPs: JSON.stringify({ "10.9.0.5": { pod: "ns/pod-u7", podUid: "u7" } }),
        }),
      ],
      claims: [claim("10.9.0.5", "a", "u7")],
      pods: [
        running("pod-u7", "u7", "10.9.0.5"),
        running("unclaimed", "u8", "10.9.0.6"),
        running("foreign", "u9", "192.168.1.1"),
        running("thief", "u10", "10.9.0.5"),
      ],
    });
    const found = checkFindings(f);
    assert.deepEqual(
      found.map(x => [x.type, "pod" in x ? x.pod : "", x.reason]),
      [
        [
          "UnclaimedPodAddress",
          "ns/unclaimed",
          "no IPClaim for 10.9.0.6: another Pod may be given it",
        ],
        ["UnclaimedPodAddress", "ns/thief", "the claim of 10.9.0.5 names Pod ns/pod-u7 (uid u7)"],
      ],
    );
  });

  it("pool status that disagrees with the claims, and agrees once it matches", () => {
    const c = claim("10.9.0.2", "a", "u1");
    const live = pod("pod-u1", "u1");
    const stale = facts({
      pools: [withStatus({ allocatedIPCount: 0, totalIPCount: 8 })],
      claims: [c],
      pods: [live],
    });
    assert.deepEqual(
      checkFindings(stale).map(x => x.reason),
      ["status.allocatedIPCount is 0, the pool has 1 claim(s)"],
    );
    const good = facts({
      pools: [
        withStatus({
          allocatedIPCount: 1,
          totalIPCount: 8,
          allocatedIPs: JSON.stringify({ "10.9.0.2": { pod: "ns/pod-u1", podUid: "u1" } }),
        }),
      ],
      claims: [c],
      pods: [live],
    });
    assert.deepEqual(checkFindings(good), []);
  });
});
