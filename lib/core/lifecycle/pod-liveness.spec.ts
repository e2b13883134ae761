import assert from "node:assert/strict";
import { isAlive, type PodLivenessFacts } from "./pod-liveness.js";

describe("pod-liveness", () => {
  const cases: Array<[why: string, pod: PodLivenessFacts | undefined, alive: boolean]> = [
    ["missing Pod", undefined, false],
    ["running", { phase: "Running", restartPolicy: "Always" }, true],
    ["pending without status", {}, true],
    ["being deleted", { deletionTimestamp: "2024-01-01T00:00:00Z", phase: "Running" }, false],
    ["null deletionTimestamp", { deletionTimestamp: null, phase: "Running" }, true],
    ["succeeded, policy Always (restarts)", { phase: "Succeeded", restartPolicy: "Always" }, true],
    ["succeeded, policy OnFailure", { phase: "Succeeded", restartPolicy: "OnFailure" }, false],
    ["succeeded, policy Never", { phase: "Succeeded", restartPolicy: "Never" }, false],
    ["succeeded, policy unset", { phase: "Succeeded" }, false],
    ["failed, policy Never", { phase: "Failed", restartPolicy: "Never" }, false],
    ["failed, policy OnFailure", { phase: "Failed", restartPolicy: "OnFailure" }, true],
    ["failed, policy Always", { phase: "Failed", restartPolicy: "Always" }, true],
    ["evicted", { phase: "Failed", reason: "Evicted", restartPolicy: "Always" }, false],
    [
      "Evicted reason while running",
      { phase: "Running", reason: "Evicted", restartPolicy: "Always" },
      true,
    ],
    ["unknown phase", { phase: "Unknown", restartPolicy: "Never" }, true],
  ];
  for (const [why, pod, alive] of cases) it(why, () => assert.equal(isAlive(pod), alive));

  it("reads the same facts from a Pod object", () => {
    assert.equal(
      isAlive({ metadata: {}, spec: { restartPolicy: "Never" }, status: { phase: "Failed" } }),
      false,
    );
    assert.equal(
      isAlive({ metadata: {}, spec: { restartPolicy: "OnFailure" }, status: { phase: "Failed" } }),
      true,
    );
    assert.equal(isAlive({ metadata: { deletionTimestamp: "2024-01-01T00:00:00Z" } }), false);
    assert.equal(
      isAlive({
        metadata: {},
        status: { phase: "Failed", reason: "Evicted" },
        spec: { restartPolicy: "Always" },
      }),
      false,
    );
    assert.equal(isAlive({ metadata: {} }), true);
  });
});
