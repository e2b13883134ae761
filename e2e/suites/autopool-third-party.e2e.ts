import assert from "node:assert/strict";
import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { adminClient, kubectl } from "../cluster/cluster.js";
import { apply, listPods, waitGone, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import {
  applyExample,
  autoPoolsOf,
  deleteNamespaceAndWait,
  exampleText,
  getSubnet,
  type Pool,
  poolAddresses,
  SP,
  subnetProblems,
} from "./autopool-checks.js";

/**
 * Third-party controllers (docs/reference/auto-pools.md#the-agents-side, T00002–T00005): a CloneSet-like custom resource owns Pods
 * annotated with a subnet and a fixed IP number. The agent creates (and sizes) the auto pool at
 * the first ADD; the watcher deletes it when the CloneSet is deleted, or keeps it for a
 * same-name successor with `ippool-reclaim: "false"`. The suite stands in for the OpenKruise
 * controller: it creates the Pods itself, with a controller reference to the CloneSet.
 */
describe("autopool: third-party controllers (a CloneSet custom resource)", function () {
  const ns = "autopool-kruise";
  const subnet = "demo-v4-subnet";
  let api: ApiClient;

  // The module runs with its ServiceAccount's rights: for the watcher to see a CloneSet go, the
  // operator adds one rule per third-party kind, as docs/security.md says. Without it the
  // watcher's watch is refused (403) and the reclaim tests below fail.
  const cloneSetRule = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pepr-spiderpool-clonesets}
rules: [{apiGroups: [apps.kruise.io], resources: [clonesets], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: pepr-spiderpool-clonesets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pepr-spiderpool-clonesets}
subjects: [{kind: ServiceAccount, name: pepr-spiderpool, namespace: pepr-system}]
`;

  before(async () => {
    api = adminClient();
    apply(cloneSetRule);
    applyExample("subnet.yaml");
    applyExample("third-party.yaml");
    await waitFor(
      "CloneSet CRD served",
      () => api.get("/apis/apps.kruise.io/v1beta1").then(() => true),
      30_000,
    );
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns);
    // The retained pool of the last test stays by design: delete it, then wait for all to go.
    for (const p of await autoPoolsOf(api, "CloneSet", ns, "clone"))
      await api.delete(`${SP}/spiderippools/${p.metadata.name}`).catch(() => undefined);
    await waitFor(
      "CloneSet pools gone",
      async () => (await autoPoolsOf(api, "CloneSet", ns, "clone")).length === 0,
      60_000,
    ).catch(() => undefined);
    await api
      .delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clonesets.apps.kruise.io")
      .catch(() => undefined);
    await deleteNamespaceAndWait(api, "autopool-demo");
    await api.delete(`${SP}/spidersubnets/${subnet}`).catch(() => undefined);
    await waitFor(
      "subnet gone",
      () =>
        getSubnet(api, subnet).then(
          () => false,
          () => true,
        ),
      60_000,
    ).catch(() => undefined);
    kubectl(["delete", "--ignore-not-found", "-f", "-"], cloneSetRule);
    api.close();
  });

  /** Creates the CloneSet (from the example, with `annotations` on its template) and `replicas` Pods it controls. */
  async function cloneSet(annotations: Record<string, string>, replicas = 2): Promise<string> {
    const text = exampleText("third-party-cloneset.yaml");
    apply(text);
    const cs = await api.get<{ metadata: { uid: string } }>(
      `/apis/apps.kruise.io/v1beta1/namespaces/${ns}/clonesets/clone`,
    );
    for (let i = 0; i < replicas; i++) {
      await api.create(`/api/v1/namespaces/${ns}/pods`, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          generateName: "clone-",
          labels: { app: "clone" },
          annotations,
          ownerReferences: [
            {
              apiVersion: "apps.kruise.io/v1beta1",
              kind: "CloneSet",
              name: "clone",
              uid: cs.metadata.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: "c", image: "registry.invalid/pause" }],
        },
      });
    }
    return cs.metadata.uid;
  }

  const annotations = {
    "ipam.spidernet.io/subnet": `{"ipv4": ["${subnet}"]}`,
    "ipam.spidernet.io/ippool-ip-number": "2",
  };
  const ipOf = (p: Pod) => p.status!.podIPs![0]!.ip;

  it("the agent creates the CloneSet's pool of exactly 2 at the first ADD; Pods run inside it", async () => {
    const uid = await cloneSet(annotations);
    const pods = await waitRunning(api, ns, "app=clone", 2, 120_000);
    const [pool, ...more] = await autoPoolsOf(api, "CloneSet", ns, "clone");
    assert.ok(pool && more.length === 0, "exactly one pool");
    assert.equal(pool.metadata.name, `auto4-clone-eth0-${uid.split("-").pop()!.slice(0, 5)}`);
    assert.equal(
      pool.metadata.labels?.["ipam.spidernet.io/owner-application-gv"],
      "apps.kruise.io_v1beta1",
    );
    assert.equal(poolAddresses(pool).length, 2);
    for (const p of pods) assert.ok(poolAddresses(pool).includes(ipOf(p)));
    const s = await getSubnet(api, subnet);
    assert.equal(
      JSON.parse(s.status!.controlledIPPools!)[pool.metadata.name].application,
      `apps.kruise.io_v1beta1_CloneSet_${ns}_clone`,
    );
    assert.deepEqual(await subnetProblems(api, subnet), []);
  });

  it("the watcher deletes the pool when the CloneSet is deleted", async () => {
    const [pool] = await autoPoolsOf(api, "CloneSet", ns, "clone");
    await api.delete(`/apis/apps.kruise.io/v1beta1/namespaces/${ns}/clonesets/clone`);
    await waitGone(api, ns, "app=clone", 90_000); // the garbage collector follows the controller reference
    await waitFor(
      `pool ${pool!.metadata.name} gone`,
      () =>
        api.get(`${SP}/spiderippools/${pool!.metadata.name}`).then(
          () => false,
          () => true,
        ),
      90_000,
    );
    await waitFor(
      "subnet record dropped",
      async () =>
        !(await getSubnet(api, subnet)).status?.controlledIPPools?.includes(pool!.metadata.name),
      60_000,
    );
  });

  it("a Pod without ippool-ip-number fails with Spiderpool's text and gets no pool", async () => {
    await cloneSet({ "ipam.spidernet.io/subnet": `{"ipv4": ["${subnet}"]}` }, 1);
    const message = await waitFor(
      "sandbox failure event",
      async () => {
        const [pod] = await listPods(api, ns, "app=clone");
        if (!pod) return undefined;
        const l = await api.get<KubeList<{ reason: string; message: string }>>(
          `/api/v1/namespaces/${ns}/events`,
          { fieldSelector: `involvedObject.name=${pod.metadata.name}` },
        );
        return l.items.find(e => e.reason === "FailedCreatePodSandBox")?.message;
      },
      60_000,
    );
    assert.match(
      message,
      /CloneSet\/autopool-kruise\/clone only supports fixed auto-created IPPool IP Number/,
    );
    assert.deepEqual(await autoPoolsOf(api, "CloneSet", ns, "clone"), []);
    await api.delete(`/apis/apps.kruise.io/v1beta1/namespaces/${ns}/clonesets/clone`);
    await waitGone(api, ns, "app=clone", 90_000);
  });

  it("with ippool-reclaim false the pool outlives the CloneSet and a same-name CloneSet takes it over", async () => {
    const retained = { ...annotations, "ipam.spidernet.io/ippool-reclaim": "false" };
    await cloneSet(retained);
    await waitRunning(api, ns, "app=clone", 2, 120_000);
    const [first] = await autoPoolsOf(api, "CloneSet", ns, "clone");
    assert.ok(first);
    await api.delete(`/apis/apps.kruise.io/v1beta1/namespaces/${ns}/clonesets/clone`);
    await waitGone(api, ns, "app=clone", 90_000);
    await new Promise(r => setTimeout(r, 3000)); // room for a wrong deletion to show
    const kept: Pool[] = await autoPoolsOf(api, "CloneSet", ns, "clone");
    assert.deepEqual(
      kept.map(p => [p.metadata.name, !!p.metadata.deletionTimestamp]),
      [[first.metadata.name, false]],
    );

    const uid = await cloneSet(retained);
    const pods = await waitRunning(api, ns, "app=clone", 2, 120_000);
    const [again, ...more] = await autoPoolsOf(api, "CloneSet", ns, "clone");
    assert.equal(more.length, 0);
    assert.equal(again!.metadata.name, first.metadata.name, "the retained pool is reused");
    assert.equal(again!.metadata.labels?.["ipam.spidernet.io/owner-application-uid"], uid);
    for (const p of pods) assert.ok(poolAddresses(again!).includes(ipOf(p)));
  });
});
