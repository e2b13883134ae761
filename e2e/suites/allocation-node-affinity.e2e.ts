import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import type { KubeList, Stored } from "../../lib/k8s/api-client.js";
import type { Node } from "../../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import { claimScopeOf } from "../../lib/core/selection/claim-scope.js";
import { CLAIM_LABELS, type IPClaim } from "../../lib/schemas/ip-claim.js";
import type { SpiderIPPool } from "../../lib/schemas/ippool.js";
import { adminClient, kubectl } from "../cluster/cluster.js";
import {
  assertLedgerAgreesAll,
  bare,
  claimsOf,
  deleteNamespaceAndWait,
  deletePools,
  poolOf,
} from "../support/allocation-ledger.js";
import { exampleObjects, exampleText } from "../support/examples.js";
import { scrapeAgent } from "../support/agent-metrics.js";
import { apply, listPods, podEvents, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Spiderpool L00002/L00007 with our example docs/examples/allocation/node-affinity.yaml: one pool
 * per rack, bound to its nodes by nodeAffinity (labels) or nodeName; Pods of a DaemonSet and of a
 * spread Deployment, annotated with every rack pool, each get their node's pool.
 */
describe("allocation: pools bound to nodes (nodeAffinity, nodeName)", function () {
  const EXAMPLE = "allocation/node-affinity.yaml";
  const ns = "alloc-racks";
  const ZONE = "topology.kubernetes.io/zone";
  /** The pool each node must serve its Pods from, as the example binds them. */
  const poolOfNode: Record<string, string> = {
    "node-1": "rack-a-v4",
    "node-2": "rack-b-v4",
    "node-3": "rack-c-v4",
  };
  const subnetOfPool: Record<string, string> = {
    "rack-a-v4": "10.121.1.",
    "rack-b-v4": "10.121.2.",
    "rack-c-v4": "10.121.3.",
  };
  const pools = exampleObjects(EXAMPLE)
    .filter(o => o.kind === "SpiderIPPool")
    .map(o => o.metadata.name);
  let api: ApiClient;

  before(async () => {
    api = adminClient();
    kubectl(["label", "node", "node-1", `${ZONE}=zone-a`, "--overwrite"]);
    kubectl(["label", "node", "node-2", `${ZONE}=zone-b`, "--overwrite"]);
    apply(exampleText(EXAMPLE));
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await deletePools(api, pools).catch(() => undefined);
    kubectl(["label", "node", "node-1", "node-2", `${ZONE}-`]);
    api.close();
  });

  const assertFromOwnNode = async (pods: Pod[]) => {
    for (const p of pods) {
      const want = poolOfNode[p.spec.nodeName!]!;
      const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`);
      assert.deepEqual(
        claims.map(c => c.spec.pool),
        [want],
        `${p.metadata.name} on ${p.spec.nodeName}: wrong pool`,
      );
      assert.ok(
        p.status?.podIP?.startsWith(subnetOfPool[want]!),
        `${p.metadata.name}: ${p.status?.podIP} is not in ${want}'s subnet`,
      );
    }
  };

  let daemons: Pod[] = [];
  let web: Pod[] = [];

  it("gives each DaemonSet Pod an address from its own node's pool", async () => {
    daemons = await waitRunning(api, ns, "app=rack-agent", 3);
    assert.deepEqual(daemons.map(p => p.spec.nodeName).sort(), ["node-1", "node-2", "node-3"]);
    await assertFromOwnNode(daemons);
  });

  it("spreads Deployment replicas over racks, each in its rack's subnet", async () => {
    web = await waitRunning(api, ns, "app=rack-web", 3);
    assert.equal(new Set(web.map(p => p.spec.nodeName)).size, 3);
    await assertFromOwnNode(web);
  });

  it("keeps kernel, SpiderEndpoint, IPClaims and pool status in agreement, with no address twice", async () => {
    const seen = await assertLedgerAgreesAll(api, [...daemons, ...web]);
    for (const p of [...daemons, ...web])
      assert.equal(
        seen[p.metadata.name]?.eth0?.length,
        1,
        `${p.metadata.name}: one address on eth0`,
      );
    for (const pool of pools)
      assert.equal(
        (await poolOf(api, pool)).status?.allocatedIPCount,
        2,
        `${pool}: one DaemonSet Pod and one web Pod`,
      );
  });

  it("each agent caches its node's claims and those of the pools that may serve it, not the other racks'", async () => {
    const all = (await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH)).items;
    const pools = (
      await api.get<KubeList<Stored<SpiderIPPool>>>(
        "/apis/spiderpool.spidernet.io/v2beta1/spiderippools",
      )
    ).items.map(p => ({ name: p.metadata.name, spec: p.spec }));
    for (const node of ["node-1", "node-2", "node-3"]) {
      const n = await api.get<Node>(`/api/v1/nodes/${node}`);
      const scope = claimScopeOf(pools, { name: node, labels: n.metadata.labels ?? {} });
      const mine = all.filter(
        c =>
          c.spec.node === node ||
          scope.has(c.spec.pool) ||
          c.metadata.labels?.[CLAIM_LABELS.pool] === undefined,
      );
      // The other racks' Pods hold claims this agent has no use for.
      assert.ok(mine.length < all.length, `${node}: ${mine.length} of ${all.length} claims`);
      assert.ok(!mine.some(c => c.spec.pool !== poolOfNode[node] && /^rack-/.test(c.spec.pool)));
      await waitFor(`${node}'s agent caching its ${mine.length} claims`, async () => {
        const cached = (await scrapeAgent(node)).value("spiderpool_agent_watched_claims");
        return cached === mine.length;
      });
    }
  });

  it("leaves a Pod Pending when the only pool it names is bound to other nodes", async () => {
    apply(`
apiVersion: v1
kind: Pod
metadata:
  name: wrong-rack
  namespace: ${ns}
  annotations: {ipam.spidernet.io/ippool: '{"ipv4": ["rack-a-v4"]}'}
spec:
  nodeName: node-3
  terminationGracePeriodSeconds: 5
  containers: [{name: c, image: registry.invalid/pause}]
`);
    const ev = await waitFor("FailedCreatePodSandBox on wrong-rack", async () =>
      (await podEvents(api, ns, "wrong-rack")).find(e => e.reason === "FailedCreatePodSandBox"),
    );
    assert.match(ev.message, /spiderpool IP allocation error/);
    assert.match(ev.message, /unmatched Node affinity of IPPool rack-a-v4/);
    const pod = (await listPods(api, ns)).find(p => p.metadata.name === "wrong-rack");
    assert.equal(pod?.status?.phase, "Pending");
    const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${pod?.metadata.uid}`);
    assert.deepEqual(claims, [], "nothing may be allocated to a refused Pod");
    await api.delete(`/api/v1/namespaces/${ns}/pods/wrong-rack`);
  });

  it("releases the DaemonSet's addresses when it is deleted", async () => {
    const held = daemons.map(p => p.status!.podIP!);
    await api.delete(`/apis/apps/v1/namespaces/${ns}/daemonsets/rack-agent`, {
      propagationPolicy: "Foreground",
    });
    await waitFor(
      "rack-agent Pods gone",
      async () => (await listPods(api, ns, "app=rack-agent")).length === 0,
      90_000,
    );
    const left = await waitFor("claims of the DaemonSet released", async () => {
      const all = (
        await Promise.all(pools.map(p => claimsOf(api, `${CLAIM_LABELS.pool}=${p}`)))
      ).flat();
      return all.every(c => !held.includes(bare(c.spec.address))) && all;
    });
    assert.deepEqual(left.map(c => c.spec.address).sort(), web.map(p => p.status!.podIP!).sort());
    for (const pool of pools)
      await waitFor(
        `${pool} count back to 1`,
        async () => (await poolOf(api, pool)).status?.allocatedIPCount === 1,
      );
  });
});
