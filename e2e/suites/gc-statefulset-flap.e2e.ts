import assert from "node:assert/strict";
import fs from "node:fs";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import { adminClient, loadState, restartPeprWatcher, type ClusterState } from "../cluster/cluster.js";
import { paths } from "../cluster/paths.js";
import { apply, createNamespace, deleteNamespace, listPods, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import { assertWireClean } from "../support/wire-audit.js";

/** How long the GC holds a decided release (SPIDERPOOL_TEST_GC_DELAY_MS): room for ordinal 2 to come back. */
const GC_DELAY_MS = 25_000;

/**
 * A StatefulSet flaps 3→2→3 while the GC's decision to release ordinal 2's address is in flight
 * (docs/concepts/fault-model.md, "What never means"). Ordinal 2 loses its CNI DEL, so only the GC
 * can release its claim; the GC decides to (the ordinal is no longer wanted) and is held there by
 * SPIDERPOOL_TEST_GC_DELAY_MS while the StatefulSet scales back and the new db-2 takes the claim
 * over. The GC's delete is conditioned on the resourceVersion it judged, so it must lose: the new
 * incarnation keeps the address, with exactly one claim, and the wire shows one holder.
 */
describe("gc: StatefulSet flapping 3→2→3 while a GC release is in flight", function () {
  this.timeout(6 * 60_000);
  const ns = `stsflap-${Date.now().toString(36)}`;
  let api: ApiClient;
  let state: ClusterState;
  let logFrom = 0;

  const claims = async () => (await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, { labelSelector: `ipam.pepr-spiderpool.io/pod-namespace=${ns}` })).items;
  const watcherLog = () => fs.readFileSync(paths.log("pepr-watcher")).subarray(logFrom).toString("utf8").split("\n");
  const statefulSet = (replicas: number) => `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${ns}}
spec:
  replicas: ${replicas}
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata:
      labels: {app: db}
      annotations: {sim.spiderpool.io/skip-cni-del: "true"}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: registry.invalid/pause}]
`;

  before(async function () {
    state = loadState()!;
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${ns}}
spec: {subnet: 10.188.0.0/24, ips: ["10.188.0.1-10.188.0.10"], gateway: 10.188.0.254}
`);
    await createNamespace(api, ns, {}, { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([ns]) });
    logFrom = fs.existsSync(paths.log("pepr-watcher")) ? fs.statSync(paths.log("pepr-watcher")).size : 0;
    await restartPeprWatcher(state, { env: { SPIDERPOOL_TEST_GC_DELAY_MS: String(GC_DELAY_MS) } });
  });

  after(async function () {
    if (!api) return;
    await restartPeprWatcher(state);
    await api.patch(`/apis/apps/v1/namespaces/${ns}/statefulsets/db`, { spec: { replicas: 0 } }).catch(() => undefined);
    await waitFor("StatefulSet Pods gone", async () => (await listPods(api, ns)).length === 0, 60_000).catch(() => undefined);
    await deleteNamespace(api, ns);
    await waitFor(`namespace ${ns} gone`, () => api.get(`/api/v1/namespaces/${ns}`).then(() => false, () => true), 180_000).catch(() => undefined);
    await api.delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${ns}`).catch(() => undefined);
    api.close();
  });

  it("the new db-2 keeps its address with exactly one claim; the GC's resourceVersion-conditioned delete loses", async function () {
    apply(statefulSet(3));
    const pods = await waitRunning(api, ns, "app=db", 3, 120_000);
    const old = pods.find((p) => p.metadata.name === "db-2")!;
    const address = old.status!.podIPs![0]!.ip;
    const [claim] = (await claims()).filter((c) => c.spec.podName === "db-2");
    assert.ok(claim && claim.spec.static && claim.spec.podUID === old.metadata.uid && claim.spec.address === address, "db-2 runs with a static claim of its address");

    // 3 → 2: db-2 goes without a CNI DEL, and the GC decides to release its claim.
    await api.patch(`/apis/apps/v1/namespaces/${ns}/statefulsets/db`, { spec: { replicas: 2 } });
    await waitFor(
      "the GC's release of db-2's claim held in flight",
      async () => watcherLog().some((l) => l.includes("held back by SPIDERPOOL_TEST_GC_DELAY_MS") && l.includes(old.metadata.uid!)),
      90_000,
      200,
    );

    // 2 → 3 while the decision is held: the new db-2 takes the claim over.
    await api.patch(`/apis/apps/v1/namespaces/${ns}/statefulsets/db`, { spec: { replicas: 3 } });
    const fresh = await waitFor(
      "a new db-2 Running",
      async () => (await listPods(api, ns, "app=db")).find((p) => p.metadata.name === "db-2" && p.metadata.uid !== old.metadata.uid && p.status?.phase === "Running" && p.status.podIPs?.length),
      GC_DELAY_MS,
      200,
    );
    const early = watcherLog().filter((l) => l.includes("claim changed since it was judged") || l.includes("IP GC released addresses"));
    assert.deepEqual(early, [], "the held release finished before db-2 came back: the test did not see the race");

    // The held decision runs out: its delete must lose, and nothing may release the new claim.
    const refused = (l: string) => l.includes("claim changed since it was judged") && l.includes(claim.metadata.name);
    const released = (l: string) => l.includes("IP GC released addresses") && l.includes(`${ns}/db-2`);
    await waitFor("the GC's held decision on the old db-2 carried out", async () => watcherLog().some((l) => refused(l) || released(l)), GC_DELAY_MS + 30_000, 500);
    await new Promise((r) => setTimeout(r, 3_000)); // the GC decides the old UID again from what is there now
    assert.deepEqual(watcherLog().filter(released), [], "the GC released db-2's address");
    const now = (await claims()).filter((c) => c.spec.podName === "db-2");
    assert.equal(now.length, 1, `exactly one claim for db-2, got ${now.map((c) => `${c.spec.address} (${c.spec.podUID})`).join(", ")}`);
    assert.equal(now[0]!.metadata.uid, claim.metadata.uid, "the same claim object, taken over");
    assert.equal(now[0]!.spec.podUID, fresh.metadata.uid, "the claim names the new incarnation");
    assert.deepEqual(fresh.status!.podIPs!.map((p) => p.ip), [address], "the new db-2 keeps its address");
    assert.ok(watcherLog().some(refused), "the GC's delete was refused as changed (the race the test is about)");
    const live = (await listPods(api, ns, "app=db")).find((p) => p.metadata.name === "db-2");
    assert.equal(live?.metadata.uid, fresh.metadata.uid, "db-2 still runs as the new incarnation");
    await assertWireClean(api, state, "after the StatefulSet flapped 3→2→3 with a GC release in flight");
  });
});
