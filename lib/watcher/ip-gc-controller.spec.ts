/**
 * IP GC against the in-memory API server (lib/testing/memory-api.ts): which claims a scan
 * releases, that a Ready node's agent is waited for by the API server's clock, and that a claim
 * changed since it was judged is left alone. The real API server's part is in e2e/suites/gc*.e2e.ts.
 */
import assert from "node:assert/strict";
import type { KubeObject, Stored } from "../k8s/api-client.js";
import { CLAIMS_PATH } from "../k8s/claim-store.js";
import { Informer } from "../k8s/informer.js";
import { quietLogger } from "../testing/quiet-logger.js";
import { parseConfig } from "../schemas/config.js";
import type { IPClaim } from "../schemas/ip-claim.js";
import { eventually } from "../testing/eventually.js";
import { MemoryApi } from "../testing/memory-api.js";
import { IpGcController } from "./ip-gc-controller.js";
import { WatcherMetrics } from "./metrics.js";

const NS = "ns";
const PODS = `/api/v1/namespaces/${NS}/pods`;
const log = quietLogger;

function policy(readyNodeReleaseAfterSeconds: number) {
  const r = parseConfig({});
  if (!r.ok) throw new Error(r.errors.join("; "));
  return { ...r.value.gc, readyNodeReleaseAfterSeconds };
}

const readyNode = (name: string) => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name },
  status: {
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2025-12-31T00:00:00Z" }],
  },
});
const livePod = (name: string, uid: string, node: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: NS, uid },
  spec: { nodeName: node, restartPolicy: "Always", containers: [{ name: "c" }] },
  status: { phase: "Running", podIPs: [{ ip: "10.0.0.1" }] },
});
const claim = (address: string, podName: string, node: string) => ({
  apiVersion: "ipam.pepr-spiderpool.io/v1alpha1",
  kind: "IPClaim",
  metadata: { name: address },
  spec: {
    address,
    ipVersion: 4,
    pool: "p",
    podNamespace: NS,
    podName,
    podUID: `uid-${podName}`,
    interface: "eth0",
    node,
    containerID: "c",
  },
});

describe("IpGcController against MemoryApi", () => {
  let running: { gc: IpGcController; claims: Informer<KubeObject> } | undefined;
  afterEach(() => {
    for (const i of [running?.gc.pods, running?.gc.nodes, running?.gc.endpoints, running?.claims])
      i?.stop();
    running = undefined;
  });

  let metrics = new WatcherMetrics();
  async function start(api: MemoryApi, readyNodeReleaseAfterSeconds = 0) {
    metrics = new WatcherMetrics();
    const claims = new Informer<IPClaim & KubeObject>(api, { path: CLAIMS_PATH }).start();
    const gc = new IpGcController(
      api,
      claims as never,
      policy(readyNodeReleaseAfterSeconds),
      metrics,
      log,
    ).start();
    running = { gc, claims: claims as never };
    await gc.synced();
    return gc;
  }
  const held = (api: MemoryApi) =>
    api
      .all<Stored<IPClaim>>(CLAIMS_PATH)
      .map(c => c.spec.address)
      .sort();

  it("a scan releases the claims of Pods gone from a deleted node, and keeps the live Pods'", async () => {
    const api = new MemoryApi();
    api.seed("/api/v1/nodes", readyNode("n1"));
    api.seed(PODS, livePod("alive", "uid-alive", "n1"));
    api.seed(CLAIMS_PATH, claim("10.0.0.1", "alive", "n1"));
    api.seed(CLAIMS_PATH, claim("10.0.0.2", "gone", "n-deleted"));
    // A Pod of that name exists again, as another incarnation: the old UID's claim still goes.
    api.seed(PODS, livePod("recreated", "uid-new", "n1"));
    api.seed(CLAIMS_PATH, {
      ...claim("10.0.0.3", "recreated", "n-deleted"),
      spec: { ...claim("10.0.0.3", "recreated", "n-deleted").spec, podUID: "uid-old" },
    });
    const gc = await start(api);
    gc.scanAll();
    await eventually("the releases", () => held(api).length === 1);
    await gc.idle();
    assert.deepEqual(held(api), ["10.0.0.1"]);
  });

  it("on a Ready node, waits by the API server's clock for the agent, then releases and says it was unconfirmed", async () => {
    const api = new MemoryApi();
    api.seed("/api/v1/nodes", readyNode("n1"));
    api.seed(CLAIMS_PATH, claim("10.0.0.2", "gone", "n1"));
    const gc = await start(api, 60);
    gc.scanAll();
    await eventually("the first look", () => api.calls.includes(`GET ${PODS}/gone`));
    await gc.idle();
    assert.deepEqual(held(api), ["10.0.0.2"], "kept within gc.readyNodeReleaseAfterSeconds");
    api.now += 61_000;
    gc.scanAll();
    await eventually("the release", () => held(api).length === 0);
    await eventually("the Warning", () =>
      api
        .all<{ reason?: string }>("/api/v1/events")
        .some(e => e.reason === "AddressReleasedUnconfirmed"),
    );
  });

  it("a claim re-pointed since it was judged (409 on the conditioned delete) is left to its new owner", async () => {
    const api = new MemoryApi();
    api.seed(PODS, livePod("new-owner", "uid-new-owner", "n1"));
    api.seed("/api/v1/nodes", readyNode("n1"));
    api.seed(CLAIMS_PATH, claim("10.0.0.2", "gone", "n-deleted"));
    const gc = await start(api);
    // The GC's view lags: it judges the claim as it was before the re-point.
    api.holdWatches();
    await api.patch(`${CLAIMS_PATH}/10.0.0.2`, {
      spec: { podUID: "uid-new-owner", podName: "new-owner", node: "n1" },
    });
    let conflicts = 0;
    api.onAnswer = (method, _path, error) => {
      if (method === "DELETE" && error?.code === "conflict" && ++conflicts === 2)
        api.releaseWatches();
    };
    gc.scanAll();
    await eventually("two refused deletes, then the view catches up", () => conflicts >= 2);
    await gc.idle();
    assert.deepEqual(held(api), ["10.0.0.2"]);
    assert.equal(
      api.peek<Stored<IPClaim>>(`${CLAIMS_PATH}/10.0.0.2`)?.spec.podUID,
      "uid-new-owner",
    );
    const counted = (await metrics.releaseConflicts.get()).values[0]?.value ?? 0;
    assert.ok(
      counted >= 2,
      `each refused delete counted as Spiderpool's release conflict: ${counted}`,
    );
  });

  it("a SpiderEndpoint delivered by the capability's Watch binding makes GC look at the claims of the Pod it records", async () => {
    const api = new MemoryApi();
    // The claim's Pod was never seen and no node is named: no Pod or node event would wake GC.
    api.seed(CLAIMS_PATH, claim("10.0.0.2", "gone", "n-deleted"));
    const gc = await start(api);
    gc.endpointChanged({ metadata: { name: "other", namespace: NS } }); // no Pod UID: nothing
    gc.endpointChanged({
      metadata: { name: "gone", namespace: NS },
      status: { current: { uid: "uid-gone" } },
    });
    await eventually("the release", () => held(api).length === 0);
  });
});
