import assert from "node:assert/strict";
import fc from "fast-check";
import { gcDecision, type GcPolicy, type PodFacts } from "./gc-decision.js";

const policy: GcPolicy = {
  additionalGraceDelaySeconds: 0,
  terminatingPodOnReadyNode: true,
  terminatingPodOnNotReadyNode: true,
  statelessRunningPodOnEmptyPodStatusIPs: false,
};
const now = Date.parse("2026-11-26T12:00:00Z");
const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
const running: PodFacts = { uid: "u1", phase: "Running", restartPolicy: "Always", podIPs: ["10.0.0.1"], nodeReady: true };
const claim = { podUID: "u1", static: false };
const sts = { podUID: "u1", static: true };

describe("gcDecision", () => {
  const table: [string, Parameters<typeof gcDecision>, string][] = [
    ["running Pod keeps", [claim, running, false, now, policy], "keep"],
    ["pending Pod without IPs keeps", [claim, { ...running, phase: "Pending", podIPs: [] }, false, now, policy], "keep"],
    ["gone Pod releases", [claim, undefined, false, now, policy], "release"],
    ["gone StatefulSet Pod with a valid ordinal keeps", [sts, undefined, true, now, policy], "keep"],
    ["gone StatefulSet Pod scaled away releases", [sts, undefined, false, now, policy], "release"],
    ["re-created Pod (other UID) releases", [claim, { ...running, uid: "u2" }, false, now, policy], "release"],
    ["re-created StatefulSet Pod keeps for takeover", [sts, { ...running, uid: "u2" }, true, now, policy], "keep"],
    ["terminating within grace rechecks", [claim, { ...running, deletionTimestamp: iso(1000), deletionGracePeriodSeconds: 30 }, false, now, policy], "recheck"],
    ["terminating past grace releases", [claim, { ...running, deletionTimestamp: iso(31_000), deletionGracePeriodSeconds: 30 }, false, now, policy], "release"],
    [
      "terminating past grace on a NotReady node with the switch off keeps",
      [claim, { ...running, nodeReady: false, deletionTimestamp: iso(60_000), deletionGracePeriodSeconds: 0 }, false, now, { ...policy, terminatingPodOnNotReadyNode: false }],
      "keep",
    ],
    ["terminating StatefulSet Pod with valid ordinal keeps", [sts, { ...running, deletionTimestamp: iso(60_000) }, true, now, policy], "keep"],
    ["succeeded Job Pod past grace releases", [claim, { ...running, phase: "Succeeded", restartPolicy: "Never", finishedAt: iso(40_000), terminationGracePeriodSeconds: 30 }, false, now, policy], "release"],
    ["succeeded Job Pod within grace rechecks", [claim, { ...running, phase: "Succeeded", restartPolicy: "Never", finishedAt: iso(1000), terminationGracePeriodSeconds: 30 }, false, now, policy], "recheck"],
    ["failed Pod that restarts (OnFailure) keeps", [claim, { ...running, phase: "Failed", restartPolicy: "OnFailure" }, false, now, policy], "keep"],
    ["running Pod without podIPs keeps by default", [claim, { ...running, podIPs: [] }, false, now, policy], "keep"],
    ["running Pod without podIPs releases when switched on", [claim, { ...running, podIPs: [] }, false, now, { ...policy, statelessRunningPodOnEmptyPodStatusIPs: true }], "release"],
  ];
  for (const [why, args, action] of table) it(why, () => assert.equal(gcDecision(...args).action, action));

  it("adds the configured delay to the grace period", () => {
    const pod = { ...running, deletionTimestamp: iso(31_000), deletionGracePeriodSeconds: 30 };
    const v = gcDecision(claim, pod, false, now, { ...policy, additionalGraceDelaySeconds: 60 });
    assert.equal(v.action, "recheck");
    assert.equal(v.action === "recheck" && v.at, now - 31_000 + 90_000);
  });

  it("never releases the address of the live incarnation of its Pod", () => {
    fc.assert(
      fc.property(
        fc.record({
          phase: fc.constantFrom("Pending", "Running", "Succeeded", "Failed", "Unknown"),
          restartPolicy: fc.constantFrom("Always", "OnFailure", "Never"),
          reason: fc.constantFrom(undefined, "Evicted"),
          podIPs: fc.array(fc.constant("10.0.0.1"), { maxLength: 1 }),
          nodeReady: fc.boolean(),
        }),
        fc.boolean(),
        fc.boolean(),
        (facts, isStatic, stsValid) => {
          const pod: PodFacts = { uid: "u1", ...facts };
          const alive = !(facts.phase === "Succeeded" && facts.restartPolicy !== "Always") && !(facts.phase === "Failed" && (facts.restartPolicy === "Never" || facts.reason === "Evicted"));
          const v = gcDecision({ podUID: "u1", static: isStatic }, pod, stsValid, now, policy);
          return !alive || v.action !== "release";
        },
      ),
    );
  });
});
