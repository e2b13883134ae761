import assert from "node:assert/strict";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import { adminClient, killNode, loadState, reviveNode } from "../cluster/cluster.js";
import {
  apply,
  createNamespace,
  deleteNamespace,
  listPods,
  waitGone,
  waitRunning,
} from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import { assertWireClean } from "../support/wire-audit.js";

/**
 * IP garbage collection on the real cluster: addresses come back to their pool when the Pod no
 * longer needs them even though CNI DEL never ran, and never while the live Pod holds them.
 */
describe("gc: addresses come back without CNI DEL", function () {
  const ns = `gc-${Date.now().toString(36)}`;
  const poolName = ns;
  let api: ApiClient;

  const claims = async () =>
    (
      await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, {
        labelSelector: `ipam.pepr-spiderpool.io/pod-namespace=${ns}`,
      })
    ).items;
  const claimOf = async (pod: Pod) =>
    (await claims()).find(c => c.spec.podUID === pod.metadata.uid);
  const pod = (name: string, extra: Record<string, string> = {}, spec = "") => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels: {app: ${name}}
  annotations: ${JSON.stringify(extra)}
spec:
  terminationGracePeriodSeconds: 3
  containers: [{name: c, image: registry.invalid/pause}]
${spec}`;

  before(async () => {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${poolName}}
spec: {subnet: 10.170.0.0/16, ips: ["10.170.0.1-10.170.0.50"], gateway: 10.170.0.254}
`);
    await createNamespace(
      api,
      ns,
      {},
      { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([poolName]) },
    );
  });

  after(async () => {
    const state = loadState();
    for (const n of state?.nodes ?? []) reviveNode(state!, n.name);
    await deleteNamespace(api, ns);
    await waitFor(
      `namespace ${ns} gone`,
      () =>
        api.get(`/api/v1/namespaces/${ns}`).then(
          () => false,
          () => true,
        ),
      120_000,
    ).catch(() => undefined);
    await api
      .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${poolName}`)
      .catch(() => undefined);
    api.close();
  });

  // The node's kubelet is frozen but its agent runs and the pod's sandbox stays up: the agent's
  // record shows a live sandbox, so the address waits (docs/concepts/gc.md, "Ready nodes: the
  // agent confirms") until the kubelet is back and tears the sandbox down.
  it("keeps the address of a pod force-deleted while its kubelet is down and its sandbox up; releases it once the sandbox is gone", async () => {
    apply(pod("lost"));
    const [p] = await waitRunning(api, ns, "app=lost", 1);
    const c = await claimOf(p!);
    assert.ok(c, "the running pod has a claim");
    const state = loadState()!;
    killNode(state, p!.spec.nodeName!);
    try {
      await api.request("DELETE", `/api/v1/namespaces/${ns}/pods/lost`, {
        body: { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0 },
      });
      // Beyond the agents' sandbox check (10 s) and the GC's reaction to the deletion.
      await new Promise(r => setTimeout(r, 15_000));
      assert.ok(
        (await claims()).some(x => x.metadata.name === c!.metadata.name),
        "released while the sandbox still held the address",
      );
    } finally {
      reviveNode(state, p!.spec.nodeName!);
    }
    await waitFor(
      "claim released once the sandbox is torn down",
      async () => !(await claims()).some(x => x.metadata.name === c!.metadata.name),
      60_000,
    );
    await assertWireClean(api, loadState()!, "gc: after the force-deleted pod on a down node");
  });

  it("keeps the address of a pod stuck Terminating past its grace period while its sandbox is up, releases it after", async () => {
    apply(pod("stuck"));
    const [p] = await waitRunning(api, ns, "app=stuck", 1);
    const c = (await claimOf(p!))!;
    const state = loadState()!;
    killNode(state, p!.spec.nodeName!);
    try {
      await api.delete(`/api/v1/namespaces/${ns}/pods/stuck`);
      // The pod object stays (no kubelet to finish it); past its 3 s grace the sandbox still lives.
      await new Promise(r => setTimeout(r, 15_000));
      const stuck = (await listPods(api, ns, "app=stuck"))[0];
      assert.ok(stuck?.metadata.deletionTimestamp, "the pod is Terminating");
      assert.ok(
        (await claims()).some(x => x.metadata.name === c.metadata.name),
        "released while the sandbox still held the address",
      );
    } finally {
      reviveNode(state, p!.spec.nodeName!);
    }
    await waitFor(
      "claim released after the sandbox is gone",
      async () => !(await claims()).some(x => x.metadata.name === c.metadata.name),
      60_000,
    );
    await waitGone(api, ns, "app=stuck");
    await assertWireClean(api, loadState()!, "gc: after the pod stuck Terminating");
  });

  it("releases a completed Job-style pod's address after its grace when DEL was lost", async () => {
    apply(
      pod(
        "job",
        { "sim.spiderpool.io/exit-after-seconds": "2", "sim.spiderpool.io/skip-cni-del": "true" },
        "  restartPolicy: Never",
      ),
    );
    const [p] = await waitRunning(api, ns, "app=job", 1);
    const c = (await claimOf(p!))!;
    await waitFor(
      "pod Succeeded",
      async () => (await listPods(api, ns, "app=job"))[0]?.status?.phase === "Succeeded",
      30_000,
    );
    await waitFor(
      "claim of the Succeeded pod released",
      async () => !(await claims()).some(x => x.metadata.name === c.metadata.name),
      60_000,
    );
    assert.equal(
      (await listPods(api, ns, "app=job"))[0]?.status?.phase,
      "Succeeded",
      "the pod object still exists: GC released it",
    );
    await assertWireClean(api, loadState()!, "gc: after the completed pod with a lost DEL");
  });

  it("releases a dirty claim whose pod never existed, and keeps the claims of live pods", async () => {
    apply(pod("live"));
    const [live] = await waitRunning(api, ns, "app=live", 1);
    const liveClaim = (await claimOf(live!))!;
    await api.create(CLAIMS_PATH, {
      apiVersion: "ipam.pepr-spiderpool.io/v1alpha1",
      kind: "IPClaim",
      metadata: {
        name: "10.170.0.49",
        labels: {
          "ipam.pepr-spiderpool.io/pod-namespace": ns,
          "ipam.pepr-spiderpool.io/pool": poolName,
        },
      },
      spec: {
        address: "10.170.0.49",
        ipVersion: 4,
        pool: poolName,
        podNamespace: ns,
        podName: "ghost",
        podUID: "00000000-dead-beef-0000-000000000000",
        interface: "eth0",
        node: "node-1",
      },
    });
    await waitFor(
      "dirty claim released by the full scan",
      async () => !(await claims()).some(x => x.metadata.name === "10.170.0.49"),
      90_000,
    );
    assert.ok(
      (await claims()).some(x => x.metadata.name === liveClaim.metadata.name),
      "the live pod's claim was released",
    );
    await assertWireClean(api, loadState()!, "gc: after the dirty claim");
  });

  it("reports a hand-broken SpiderEndpoint and pool status as Events, repairs the status, keeps the live pod's address", async () => {
    const [live] = await listPods(api, ns, "app=live");
    const liveClaim = (await claimOf(live!))!;
    await api.patch(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${poolName}/status`, {
      status: { allocatedIPs: "this is not json" },
    });
    await api.patch(`/apis/spiderpool.spidernet.io/v2beta1/namespaces/${ns}/spiderendpoints/live`, {
      status: {
        current: {
          uid: live!.metadata.uid,
          node: live!.spec.nodeName,
          ips: [{ interface: "eth0", ipv4: "10.170.0.48/16", ipv4Pool: poolName, vlan: 0 }],
        },
      },
    });
    const events = async (name: string) =>
      (
        await api.get<KubeList<{ reason: string }>>(
          `/api/v1/namespaces/${name === poolName ? "default" : ns}/events`,
          { fieldSelector: `involvedObject.name=${name}` },
        )
      ).items.map(e => e.reason);
    await waitFor(
      "InvalidPoolStatus event",
      async () => (await events(poolName)).includes("InvalidPoolStatus"),
      30_000,
    );
    await waitFor("pool status rewritten from claims", async () => {
      const p = await api.get<{ status?: { allocatedIPs?: string } }>(
        `/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${poolName}`,
      );
      return p.status?.allocatedIPs?.startsWith("{") ?? false;
    });
    await waitFor(
      "InconsistentEndpoint event",
      async () => (await events("live")).includes("InconsistentEndpoint"),
      90_000,
    );
    assert.ok(
      (await claims()).some(x => x.metadata.name === liveClaim.metadata.name),
      "GC released the live pod's address",
    );
    await assertWireClean(api, loadState()!, "gc: after the hand-broken endpoint and pool status");
  });
});
