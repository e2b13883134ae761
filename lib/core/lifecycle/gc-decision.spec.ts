import assert from "node:assert/strict";
import fc from "fast-check";
import {
  gcDecision,
  type GcPolicy,
  type NodeFacts,
  type PodFacts,
  type SandboxFacts,
} from "./gc-decision.js";

const policy: GcPolicy = {
  additionalGraceDelaySeconds: 0,
  terminatingPodOnReadyNode: true,
  terminatingPodOnNotReadyNode: true,
  statelessRunningPodOnEmptyPodStatusIPs: false,
  notReadyNodeReleaseAfterSeconds: 0,
  // The rows below that predate the agent's confirmation judge without it; "waiting" waits.
  readyNodeReleaseAfterSeconds: 0,
};
const now = Date.parse("2026-11-26T12:00:00Z");
const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
const running: PodFacts = {
  uid: "u1",
  phase: "Running",
  restartPolicy: "Always",
  podIPs: ["10.0.0.1"],
};
const ready: NodeFacts = { state: "ready" };
const dead: NodeFacts = { state: "dead" };
const notReady: NodeFacts = { state: "notReady", since: now - 60_000 };
const bounded = { ...policy, notReadyNodeReleaseAfterSeconds: 300 };
const stuck = (graceAgo: number, grace: number): PodFacts => ({
  ...running,
  deletionTimestamp: iso(graceAgo),
  deletionGracePeriodSeconds: grace,
});
const claim = { podUID: "u1", static: false };
const waiting = { ...policy, readyNodeReleaseAfterSeconds: 600 };
const confirmed: SandboxFacts = { state: "gone", how: "its sandbox's netns is gone" };
const unconfirmed = (msAgo: number, holder?: string): SandboxFacts => ({
  state: "unconfirmed",
  since: now - msAgo,
  holder,
});
const sts = { podUID: "u1", static: true };

describe("gcDecision", () => {
  const table: [string, Parameters<typeof gcDecision>, string][] = [
    ["running Pod keeps", [claim, running, false, ready, now, policy], "keep"],
    [
      "pending Pod without IPs keeps",
      [claim, { ...running, phase: "Pending", podIPs: [] }, false, ready, now, policy],
      "keep",
    ],
    ["gone Pod releases", [claim, undefined, false, ready, now, policy], "release"],
    [
      "gone StatefulSet Pod with a valid ordinal keeps",
      [sts, undefined, true, ready, now, policy],
      "keep",
    ],
    [
      "gone StatefulSet Pod scaled away releases",
      [sts, undefined, false, ready, now, policy],
      "release",
    ],
    [
      "re-created Pod (other UID) releases",
      [claim, { ...running, uid: "u2" }, false, ready, now, policy],
      "release",
    ],
    [
      "re-created StatefulSet Pod keeps for takeover",
      [sts, { ...running, uid: "u2" }, true, ready, now, policy],
      "keep",
    ],
    [
      "terminating within grace rechecks",
      [
        claim,
        { ...running, deletionTimestamp: iso(1000), deletionGracePeriodSeconds: 30 },
        false,
        ready,
        now,
        policy,
      ],
      "recheck",
    ],
    [
      "terminating past grace releases",
      [
        claim,
        { ...running, deletionTimestamp: iso(31_000), deletionGracePeriodSeconds: 30 },
        false,
        ready,
        now,
        policy,
      ],
      "release",
    ],
    [
      "terminating past grace on a NotReady node with the switch off keeps",
      [
        claim,
        stuck(60_000, 0),
        false,
        notReady,
        now,
        { ...policy, terminatingPodOnNotReadyNode: false },
      ],
      "keep",
    ],
    [
      "terminating StatefulSet Pod with valid ordinal keeps",
      [sts, { ...running, deletionTimestamp: iso(60_000) }, true, ready, now, policy],
      "keep",
    ],
    [
      "succeeded Job Pod past grace releases",
      [
        claim,
        {
          ...running,
          phase: "Succeeded",
          restartPolicy: "Never",
          finishedAt: iso(40_000),
          terminationGracePeriodSeconds: 30,
        },
        false,
        ready,
        now,
        policy,
      ],
      "release",
    ],
    [
      "succeeded Job Pod within grace rechecks",
      [
        claim,
        {
          ...running,
          phase: "Succeeded",
          restartPolicy: "Never",
          finishedAt: iso(1000),
          terminationGracePeriodSeconds: 30,
        },
        false,
        ready,
        now,
        policy,
      ],
      "recheck",
    ],
    [
      "failed Pod that restarts (OnFailure) keeps",
      [
        claim,
        { ...running, phase: "Failed", restartPolicy: "OnFailure" },
        false,
        ready,
        now,
        policy,
      ],
      "keep",
    ],
    [
      "running Pod without podIPs keeps by default",
      [claim, { ...running, podIPs: [] }, false, ready, now, policy],
      "keep",
    ],
    [
      "running Pod without podIPs releases when switched on",
      [
        claim,
        { ...running, podIPs: [] },
        false,
        ready,
        now,
        { ...policy, statelessRunningPodOnEmptyPodStatusIPs: true },
      ],
      "release",
    ],
    // A NotReady node may still answer ARP for the address: wait until it is known dead.
    ["gone Pod on a NotReady node keeps", [claim, undefined, false, notReady, now, policy], "keep"],
    [
      "gone Pod on a NotReady node of unknown age rechecks under a bound",
      [claim, undefined, false, { state: "notReady" }, now, bounded],
      "recheck",
    ],
    [
      "gone Pod on a deleted or out-of-service node releases",
      [claim, undefined, false, dead, now, policy],
      "release",
    ],
    [
      "re-created Pod whose old node is NotReady keeps",
      [claim, { ...running, uid: "u2" }, false, notReady, now, policy],
      "keep",
    ],
    [
      "terminating past grace on a NotReady node keeps",
      [claim, stuck(31_000, 30), false, notReady, now, policy],
      "keep",
    ],
    [
      "terminating past grace on a dead node releases",
      [claim, stuck(31_000, 30), false, dead, now, policy],
      "release",
    ],
    [
      "terminating within grace on a NotReady node rechecks",
      [claim, stuck(1000, 30), false, notReady, now, policy],
      "recheck",
    ],
    [
      "gone Pod on a node NotReady within the bound rechecks",
      [claim, undefined, false, notReady, now, bounded],
      "recheck",
    ],
    [
      "gone Pod on a node NotReady past the bound releases",
      [claim, undefined, false, { state: "notReady", since: now - 301_000 }, now, bounded],
      "release",
    ],
    [
      "terminating on a node NotReady past the bound releases",
      [claim, stuck(31_000, 30), false, { state: "notReady", since: now - 301_000 }, now, bounded],
      "release",
    ],
    // A Ready node: its agent confirms that no sandbox holds the addresses, or the bound passes.
    [
      "gone Pod on a Ready node waits for its agent",
      [claim, undefined, false, ready, now, waiting],
      "recheck",
    ],
    [
      "gone Pod on a Ready node releases once its agent confirms",
      [claim, undefined, false, ready, now, waiting, confirmed],
      "release",
    ],
    [
      "gone Pod whose sandbox is still held waits within the bound",
      [claim, undefined, false, ready, now, waiting, unconfirmed(599_000, "c1/eth0")],
      "recheck",
    ],
    [
      "gone Pod unconfirmed past the bound releases",
      [claim, undefined, false, ready, now, waiting, unconfirmed(600_000, "c1/eth0")],
      "release",
    ],
    [
      "re-created Pod on a Ready node waits for its agent",
      [claim, { ...running, uid: "u2" }, false, ready, now, waiting],
      "recheck",
    ],
    [
      "terminating past grace on a Ready node waits for its agent",
      [claim, stuck(31_000, 30), false, ready, now, waiting, unconfirmed(31_000)],
      "recheck",
    ],
    [
      "terminating within grace on a Ready node rechecks even when confirmed",
      [claim, stuck(1000, 30), false, ready, now, waiting, confirmed],
      "recheck",
    ],
    [
      "confirmed gone on a NotReady node releases (its agent is back)",
      [claim, undefined, false, notReady, now, policy, confirmed],
      "release",
    ],
    [
      "confirmation does not free a gone StatefulSet Pod's wanted ordinal",
      [sts, undefined, true, ready, now, waiting, confirmed],
      "keep",
    ],
    [
      "confirmation does not free a live Pod",
      [claim, running, false, ready, now, waiting, confirmed],
      "keep",
    ],
  ];
  for (const [why, args, action] of table)
    it(why, () => assert.equal(gcDecision(...args).action, action));

  it("adds the configured delay to the grace period", () => {
    const pod = { ...running, deletionTimestamp: iso(31_000), deletionGracePeriodSeconds: 30 };
    const v = gcDecision(claim, pod, false, ready, now, {
      ...policy,
      additionalGraceDelaySeconds: 60,
    });
    assert.equal(v.action, "recheck");
    assert.equal(v.action === "recheck" && v.at, now - 31_000 + 90_000);
  });

  it("waits on a NotReady node until the bound, never before the grace deadline", () => {
    const gone = gcDecision(claim, undefined, false, notReady, now, bounded);
    assert.equal(gone.action === "recheck" && gone.at, now - 60_000 + 300_000);
    const late = gcDecision(
      claim,
      stuck(0, 600),
      false,
      { state: "notReady", since: now - 301_000 },
      now,
      bounded,
    );
    assert.equal(late.action === "recheck" && late.at, now + 600_000);
  });

  it("on a Ready node, waits from the grace deadline or from the first look, whichever is later", () => {
    const stuckPod = gcDecision(
      claim,
      stuck(31_000, 30),
      false,
      ready,
      now,
      waiting,
      unconfirmed(40_000),
    );
    assert.equal(stuckPod.action === "recheck" && stuckPod.at, now - 1000 + 600_000);
    const gone = gcDecision(claim, undefined, false, ready, now, waiting, unconfirmed(10_000));
    assert.equal(gone.action === "recheck" && gone.at, now - 10_000 + 600_000);
  });

  it("says when it releases without the sandbox's end known", () => {
    const v = gcDecision(
      claim,
      undefined,
      false,
      ready,
      now,
      waiting,
      unconfirmed(601_000, "c1/eth0"),
    );
    assert.equal(v.action === "release" && v.unconfirmed, true);
    assert.match(v.reason, /gc\.readyNodeReleaseAfterSeconds.*c1\/eth0/);
    const ok = gcDecision(claim, undefined, false, ready, now, waiting, confirmed);
    assert.equal(ok.action === "release" && ok.unconfirmed, undefined);
    assert.match(ok.reason, /netns is gone/);
  });

  it("never releases a gone or stuck Pod's address on a Ready node before the bound without its agent's word", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.nat(3_600_000),
        fc.nat(599_999),
        (gone, recreated, graceAgo, waitedMs) => {
          const pod = gone ? undefined : recreated ? { ...running, uid: "u2" } : stuck(graceAgo, 0);
          const since = gone || recreated ? waitedMs : Math.min(graceAgo, waitedMs);
          return (
            gcDecision(claim, pod, false, ready, now, waiting, unconfirmed(since)).action !==
            "release"
          );
        },
      ),
    );
  });

  it("never releases an address whose node is NotReady while no bound is set", () => {
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom("Running", "Pending"), { nil: undefined }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(3_600_000),
        fc.option(fc.nat(86_400_000), { nil: undefined }),
        (phase, recreated, terminating, graceAgo, sinceAgo) => {
          const pod = phase
            ? {
                ...(terminating ? stuck(graceAgo, 0) : running),
                phase,
                uid: recreated ? "u2" : "u1",
              }
            : undefined;
          const node: NodeFacts = {
            state: "notReady",
            since: sinceAgo === undefined ? undefined : now - sinceAgo,
          };
          return gcDecision(claim, pod, false, node, now, policy).action !== "release";
        },
      ),
    );
  });

  it("never releases the address of the live incarnation of its Pod", () => {
    fc.assert(
      fc.property(
        fc.record({
          phase: fc.constantFrom("Pending", "Running", "Succeeded", "Failed", "Unknown"),
          restartPolicy: fc.constantFrom("Always", "OnFailure", "Never"),
          reason: fc.constantFrom(undefined, "Evicted"),
          podIPs: fc.array(fc.constant("10.0.0.1"), { maxLength: 1 }),
        }),
        fc.constantFrom<NodeFacts>(ready, dead, notReady),
        fc.boolean(),
        fc.boolean(),
        (facts, node, isStatic, stsValid) => {
          const pod: PodFacts = { uid: "u1", ...facts };
          const alive =
            !(facts.phase === "Succeeded" && facts.restartPolicy !== "Always") &&
            !(
              facts.phase === "Failed" &&
              (facts.restartPolicy === "Never" || facts.reason === "Evicted")
            );
          const v = gcDecision(
            { podUID: "u1", static: isStatic },
            pod,
            stsValid,
            node,
            now,
            bounded,
          );
          return !alive || v.action !== "release";
        },
      ),
    );
  });
});
