import assert from "node:assert/strict";
import {
  isValidStatefulSetPod,
  statefulSetOrdinal,
  type StatefulSetReplicas,
} from "./statefulset-identity.js";

describe("statefulset-identity", () => {
  describe("statefulSetOrdinal", () => {
    const cases: Array<[string, ReturnType<typeof statefulSetOrdinal>]> = [
      ["web-0", { statefulSet: "web", ordinal: 0 }],
      ["web-12", { statefulSet: "web", ordinal: 12 }],
      ["my-db-3", { statefulSet: "my-db", ordinal: 3 }],
      ["web-007", { statefulSet: "web", ordinal: 7 }],
      ["-1", { statefulSet: "", ordinal: 1 }],
      ["web-2147483647", { statefulSet: "web", ordinal: 2147483647 }],
      ["web-2147483648", undefined],
      ["web", undefined],
      ["web-", undefined],
      ["web-1a", undefined],
      ["web-abc-def", undefined],
    ];
    for (const [name, expected] of cases)
      it(name, () => assert.deepEqual(statefulSetOrdinal(name), expected));
  });

  describe("isValidStatefulSetPod", () => {
    const cases: Array<
      [why: string, pod: string, sts: StatefulSetReplicas | undefined, valid: boolean]
    > = [
      ["inside replicas", "web-1", { replicas: 3 }, true],
      ["last ordinal", "web-2", { replicas: 3 }, true],
      ["scaled down", "web-3", { replicas: 3 }, false],
      ["scaled to zero", "web-0", { replicas: 0 }, false],
      ["StatefulSet gone", "web-0", undefined, false],
      ["name without ordinal", "web", { replicas: 3 }, false],
      ["replicas unset defaults to 1", "web-0", {}, true],
      ["replicas unset, ordinal 1", "web-1", {}, false],
      ["ordinals.start: below the start", "web-4", { replicas: 3, ordinalsStart: 5 }, false],
      ["ordinals.start: the start", "web-5", { replicas: 3, ordinalsStart: 5 }, true],
      ["ordinals.start: the end", "web-7", { replicas: 3, ordinalsStart: 5 }, true],
      ["ordinals.start: past the end", "web-8", { replicas: 3, ordinalsStart: 5 }, false],
      ["ordinals.start 0 explicitly", "web-0", { replicas: 1, ordinalsStart: 0 }, true],
    ];
    for (const [why, pod, sts, valid] of cases)
      it(why, () => assert.equal(isValidStatefulSetPod(pod, sts), valid));
  });
});
