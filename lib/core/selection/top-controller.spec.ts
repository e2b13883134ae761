import assert from "node:assert/strict";
import {
  apiVersionOf,
  isOrphan,
  isThirdPartyController,
  topController,
  type ControllerRef,
  type OwnerObject,
  type TopController,
} from "./top-controller.js";

const rsRef: ControllerRef = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  name: "web-5d8f",
  uid: "rs-uid",
  controller: true,
};
const deployRef: ControllerRef = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  name: "web",
  uid: "deploy-uid",
  controller: true,
};
const jobRef: ControllerRef = {
  apiVersion: "batch/v1",
  kind: "Job",
  name: "backup-28000",
  uid: "job-uid",
  controller: true,
};
const cronRef: ControllerRef = {
  apiVersion: "batch/v1",
  kind: "CronJob",
  name: "backup",
  uid: "cron-uid",
  controller: true,
};

function pod(...ownerReferences: ControllerRef[]): {
  namespace: string;
  name: string;
  uid: string;
  ownerReferences: ControllerRef[];
} {
  return { namespace: "ns", name: "p", uid: "pod-uid", ownerReferences };
}

function cache(
  objects: Record<string, OwnerObject>,
): (kind: string, ns: string, name: string) => OwnerObject | undefined {
  return (kind, ns, name) => objects[`${kind}/${ns}/${name}`];
}

describe("top-controller", () => {
  const cases: Array<
    [
      why: string,
      p: ReturnType<typeof pod>,
      objects: Record<string, OwnerObject>,
      top: TopController,
    ]
  > = [
    [
      "no owner: the Pod itself",
      pod(),
      {},
      { group: "", version: "v1", kind: "Pod", namespace: "ns", name: "p", uid: "pod-uid" },
    ],
    [
      "owner not marked controller: orphan",
      pod({ ...rsRef, controller: false }),
      {},
      { group: "", version: "v1", kind: "Pod", namespace: "ns", name: "p", uid: "pod-uid" },
    ],
    [
      "ReplicaSet of a Deployment",
      pod(rsRef),
      {
        "ReplicaSet/ns/web-5d8f": { ownerReferences: [deployRef] },
        "Deployment/ns/web": { uid: "deploy-uid" },
      },
      {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        namespace: "ns",
        name: "web",
        uid: "deploy-uid",
      },
    ],
    [
      "Deployment not readable: UID from the ReplicaSet's reference",
      pod(rsRef),
      { "ReplicaSet/ns/web-5d8f": { ownerReferences: [deployRef] } },
      {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        namespace: "ns",
        name: "web",
        uid: "deploy-uid",
      },
    ],
    [
      "bare ReplicaSet",
      pod(rsRef),
      { "ReplicaSet/ns/web-5d8f": { uid: "rs-uid" } },
      {
        group: "apps",
        version: "v1",
        kind: "ReplicaSet",
        namespace: "ns",
        name: "web-5d8f",
        uid: "rs-uid",
      },
    ],
    [
      "ReplicaSet owned by a non-Deployment controller",
      pod(rsRef),
      {
        "ReplicaSet/ns/web-5d8f": {
          ownerReferences: [
            {
              apiVersion: "apps.kruise.io/v1alpha1",
              kind: "CloneSet",
              name: "c",
              uid: "c",
              controller: true,
            },
          ],
        },
      },
      {
        group: "apps",
        version: "v1",
        kind: "ReplicaSet",
        namespace: "ns",
        name: "web-5d8f",
        uid: "rs-uid",
      },
    ],
    [
      "ReplicaSet missing from the cache: the Pod's reference",
      pod(rsRef),
      {},
      {
        group: "apps",
        version: "v1",
        kind: "ReplicaSet",
        namespace: "ns",
        name: "web-5d8f",
        uid: "rs-uid",
      },
    ],
    [
      "Job of a CronJob",
      pod(jobRef),
      {
        "Job/ns/backup-28000": { ownerReferences: [cronRef] },
        "CronJob/ns/backup": { uid: "cron-uid" },
      },
      {
        group: "batch",
        version: "v1",
        kind: "CronJob",
        namespace: "ns",
        name: "backup",
        uid: "cron-uid",
      },
    ],
    [
      "bare Job",
      pod(jobRef),
      { "Job/ns/backup-28000": {} },
      {
        group: "batch",
        version: "v1",
        kind: "Job",
        namespace: "ns",
        name: "backup-28000",
        uid: "job-uid",
      },
    ],
    [
      "Job owned by a CronJob of another group version",
      pod(jobRef),
      { "Job/ns/backup-28000": { ownerReferences: [{ ...cronRef, apiVersion: "batch/v1beta1" }] } },
      {
        group: "batch",
        version: "v1",
        kind: "Job",
        namespace: "ns",
        name: "backup-28000",
        uid: "job-uid",
      },
    ],
    [
      "StatefulSet",
      pod({
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        name: "db",
        uid: "sts-uid",
        controller: true,
      }),
      {},
      {
        group: "apps",
        version: "v1",
        kind: "StatefulSet",
        namespace: "ns",
        name: "db",
        uid: "sts-uid",
      },
    ],
    [
      "DaemonSet",
      pod({
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        name: "agent",
        uid: "ds-uid",
        controller: true,
      }),
      { "DaemonSet/ns/agent": { uid: "ds-uid" } },
      {
        group: "apps",
        version: "v1",
        kind: "DaemonSet",
        namespace: "ns",
        name: "agent",
        uid: "ds-uid",
      },
    ],
    [
      "third-party CloneSet: verbatim",
      pod({
        apiVersion: "apps.kruise.io/v1alpha1",
        kind: "CloneSet",
        name: "cs",
        uid: "cs-uid",
        controller: true,
      }),
      {},
      {
        group: "apps.kruise.io",
        version: "v1alpha1",
        kind: "CloneSet",
        namespace: "ns",
        name: "cs",
        uid: "cs-uid",
      },
    ],
    [
      "KubeVirt VMI: verbatim",
      pod({
        apiVersion: "kubevirt.io/v1",
        kind: "VirtualMachineInstance",
        name: "vm1",
        uid: "vmi-uid",
        controller: true,
      }),
      {},
      {
        group: "kubevirt.io",
        version: "v1",
        kind: "VirtualMachineInstance",
        namespace: "ns",
        name: "vm1",
        uid: "vmi-uid",
      },
    ],
    [
      "unknown kind in a core apiVersion: verbatim",
      pod({
        apiVersion: "v1",
        kind: "ReplicationController",
        name: "rc",
        uid: "rc-uid",
        controller: true,
      }),
      {},
      {
        group: "",
        version: "v1",
        kind: "ReplicationController",
        namespace: "ns",
        name: "rc",
        uid: "rc-uid",
      },
    ],
  ];
  for (const [why, p, objects, top] of cases)
    it(why, () => assert.deepEqual(topController(p, cache(objects)), top));

  it("reads a Pod object as well", () => {
    const top = topController(
      { metadata: { namespace: "ns", name: "p", uid: "u", ownerReferences: [rsRef] } },
      cache({ "ReplicaSet/ns/web-5d8f": { ownerReferences: [deployRef] } }),
    );
    assert.deepEqual(top, {
      group: "apps",
      version: "v1",
      kind: "Deployment",
      namespace: "ns",
      name: "web",
      uid: "deploy-uid",
    });
  });

  it("asks the cache only for what the walk needs", () => {
    const asked: string[] = [];
    topController(
      pod({
        apiVersion: "apps.kruise.io/v1beta1",
        kind: "StatefulSet",
        name: "x",
        uid: "x",
        controller: true,
      }),
      (k, n, m) => {
        asked.push(`${k}/${n}/${m}`);
        return undefined;
      },
    );
    assert.deepEqual(asked, []);
  });

  describe("classification", () => {
    const of = (group: string, version: string, kind: string): TopController => ({
      group,
      version,
      kind,
      namespace: "ns",
      name: "n",
      uid: "u",
    });
    it("apiVersionOf", () => {
      assert.equal(apiVersionOf(of("", "v1", "Pod")), "v1");
      assert.equal(apiVersionOf(of("apps", "v1", "Deployment")), "apps/v1");
    });
    it("isOrphan", () => {
      assert.equal(isOrphan(of("", "v1", "Pod")), true);
      assert.equal(isOrphan(of("apps", "v1", "Deployment")), false);
    });
    const thirdParty: Array<[TopController, boolean]> = [
      [of("apps", "v1", "Deployment"), false],
      [of("batch", "v1", "CronJob"), false],
      [of("", "v1", "Pod"), false],
      [of("apps.kruise.io", "v1beta1", "StatefulSet"), true],
      [of("kubevirt.io", "v1", "VirtualMachineInstance"), true],
      [of("", "v1", "ReplicationController"), true],
    ];
    for (const [top, expected] of thirdParty) {
      it(`isThirdPartyController ${apiVersionOf(top)} ${top.kind}`, () =>
        assert.equal(isThirdPartyController(top), expected));
    }
  });
});
