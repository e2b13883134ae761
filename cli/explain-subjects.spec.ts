import assert from "node:assert/strict";
import { topController } from "../lib/core/selection/top-controller.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import { CliError } from "./cli-error.js";
import type { ClusterReads, Workload } from "./cluster-reads.js";
import { explainSubjects } from "./explain-command.js";
import { pod } from "./fixtures.js";

/** The Pods `explain deployment/NAME` and `explain statefulset/NAME` look at, from in-memory reads. */
describe("cli/explain-command: workload subjects", () => {
  const owned = (p: Pod, kind: string, name: string, uid: string): Pod => ({
    ...p,
    metadata: {
      ...p.metadata,
      ownerReferences: [{ apiVersion: "apps/v1", kind, name, uid, controller: true }],
    },
  });
  const workload = (name: string, uid: string): Workload => ({
    metadata: { name, namespace: "ns", uid },
    spec: {
      replicas: 2,
      template: {
        metadata: { labels: { app: name }, annotations: { "ipam.spidernet.io/ippool": "x" } },
        spec: { containers: [{ name: "c" }] },
      },
    },
  });
  const reads = (w: Workload | undefined, pods: Pod[], replicaSets: object[] = []) =>
    ({
      workload: async () => w,
      pods: async () => pods,
      replicaSets: async () => replicaSets,
    }) as unknown as ClusterReads;
  const cmd = (kind: "deployment" | "statefulset", name: string) =>
    ({
      name: "explain",
      target: { kind, namespace: "ns", name },
      nic: "eth0",
      defaultIPv4IPPool: [],
      defaultIPv6IPPool: [],
    }) as const;

  it("a Deployment's Pods are those of its own ReplicaSets, in name order", async () => {
    const rs = (name: string, uid: string, owner: string) => ({
      metadata: {
        name,
        uid,
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "Deployment", name: "x", uid: owner, controller: true },
        ],
      },
    });
    const subjects = await explainSubjects(
      reads(
        workload("web", "d1"),
        [
          owned(pod("web-b", "p2"), "ReplicaSet", "web-1", "rs1"),
          owned(pod("web-a", "p1"), "ReplicaSet", "web-2", "rs2"),
          owned(pod("other-a", "p3"), "ReplicaSet", "other-1", "rs3"),
          pod("bare", "p4"),
        ],
        [rs("web-1", "rs1", "d1"), rs("web-2", "rs2", "d1"), rs("other-1", "rs3", "d2")],
      ),
      cmd("deployment", "web"),
    );
    assert.deepEqual(
      subjects.map(s => [s.pod.metadata.name, s.origin, s.workload]),
      [
        ["web-a", "pod", "deployment/web"],
        ["web-b", "pod", "deployment/web"],
      ],
    );
  });

  it("a Deployment without Pods: its template, whose top controller is the Deployment", async () => {
    const [s] = await explainSubjects(reads(workload("web", "d1"), []), cmd("deployment", "web"));
    assert.equal(s?.origin, "template");
    assert.equal(s?.pod.metadata.annotations?.["ipam.spidernet.io/ippool"], "x");
    const top = topController(s!.pod, s!.owners!);
    assert.deepEqual([top.kind, top.name, top.uid], ["Deployment", "web", "d1"]);
  });

  it("a StatefulSet without Pods: its template as ordinal 0, owned by the StatefulSet", async () => {
    const [s] = await explainSubjects(reads(workload("db", "s1"), []), cmd("statefulset", "db"));
    assert.equal(s?.pod.metadata.name, "db-0");
    const top = topController(s!.pod, () => undefined);
    assert.deepEqual([top.kind, top.name, top.uid], ["StatefulSet", "db", "s1"]);
  });

  it("a workload that does not exist is not found (exit 1)", async () => {
    await assert.rejects(
      explainSubjects(reads(undefined, []), cmd("statefulset", "db")),
      (e: unknown) =>
        e instanceof CliError && e.exitCode === 1 && /StatefulSet ns\/db not found/.test(e.message),
    );
  });
});
