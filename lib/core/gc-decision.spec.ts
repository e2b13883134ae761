import assert from "node:assert/strict";
import fc from "fast-check";
import { gcDecision, type GcPolicy, type NodeFacts, type PodFacts } from "./gc-decision.js";

const policy: GcPolicy = {
  additionalGraceDelaySeconds: 0,
  terminatingPodOnReadyNode: true,
  terminatingPodOnNotReadyNode: true,
  statelessRunningPodOnEmptyPodStatusIPs: false,
  notReadyNodeReleaseAfterSeconds: 0,
};
const now = Date.parse("2026-11-26T12:00:00Z");
const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
const running: PodFacts = { uid: "u1", phase: "Running", restartPolicy: "Always", podIPs: ["10.0.0.1"] };
const ready: NodeFacts = { state: "ready" };
const dead: NodeFacts = { state: "dead" };
const notReady: NodeFacts = { state: "notReady", since: now - 60_000 };
const bounded = { ...policy, notReadyNodeReleaseAfterSeconds: 300 };
const stuck = (graceAgo: number, grace: number): PodFacts => ({ ...running, deletionTimestamp: iso(graceAgo), deletionGracePeriodSeconds: grace });
const claim = { podUID: "u1", static: false };
const sts = { podUID: "u1", static: true };

describe("gcDecision", () => {
  const table: [string, Parameters<typeof gcDecision>, string][] = [
    ["running Pod keeps", [claim, running, false, ready, now, policy], "keep"],
    ["pending Pod without IPs keeps", [claim, { ...running, phase: "Pending", podIPs: [] }, false, ready, now, policy], "keep"],
    ["gone Pod releases", [claim, undefined, false, ready, now, policy], "release"],
    ["gone StatefulSet Pod with a valid ordinal keeps", [sts, undefined, true, ready, now, policy], "keep"],
    ["gone StatefulSet Pod scaled away releases", [sts, undefined, false, ready, now, policy], "release"],
    ["re-created Pod (other UID) releases", [claim, { ...running, uid: "u2" }, false, ready, now, policy], "release"],
    ["re-created StatefulSet Pod keeps for takeover", [sts, { ...running, uid: "u2" }, true, ready, now, policy], "keep"],
    ["terminating within grace rechecks", [claim, { ...running, deletionTimestamp: iso(1000), deletionGracePeriodSeconds: 30 }, false, ready, now, policy], "recheck"],
    ["terminating past grace releases", [claim, { ...running, deletionTimestamp: iso(31_000), deletionGracePeriodSeconds: 30 }, false, ready, now, policy], "release"],
    ["terminating past grace on a NotReady node with the switch off keeps", [claim, stuck(60_000, 0), false, notReady, now, { ...policy, terminatingPodOnNotReadyNode: false }], "keep"],
    ["terminating StatefulSet Pod with valid ordinal keeps", [sts, { ...running, deletionTimestamp: iso(60_000) }, true, ready, now, policy], "keep"],
    [
      "succeeded Job Pod past grace releases",
      [claim, { ...running, phase: "Succeeded", restartPolicy: "Never", finishedAt: iso(40_000), terminationGracePeriodSeconds: 30 }, false, ready, now, policy],
      "release",
    ],
    [
      "succeeded Job Pod within grace rechecks",
      [claim, { ...running, phase: "Succeeded", restartPolicy: "Never", finishedAt: iso(1000), terminationGracePeriodSeconds: 30 }, false, ready, now, policy],
      "recheck",
    ],
    ["failed Pod that restarts (OnFailure) keeps", [claim, { ...running, phase: "Failed", restartPolicy: "OnFailure" }, false, ready, now, policy], "keep"],
    ["running Pod without podIPs keeps by default", [claim, { ...running, podIPs: [] }, false, ready, now, policy], "keep"],
    ["running Pod without podIPs releases when switched on", [claim, { ...running, podIPs: [] }, false, ready, now, { ...policy, statelessRunningPodOnEmptyPodStatusIPs: true }], "release"],
    // A NotReady node may still answer ARP for the address: wait until it is known dead.
    ["gone Pod on a NotReady node keeps", [claim, undefined, false, notReady, now, policy], "keep"],
    ["gone Pod on a NotReady node of unknown age rechecks under a bound", [claim, undefined, false, { state: "notReady" }, now, bounded], "recheck"],
    ["gone Pod on a deleted or out-of-service node releases", [claim, undefined, false, dead, now, policy], "release"],
    ["re-created Pod whose old node is NotReady keeps", [claim, { ...running, uid: "u2" }, false, notReady, now, policy], "keep"],
    ["terminating past grace on a NotReady node keeps", [claim, stuck(31_000, 30), false, notReady, now, policy], "keep"],
    ["terminating past grace on a dead node releases", [claim, stuck(31_000, 30), false, dead, now, policy], "release"],
    ["terminating within grace on a NotReady node rechecks", [claim, stuck(1000, 30), false, notReady, now, policy], "recheck"],
    ["gone Pod on a node NotReady within the bound rechecks", [claim, undefined, false, notReady, now, bounded], "recheck"],
    ["gone Pod on a node NotReady past the bound releases", [claim, undefined, false, { state: "notReady", since: now - 301_000 }, now, bounded], "release"],
    ["terminating on a node NotReady past the bound releases", [claim, stuck(31_000, 30), false, { state: "notReady", since: now - 301_000 }, now, bounded], "release"],
  ];
  for (const [why, args, action] of table) it(why, () => assert.equal(gcDecision(...args).action, action));

  it("adds the configured delay to the grace period", () => {
    const pod = { ...running, deletionTimestamp: iso(31_000), deletionGracePeriodSeconds: 30 };
    const v = gcDecision(claim, pod, false, ready, now, { ...policy, additionalGraceDelaySeconds: 60 });
    assert.equal(v.action, "recheck");
    assert.equal(v.action === "recheck" && v.at, now - 31_000 + 90_000);
  });

  it("waits on a NotReady node until the bound, never before the grace deadline", () => {
    const gone = gcDecision(claim, undefined, false, notReady, now, bounded);
    assert.equal(gone.action === "recheck" && gone.at, now - 60_000 + 300_000);
    const late = gcDecision(claim, stuck(0, 600), false, { state: "notReady", since: now - 301_000 }, now, bounded);
    assert.equal(late.action === "recheck" && late.at, now + 600_000);
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
          const pod = phase ? { ...(terminating ? stuck(graceAgo, 0) : running), phase, uid: recreated ? "u2" : "u1" } : undefined;
          const node: NodeFacts = { state: "notReady", since: sinceAgo === undefined ? undefined : now - sinceAgo };
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
          const alive = !(facts.phase === "Succeeded" && facts.restartPolicy !== "Always") && !(facts.phase === "Failed" && (facts.restartPolicy === "Never" || facts.reason === "Evicted"));
          const v = gcDecision({ podUID: "u1", static: isStatic }, pod, stsValid, node, now, bounded);
          return !alive || v.action !== "release";
        },
      ),
    );
  });
});
