import assert from "node:assert/strict";
import {
  isAutoPoolUnit,
  workloadIdentity,
  workloadReplicas,
  type WorkloadFacts,
} from "./auto-pool-workload.js";

const base: WorkloadFacts = {
  kind: "Deployment",
  namespace: "ns",
  name: "web",
  uid: "u-1",
  templateAnnotations: {},
  hostNetwork: false,
};

describe("auto-pool-workload", () => {
  describe("workloadReplicas", () => {
    const cases: Array<[string, Partial<WorkloadFacts>, number]> = [
      ["Deployment replicas", { kind: "Deployment", replicas: 3 }, 3],
      ["Deployment replicas unset", { kind: "Deployment" }, 0],
      ["Deployment replicas null", { kind: "Deployment", replicas: null }, 0],
      ["ReplicaSet replicas", { kind: "ReplicaSet", replicas: 2 }, 2],
      ["StatefulSet replicas", { kind: "StatefulSet", replicas: 7 }, 7],
      [
        "DaemonSet uses desiredNumberScheduled, not replicas",
        { kind: "DaemonSet", replicas: 9, desiredNumberScheduled: 4 },
        4,
      ],
      ["DaemonSet not yet scheduled", { kind: "DaemonSet" }, 0],
      ["Job parallelism only", { kind: "Job", parallelism: 3 }, 3],
      ["Job parallelism 0 counts 1", { kind: "Job", parallelism: 0 }, 1],
      ["Job completions only", { kind: "Job", completions: 5 }, 5],
      ["Job completions 0 counts 1", { kind: "Job", completions: 0 }, 1],
      ["Job both: completions", { kind: "Job", parallelism: 2, completions: 6 }, 6],
      ["Job both, completions 0: 1", { kind: "Job", parallelism: 2, completions: 0 }, 1],
      ["Job neither: 1", { kind: "Job" }, 1],
      ["CronJob template like a Job", { kind: "CronJob", parallelism: 4 }, 4],
    ];
    for (const [name, facts, want] of cases)
      it(name, () => assert.equal(workloadReplicas({ ...base, ...facts }), want));
  });

  describe("isAutoPoolUnit", () => {
    const cases: Array<[string, Partial<WorkloadFacts>, boolean]> = [
      ["plain Deployment", {}, true],
      ["host network is ignored", { hostNetwork: true }, false],
      [
        "ReplicaSet of a Deployment: its parent is the unit",
        { kind: "ReplicaSet", controller: { apiVersion: "apps/v1", kind: "Deployment" } },
        false,
      ],
      ["bare ReplicaSet", { kind: "ReplicaSet" }, true],
      [
        "ReplicaSet of a third-party controller",
        { kind: "ReplicaSet", controller: { apiVersion: "example.io/v1", kind: "Deployment" } },
        true,
      ],
      [
        "Job of a CronJob",
        { kind: "Job", controller: { apiVersion: "batch/v1", kind: "CronJob" } },
        false,
      ],
      ["bare Job", { kind: "Job" }, true],
      ["StatefulSet", { kind: "StatefulSet" }, true],
    ];
    for (const [name, facts, want] of cases)
      it(name, () => assert.equal(isAutoPoolUnit({ ...base, ...facts }), want));
  });

  it("workloadIdentity gives the group of the kind", () => {
    assert.deepEqual(workloadIdentity({ ...base, kind: "CronJob" }), {
      group: "batch",
      version: "v1",
      kind: "CronJob",
      namespace: "ns",
      name: "web",
      uid: "u-1",
    });
    assert.equal(workloadIdentity({ ...base, kind: "StatefulSet" }).group, "apps");
  });
});
