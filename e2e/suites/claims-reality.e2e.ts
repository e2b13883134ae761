import assert from "node:assert/strict";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import { adminClient, loadState, type ClusterState } from "../cluster/cluster.js";
import { scrapeAgent } from "../support/agent-metrics.js";
import { apply, createNamespace, isRunning, listPods, podEvents } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import { deleteNamespaceAndWait } from "../support/allocation-ledger.js";

const POOL_SIZE = 2;
/** How long the waiting pod is watched after the claim was deleted: several of its ADD retries (backoff up to 8 s). */
const OBSERVE_MS = 20_000;

/**
 * Claims against reality (docs/concepts/gc.md, "Claims against reality"). A running pod's claim
 * is deleted by hand while the pool is full and another pod on the same node waits for an address:
 * the node's agent claims the address again for the pod that uses it, and the waiting pod never
 * gets it. Then the claim is made to name another incarnation: the agent reports the pod using an
 * address someone else's claim holds (Events on the pod and the pool, metric) and changes nothing.
 */
describe("agent: claims against reality", function () {
  const ns = `reality-${Date.now().toString(36)}`;
  let api: ApiClient;
  let state: ClusterState;
  let node = "";
  const claims = async () =>
    (
      await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, {
        labelSelector: `ipam.pepr-spiderpool.io/pod-namespace=${ns}`,
      })
    ).items;
  const pod = (name: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 2
  containers: [{name: c, image: registry.invalid/pause}]
`;

  before(async function () {
    state = loadState()!;
    api = adminClient();
    node = state.nodes[0]!.name;
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${ns}}
spec: {subnet: 10.192.0.0/24, ips: ["10.192.0.1-10.192.0.${POOL_SIZE}"], gateway: 10.192.0.254}
`);
    await createNamespace(
      api,
      ns,
      {},
      { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([ns]) },
    );
  });

  after(async function () {
    if (!api) return;
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await api
      .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${ns}`)
      .catch(() => undefined);
    api.close();
  });

  it("claims a hand-deleted claim's address again for the running pod; a pod waiting for the full pool never gets it", async () => {
    apply(pod("a"));
    apply(pod("fill"));
    const running = await waitFor(
      "the pool full of Running pods",
      async () => {
        const pods = (await listPods(api, ns)).filter(isRunning);
        return pods.length === POOL_SIZE ? pods : undefined;
      },
      90_000,
    );
    const a = running.find(p => p.metadata.name === "a")!;
    const ip = a.status!.podIP!;
    apply(pod("waiting"));
    await waitFor(
      "the waiting pod fails for want of an address",
      async () =>
        (await podEvents(api, ns, "waiting")).some(e => e.reason === "FailedCreatePodSandBox"),
      60_000,
    );

    const before = await scrapeAgent(node);
    await api.delete(`${CLAIMS_PATH}/${ip}`);
    const back = await waitFor(
      "the address claimed again",
      async () => (await claims()).find(c => c.spec.address === ip),
      60_000,
    );
    assert.equal(back.spec.podUID, a.metadata.uid, "claimed again for the pod that uses it");
    await new Promise(r => setTimeout(r, OBSERVE_MS));
    const waiting = (await listPods(api, ns, "app=waiting"))[0];
    assert.ok(
      !waiting || !isRunning(waiting),
      `the waiting pod got an address: ${waiting?.status?.podIP}`,
    );
    assert.equal(
      (await claims()).find(c => c.spec.address === ip)?.spec.podUID,
      a.metadata.uid,
      "the claim still names the pod that uses the address",
    );
    assert.ok(
      (await podEvents(api, ns, "a")).some(e => e.reason === "UnclaimedAddressReclaimed"),
      "an Event on the pod says so",
    );
    const after = await scrapeAgent(node);
    assert.ok(
      after.value("spiderpool_unclaimed_address_reclaimed_counts_total") >
        before.value("spiderpool_unclaimed_address_reclaimed_counts_total"),
      "the metric counts it",
    );
  });

  it("reports an address in use by a pod while the claim names another incarnation, and changes nothing", async () => {
    const a = (await listPods(api, ns, "app=a")).find(isRunning)!;
    const ip = a.status!.podIP!;
    const other = "00000000-0000-4000-8000-00000000beef";
    const c = (await claims()).find(x => x.spec.address === ip)!;
    await api.patch(
      `${CLAIMS_PATH}/${ip}`,
      { metadata: { resourceVersion: c.metadata.resourceVersion }, spec: { podUID: other } },
      "merge",
    );
    await waitFor(
      "an Event on the pod reports the other holder",
      async () =>
        (await podEvents(api, ns, "a")).find(
          e => e.reason === "AddressClaimedByOther" && e.message.includes(other),
        ),
      90_000,
    );
    assert.equal(
      (await claims()).find(x => x.spec.address === ip)?.spec.podUID,
      other,
      "the report changed the claim",
    );
    const poolEvents = (
      await api.get<KubeList<{ reason: string; involvedObject: { kind: string; name: string } }>>(
        "/api/v1/namespaces/default/events",
      )
    ).items;
    assert.ok(
      poolEvents.some(
        e =>
          e.reason === "AddressClaimedByOther" &&
          e.involvedObject.kind === "SpiderIPPool" &&
          e.involvedObject.name === ns,
      ),
      "an Event on the pool too",
    );
    assert.ok(
      (await scrapeAgent(node)).value("spiderpool_unclaimed_address_reported_counts_total") > 0,
      "the metric counts it",
    );
  });
});
