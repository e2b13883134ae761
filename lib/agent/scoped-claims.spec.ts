/**
 * Which claims a node's agent watches (docs/adr/0011-node-scoped-claim-watch.md), against the
 * in-memory API server (lib/testing/memory-api.ts) with a real ClusterView: the claims of its own
 * node and of the pools that may serve it, never another rack's. That the real API server's
 * selected watches behave so is shown by the e2e suites (e2e/suites/allocation-*.e2e.ts).
 */
import assert from "node:assert/strict";
import type { Pod } from "../k8s/core-kinds.js";
import { CLAIMS_PATH, createClaim } from "../k8s/claim-store.js";
import { quietLogger } from "../testing/quiet-logger.js";
import { parseConfig } from "../schemas/config.js";
import { MemoryApi } from "../testing/memory-api.js";
import { eventually } from "../testing/eventually.js";
import { readAddress } from "../core/net/address.js";
import { Allocator } from "./allocator.js";
import { ClusterView } from "./cluster-view.js";
import { AgentMetrics } from "./metrics.js";
import { OwnerCache } from "./owner-cache.js";

const NODE = "node-1";
const NS = "ns";
const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";
const quiet = quietLogger;

const views: ClusterView[] = [];
afterEach(() => {
  for (const v of views.splice(0)) v.stop();
});

function seedPool(api: MemoryApi, name: string, cidr: string, ips: string, rack?: string) {
  api.seed(POOLS, {
    apiVersion: "spiderpool.spidernet.io/v2beta1",
    kind: "SpiderIPPool",
    metadata: { name },
    spec: {
      ipVersion: 4,
      subnet: cidr,
      ips: [ips],
      ...(rack ? { nodeAffinity: { matchLabels: { rack } } } : {}),
    },
  } as never);
}

/** A claim as the agents write it, labels included (lib/k8s/claim-store.ts createClaim). */
async function claim(api: MemoryApi, address: string, pool: string, node: string, pod: string) {
  const r = await createClaim(
    api,
    {
      address,
      ipVersion: 4,
      pool,
      podNamespace: NS,
      podName: pod,
      podUID: `uid-${pod}`,
      interface: "eth0",
      node,
      containerID: `ctr-${pod}`,
      ...(pod.startsWith("sts-") ? { static: true } : {}),
    },
    readAddress(address)!.value,
  );
  assert.notEqual(r, "taken");
}

async function cluster(rack: string): Promise<MemoryApi> {
  const api = new MemoryApi();
  api.seed("/api/v1/nodes", {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: NODE, labels: { rack } },
  });
  api.seed("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  return api;
}

async function viewOf(api: MemoryApi): Promise<ClusterView> {
  const view = new ClusterView(api, NODE, quiet).start();
  views.push(view);
  await view.synced();
  return view;
}

const cached = (v: ClusterView) =>
  v
    .allClaims()
    .map(c => c.spec.address)
    .sort();

describe("ClusterView: the claims a node's agent watches", () => {
  it("caches its own node's claims and those of the pools that may serve it, not another rack's", async () => {
    const api = await cluster("a");
    seedPool(api, "everywhere", "10.0.0.0/24", "10.0.0.1-10.0.0.9");
    seedPool(api, "rack-a", "10.1.0.0/24", "10.1.0.1-10.1.0.9", "a");
    seedPool(api, "rack-b", "10.2.0.0/24", "10.2.0.1-10.2.0.9", "b");
    await claim(api, "10.0.0.1", "everywhere", "node-2", "p1");
    await claim(api, "10.1.0.1", "rack-a", "node-2", "p2");
    await claim(api, "10.2.0.1", "rack-b", "node-2", "p3");
    // Placed here while the pool still served this node, say: released by this agent only.
    await claim(api, "10.2.0.2", "rack-b", NODE, "p4");
    const view = await viewOf(api);
    assert.deepEqual(cached(view), ["10.0.0.1", "10.1.0.1", "10.2.0.2"]);
    assert.equal(view.claims.get("10.2.0.1"), undefined);
    // Events after the listing are scoped alike.
    await claim(api, "10.2.0.3", "rack-b", "node-2", "p5");
    await claim(api, "10.1.0.2", "rack-a", "node-3", "p6");
    await eventually("the rack-a claim", () => view.claim("10.1.0.2") !== undefined);
    assert.deepEqual(cached(view), ["10.0.0.1", "10.1.0.1", "10.1.0.2", "10.2.0.2"]);
  });

  it("a pool that comes to serve the node has its claims listed before the first ADD picks from it", async () => {
    const api = await cluster("a");
    seedPool(api, "rack-b", "10.2.0.0/24", "10.2.0.1-10.2.0.20", "b");
    // All but the last address taken by another node: a pick that does not know them collides.
    for (let i = 1; i <= 19; i++) await claim(api, `10.2.0.${i}`, "rack-b", "node-2", `p${i}`);
    api.seed(`/api/v1/namespaces/${NS}/pods`, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "a", namespace: NS, uid: "uid-a" },
      spec: { nodeName: NODE, restartPolicy: "Always", containers: [{ name: "c" }] },
      status: { phase: "Pending" },
    } as Pod);
    const view = await viewOf(api);
    assert.deepEqual(cached(view), []);
    const config = parseConfig({ enableIPv6: false });
    assert.ok(config.ok);
    const metrics = new AgentMetrics();
    const allocator = new Allocator({
      api,
      view,
      owners: new OwnerCache(api),
      config: config.value,
      metrics,
      log: quiet,
      agentNamespace: "kube-system",
      sleep: async () => undefined,
    });
    await api.patch(`${POOLS}/rack-b`, { spec: { nodeAffinity: { matchLabels: { rack: "a" } } } });
    await eventually(
      "the pool's new affinity in the cache",
      () => view.pools.get("rack-b")?.spec.nodeAffinity?.matchLabels?.rack === "a",
    );
    const before = api.calls.length;
    const r = await allocator.add({
      containerID: "ctr-a",
      ifName: "eth0",
      netNamespace: "/var/run/netns/x",
      podNamespace: NS,
      podName: "a",
      podUID: "uid-a",
      defaultIPv4IPPool: ["rack-b"],
    });
    assert.deepEqual(
      r.ips.map(i => i.address),
      ["10.2.0.20/24"],
    );
    assert.equal((await metrics.conflicts.get()).values[0]?.value ?? 0, 0, "no CREATE lost a race");
    assert.equal(api.calls.slice(before).filter(c => c === `POST ${CLAIMS_PATH}`).length, 1);
    assert.equal(cached(view).length, 20);
  });

  it("a node relabelled into a rack watches that rack's claims once the new labels are seen", async () => {
    const api = await cluster("a");
    seedPool(api, "rack-b", "10.2.0.0/24", "10.2.0.1-10.2.0.9", "b");
    await claim(api, "10.2.0.1", "rack-b", "node-2", "p1");
    const view = await viewOf(api);
    assert.deepEqual(cached(view), []);
    await api.patch(`/api/v1/nodes/${NODE}`, { metadata: { labels: { rack: "b" } } });
    await eventually(
      "the new label in the cache",
      () => view.nodes.get(NODE)?.metadata.labels?.rack === "b",
    );
    await view.claimsInScope();
    assert.deepEqual(cached(view), ["10.2.0.1"]);
  });

  it("keeps its own node's claims of a pool that stops serving it, and drops the others'", async () => {
    const api = await cluster("a");
    seedPool(api, "rack-a", "10.1.0.0/24", "10.1.0.1-10.1.0.9", "a");
    await claim(api, "10.1.0.1", "rack-a", NODE, "mine");
    await claim(api, "10.1.0.2", "rack-a", "node-2", "theirs");
    const view = await viewOf(api);
    assert.deepEqual(cached(view), ["10.1.0.1", "10.1.0.2"]);
    await api.patch(`${POOLS}/rack-a`, { spec: { nodeAffinity: { matchLabels: { rack: "z" } } } });
    await eventually("the other node's claim dropped", () => !view.claim("10.1.0.2"));
    assert.deepEqual(cached(view), ["10.1.0.1"]);
    assert.deepEqual(
      view.claimsOfUid("uid-mine").map(c => c.spec.address),
      ["10.1.0.1"],
    );
    // Its deletion is still seen: the node's watch holds it.
    await api.delete(`${CLAIMS_PATH}/10.1.0.1`);
    await eventually("the own claim forgotten", () => !view.claim("10.1.0.1"));
  });

  it("a claim held by two watches is one; leaving one of them, it stays; deleted, it goes", async () => {
    const api = await cluster("a");
    seedPool(api, "rack-a", "10.1.0.0/24", "10.1.0.1-10.1.0.9", "a");
    await claim(api, "10.1.0.1", "rack-a", "node-2", "sts-0");
    const view = await viewOf(api);
    const seen: string[] = [];
    view.claims.on(ev => seen.push(`${ev.type} ${ev.object.spec.node}`));
    // A StatefulSet Pod moved here: its claim is re-pointed and enters the node's watch too.
    await api.patch(`${CLAIMS_PATH}/10.1.0.1`, {
      metadata: { labels: { "ipam.pepr-spiderpool.io/node": NODE } },
      spec: { node: NODE },
    });
    await eventually("the re-point seen", () => view.claim("10.1.0.1")?.spec.node === NODE);
    // Moved on to another node: it leaves the node's watch but is still a claim of rack-a.
    await api.patch(`${CLAIMS_PATH}/10.1.0.1`, {
      metadata: { labels: { "ipam.pepr-spiderpool.io/node": "node-3" } },
      spec: { node: "node-3" },
    });
    await eventually("the move seen", () => view.claim("10.1.0.1")?.spec.node === "node-3");
    assert.ok(!seen.some(s => s.startsWith("deleted")), seen.join(", "));
    await api.delete(`${CLAIMS_PATH}/10.1.0.1`);
    await eventually("the claim forgotten", () => !view.claim("10.1.0.1"));
    assert.deepEqual(
      seen.filter(s => s.startsWith("deleted")),
      ["deleted node-3"],
    );
    assert.deepEqual(view.claimsOfPodKey(NS, "sts-0"), []);
  });

  it("a StatefulSet Pod finds its claims in a pool out of scope through the API", async () => {
    const api = await cluster("a");
    seedPool(api, "rack-b", "10.2.0.0/24", "10.2.0.1-10.2.0.9", "b");
    await claim(api, "10.2.0.1", "rack-b", "node-2", "sts-0");
    const view = await viewOf(api);
    assert.deepEqual(view.claimsOfPodKey(NS, "sts-0"), []);
    assert.deepEqual(
      (await view.claimsOfPodKeyAnywhere(NS, "sts-0")).map(c => c.spec.address),
      ["10.2.0.1"],
    );
  });

  it("sees the claims of a pool whose name is too long for a label through the unlabelled watch", async () => {
    const api = await cluster("a");
    const long = `p${"x".repeat(70)}`;
    seedPool(api, long, "10.3.0.0/24", "10.3.0.1-10.3.0.9");
    await claim(api, "10.3.0.1", long, "node-2", "p1");
    const view = await viewOf(api);
    assert.deepEqual(cached(view), ["10.3.0.1"]);
  });
});
