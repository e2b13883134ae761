import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import type { SandboxRecord } from "../../lib/schemas/sandbox-record.js";
import { adminClient, loadState, restartAgent, type ClusterState } from "../cluster/cluster.js";
import { paths } from "../cluster/paths.js";
import { apply, createNamespace, isRunning, listPods } from "../support/kube.js";
import { sandboxOf } from "../support/sandboxes.js";
import { waitFor } from "../support/wait-for.js";
import { addressesInUse, formatWireAudit, wireAudit } from "../support/wire-audit.js";
import { deleteNamespaceAndWait } from "../support/allocation-ledger.js";

const POOL_SIZE = 3;
const GRACE_SECONDS = 3;
/** The slow runtime's DEL: far beyond twice the grace period, and beyond the watch below. */
const DEL_DELAY_SECONDS = 75;
/** How long the full pool is watched while the sandbox still holds the address: beyond the GC's full scan (30 s). */
const OBSERVE_MS = 35_000;

/**
 * GC on a Ready node waits for the sandbox (docs/concepts/gc.md, "Ready nodes: the agent
 * confirms"). The runtime's DEL of one pod is slow; the pod is deleted, left Terminating past twice
 * its grace period, then force-deleted. Its sandbox still answers ARP for its address, so the
 * address must not go to a pod waiting for the (full) pool; restarting the node's agent meanwhile
 * must not make it forget the sandbox (its records are on disk). When the DEL finally runs, the
 * address goes to the waiting pod. A wire audit from a foreign host on the fabric finds no address
 * answered by two MACs at any point.
 */
describe("gc: a slow DEL on a Ready node keeps the address until the sandbox is gone", function () {
  const ns = `slowdel-${Date.now().toString(36)}`;
  let api: ApiClient;
  let state: ClusterState;
  const pool = Array.from({ length: POOL_SIZE }, (_, i) => `10.191.0.${i + 1}`);
  const claims = async () =>
    (
      await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, {
        labelSelector: `ipam.pepr-spiderpool.io/pod-namespace=${ns}`,
      })
    ).items;
  const recordsOf = (node: string, uid: string): SandboxRecord[] => {
    const dir = path.join(paths.nodes, "sandboxes", node);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter(f => f.endsWith(".json") && f !== "since.json")
      .map(f => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as SandboxRecord)
      .filter(r => r.podUID === uid);
  };
  const pod = (name: string, node: string, annotations: Record<string, string> = {}) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}, annotations: ${JSON.stringify(annotations)}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: ${GRACE_SECONDS}
  containers: [{name: c, image: registry.invalid/pause}]
`;

  before(async function () {
    state = loadState()!;
    if (state.nodes.length < 2) this.skip();
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${ns}}
spec: {subnet: 10.191.0.0/24, ips: ["10.191.0.1-10.191.0.${POOL_SIZE}"], gateway: 10.191.0.254}
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

  it("does not hand the address to a new pod while the slow sandbox holds it, across an agent restart; afterwards it does", async function () {
    const [slowNode, otherNode] = [state.nodes[0]!.name, state.nodes[1]!.name];
    apply(
      pod("slow", slowNode, { "sim.spiderpool.io/del-delay-seconds": String(DEL_DELAY_SECONDS) }),
    );
    for (let i = 1; i < POOL_SIZE; i++) apply(pod(`fill-${i}`, otherNode));
    const running = await waitFor(
      "the pool full of Running pods",
      async () => {
        const pods = (await listPods(api, ns)).filter(isRunning);
        return pods.length === POOL_SIZE ? pods : undefined;
      },
      90_000,
    );
    const slow = running.find(p => p.metadata.name === "slow")!;
    const slowIp = slow.status!.podIP!;
    const uid = slow.metadata.uid!;
    assert.ok(recordsOf(slowNode, uid).length > 0, "the agent recorded the slow pod's sandbox");

    // Deleted, then left Terminating past twice its grace period (the DEL is still sleeping), then force-deleted.
    await api.delete(`/api/v1/namespaces/${ns}/pods/slow`);
    await new Promise(r => setTimeout(r, 2 * GRACE_SECONDS * 1000 + 2000));
    await api.request("DELETE", `/api/v1/namespaces/${ns}/pods/slow`, {
      body: { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0 },
    });
    await waitFor(
      "the slow pod gone from the API",
      async () => (await listPods(api, ns, "app=slow")).length === 0,
      30_000,
    );
    assert.ok(sandboxOf(slowNode, uid), "the slow pod's sandbox is still up (its DEL has not run)");

    apply(pod("next", otherNode));
    await restartAgent(state, slowNode);
    assert.ok(
      recordsOf(slowNode, uid).length > 0,
      "the agent's sandbox records survived its restart",
    );
    await new Promise(r => setTimeout(r, OBSERVE_MS));

    const stillUp = !!sandboxOf(slowNode, uid);
    const during = await wireAudit(
      state.netnsPrefix,
      pool,
      (await addressesInUse(api, state)).hosts,
    );
    process.stdout.write(`      while the slow DEL runs: ${formatWireAudit(during)}\n`);
    assert.ok(stillUp, `the slow sandbox went before the check; raise DEL_DELAY_SECONDS`);
    const next = (await listPods(api, ns, "app=next"))[0];
    assert.notEqual(
      next?.status?.podIP,
      slowIp,
      "the address the slow sandbox still holds was handed to a new pod",
    );
    assert.deepEqual(during.duplicates, [], "addresses answered by two MACs");
    assert.ok(
      during.answered.has(slowIp),
      "the slow sandbox does not answer ARP: the audit could not see a duplicate",
    );
    const held = (await claims()).find(c => c.spec.address === slowIp);
    assert.equal(held?.spec.podUID, uid, "the gone pod's claim is kept while its sandbox lives");

    // The DEL runs at last: the address is free and the waiting pod gets it.
    await waitFor(
      "the slow sandbox torn down",
      async () => !sandboxOf(slowNode, uid),
      (DEL_DELAY_SECONDS + 30) * 1000,
      1000,
    );
    const got = await waitFor(
      "the waiting pod Running",
      async () => {
        const p = (await listPods(api, ns, "app=next")).find(isRunning);
        return p?.status?.podIP;
      },
      120_000,
      1000,
    );
    assert.equal(got, slowIp, "the address came back to the pool and went to the waiting pod");
    const after = await wireAudit(
      state.netnsPrefix,
      pool,
      (await addressesInUse(api, state)).hosts,
    );
    process.stdout.write(`      after the DEL: ${formatWireAudit(after)}\n`);
    assert.deepEqual(after.duplicates, [], "addresses answered by two MACs");
  });
});
