import assert from "node:assert/strict";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import type { Node } from "../../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import { adminClient, kubectl, loadState, type ClusterState } from "../cluster/cluster.js";
import { signalGroup } from "../cluster/daemon.js";
import { fabricNetns } from "../cluster/fabric.js";
import { ip } from "../cluster/netns.js";
import { apply, createNamespace, isRunning, listPods } from "../support/kube.js";
import { sandboxOf } from "../support/sandboxes.js";
import { waitFor } from "../support/wait-for.js";
import { assertWireClean } from "../support/wire-audit.js";
import { deleteNamespaceAndWait } from "../support/allocation-ledger.js";

const FROZEN_PODS = 4;
const POOL_SIZE = 8;
/** How long the refilled pool is watched for an address the frozen node still answers for: beyond the GC's full-scan period (30 s). */
const OBSERVE_MS = 40_000;
const OUT_OF_SERVICE = "node.kubernetes.io/out-of-service";

/**
 * GC waits for the sandbox (docs/concepts/gc.md, "Nodes that are NotReady"). A node freezes, its
 * kubelet and agent stopped, while its pods' network namespaces stay on the underlay and keep
 * answering ARP; the pods are force-deleted and pods elsewhere ask for more addresses than the
 * pool has left. While the node is NotReady none of its addresses may go to a new pod: a wire
 * audit from a foreign host on the fabric finds no address answered by two MACs. Once the node
 * is powered off and tainted out-of-service, its addresses are reclaimed and handed out.
 */
describe("faults: frozen node with live sandboxes, wire audit", function () {
  const ns = `frozen-${Date.now().toString(36)}`;
  let api: ApiClient;
  let state: ClusterState;
  let frozen = "";
  let port = "";
  const frozenUids: string[] = [];

  const claims = async () =>
    (
      await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, {
        labelSelector: `ipam.pepr-spiderpool.io/pod-namespace=${ns}`,
      })
    ).items;
  const poolAddresses = Array.from({ length: POOL_SIZE }, (_, i) => `10.181.0.${i + 1}`);
  const freeze = (signal: NodeJS.Signals) => {
    signalGroup(state.nodes.find(n => n.name === frozen)!.daemon.pid, signal);
    if (state.agents[frozen]) signalGroup(state.agents[frozen]!.pid, signal);
  };
  const nodeReady = async () =>
    (await api.get<Node>(`/api/v1/nodes/${frozen}`)).status?.conditions?.some(
      c => c.type === "Ready" && c.status === "True",
    ) ?? false;
  const refills = async () => (await listPods(api, ns, "app=refill")).filter(isRunning);

  before(async function () {
    state = loadState()!;
    if (state.nodes.length < 3) this.skip();
    api = adminClient();
    frozen = state.nodes[state.nodes.length - 1]!.name;
    port = `v-${frozen}`.slice(0, 15);
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${ns}}
spec: {subnet: 10.181.0.0/24, ips: ["10.181.0.1-10.181.0.${POOL_SIZE}"], gateway: 10.181.0.254}
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
    try {
      kubectl(["taint", "nodes", frozen, `${OUT_OF_SERVICE}=nodeshutdown:NoExecute-`]);
    } catch {
      // not tainted: the test stopped earlier
    }
    freeze("SIGCONT");
    await waitFor(`${frozen} Ready again`, nodeReady, 120_000, 1000).catch(() => undefined);
    // Its kubelet tears down the sandboxes of the force-deleted pods before its uplink is back,
    // so they cannot answer for addresses that other pods hold now.
    await waitFor(
      "sandboxes of the force-deleted pods torn down",
      async () => frozenUids.every(u => !sandboxOf(frozen, u)),
      120_000,
      1000,
    ).catch(() => undefined);
    ip("-n", fabricNetns(state.netnsPrefix), "link", "set", port, "up");
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await api
      .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${ns}`)
      .catch(() => undefined);
    api.close();
  });

  it("keeps a frozen node's addresses until it is known dead; no address is answered by two MACs", async function () {
    for (let i = 0; i < FROZEN_PODS; i++) {
      apply(`
apiVersion: v1
kind: Pod
metadata: {name: frozen-${i}, namespace: ${ns}, labels: {app: frozen}}
spec:
  nodeName: ${frozen}
  terminationGracePeriodSeconds: 2
  containers: [{name: c, image: registry.invalid/pause}]
`);
    }
    const held = await waitFor(
      `${FROZEN_PODS} pods Running on ${frozen}`,
      async () => {
        const pods = (await listPods(api, ns, "app=frozen")).filter(isRunning);
        return pods.length === FROZEN_PODS ? pods : undefined;
      },
      90_000,
    );
    frozenUids.push(...held.map(p => p.metadata.uid!));
    const frozenIps = held.map(p => p.status!.podIP!).sort();

    freeze("SIGSTOP");
    await waitFor(`${frozen} NotReady`, async () => !(await nodeReady()), 120_000, 1000);
    kubectl(["delete", "pod", "-n", ns, "-l", "app=frozen", "--force", "--grace-period=0"]);
    assert.equal(
      (await listPods(api, ns, "app=frozen")).length,
      0,
      "the frozen pods are gone from the API",
    );

    apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: refill, namespace: ${ns}}
spec:
  replicas: ${POOL_SIZE}
  selector: {matchLabels: {app: refill}}
  template:
    metadata: {labels: {app: refill}}
    spec:
      terminationGracePeriodSeconds: 2
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: NotIn, values: [${frozen}]}]}]
      containers: [{name: c, image: registry.invalid/pause}]
`);
    await waitFor(
      `${POOL_SIZE - FROZEN_PODS} refill pods Running`,
      async () => (await refills()).length >= POOL_SIZE - FROZEN_PODS,
      120_000,
      1000,
    );
    await new Promise(r => setTimeout(r, OBSERVE_MS));

    const running = await refills();
    const audit = await assertWireClean(api, state, `while ${frozen} is NotReady`);
    const reused = running
      .filter(p => frozenIps.includes(p.status!.podIP!))
      .map(p => `${p.metadata.name}=${p.status!.podIP}`);
    assert.deepEqual(
      reused,
      [],
      `addresses the frozen node still answers for were handed to new pods`,
    );
    assert.deepEqual(
      frozenIps.filter(a => !audit.answered.has(a)),
      [],
      "the frozen node's sandboxes do not answer: the audit could not see a duplicate",
    );
    const kept = (await claims())
      .filter(c => frozenUids.includes(c.spec.podUID))
      .map(c => c.spec.address)
      .sort();
    assert.deepEqual(
      kept,
      frozenIps,
      "the frozen pods' claims are kept while the node is NotReady",
    );

    // The node is powered off for good: its uplink goes down, then the operator says so.
    ip("-n", fabricNetns(state.netnsPrefix), "link", "set", port, "down");
    kubectl(["taint", "nodes", frozen, `${OUT_OF_SERVICE}=nodeshutdown:NoExecute`]);
    await waitFor(
      "the frozen pods' claims released",
      async () => !(await claims()).some(c => frozenUids.includes(c.spec.podUID)),
      120_000,
      1000,
    );
    await waitFor(
      `all ${POOL_SIZE} refill pods Running`,
      async () => (await refills()).length === POOL_SIZE,
      180_000,
      1000,
    );
    const after = await assertWireClean(api, state, `after ${frozen} is out of service`);
    assert.deepEqual(
      poolAddresses.filter(a => !after.answered.has(a)),
      [],
      "every pool address is in use by a refill pod and answers",
    );
  });
});
