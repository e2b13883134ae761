import assert from "node:assert/strict";
import type { Logger } from "../logger.js";
import { MemoryApi } from "../testing/memory-api.js";
import { eventually } from "../testing/eventually.js";
import { CLAIMS_PATH } from "../k8s/claim-store.js";
import { CLAIM_API_VERSION } from "../core/base/well-known-names.js";
import { claimProjection } from "./claim-projection.js";
import { ClusterView, type Claim } from "./cluster-view.js";

const quiet = { warn() {}, info() {}, debug() {}, error() {} } as unknown as Logger;
const spec = {
  address: "10.0.0.7",
  ipVersion: 4 as const,
  pool: "p",
  podNamespace: "ns",
  podName: "web-1",
  podUID: "u1",
  interface: "eth0",
  node: "node-1",
  containerID: "c1",
  network: "macvlan",
};
const full = (): Claim => ({
  apiVersion: CLAIM_API_VERSION,
  kind: "IPClaim",
  metadata: {
    name: "10.0.0.7",
    uid: "claim-uid",
    resourceVersion: "42",
    generation: 1,
    creationTimestamp: "2026-12-07T22:37:43Z",
    deletionTimestamp: "2026-12-07T22:40:00Z",
    labels: { "ipam.pepr-spiderpool.io/pod-uid": "u1", "ipam.pepr-spiderpool.io/node": "node-1" },
    annotations: { a: "b" },
    finalizers: ["f"],
  },
  spec: { ...spec },
});

describe("claimProjection: what the agent caches of a claim", () => {
  it("keeps name, uid, resourceVersion, both timestamps and the whole spec; drops labels and the rest", () => {
    assert.deepEqual(claimProjection(full()), {
      apiVersion: CLAIM_API_VERSION,
      kind: "IPClaim",
      metadata: {
        name: "10.0.0.7",
        uid: "claim-uid",
        resourceVersion: "42",
        creationTimestamp: "2026-12-07T22:37:43Z",
        deletionTimestamp: "2026-12-07T22:40:00Z",
      },
      spec,
    });
  });

  it("leaves out what the claim does not have, and gives the same for its own output", () => {
    const bare: Claim = { metadata: { name: "10.0.0.7" }, spec: { ...spec } };
    assert.deepEqual(claimProjection(bare).metadata, { name: "10.0.0.7" });
    const once = claimProjection(full());
    assert.deepEqual(claimProjection(once), once);
  });

  it("the view caches the projection from the watch (one object for informer and index) and from our own writes", async () => {
    const api = new MemoryApi();
    const view = new ClusterView(api, "node-1", quiet).start();
    try {
      await view.synced();
      const { metadata, ...rest } = full();
      await api.create(CLAIMS_PATH, {
        ...rest,
        metadata: { name: metadata.name, labels: metadata.labels },
      });
      await eventually("the watched claim", () => view.claim("10.0.0.7") !== undefined);
      const watched = view.claim("10.0.0.7")!;
      assert.equal(watched.metadata.labels, undefined);
      assert.deepEqual(watched.spec, spec);
      assert.equal(view.claims.get("10.0.0.7"), watched, "the same object, not a copy per cache");
      assert.deepEqual(
        view.claimsOfUid("u1").map(c => c.metadata.name),
        ["10.0.0.7"],
      );
      const written = { ...full(), metadata: { ...full().metadata, name: "10.0.0.8" } };
      written.spec = { ...spec, address: "10.0.0.8", podUID: "u2" };
      view.noteClaim(written);
      assert.equal(view.claim("10.0.0.8")!.metadata.labels, undefined);
      assert.equal(
        written.metadata.labels?.["ipam.pepr-spiderpool.io/pod-uid"],
        "u1",
        "the caller's object is left as it was",
      );
      assert.deepEqual(
        view.claimsOfUid("u2").map(c => c.spec.address),
        ["10.0.0.8"],
      );
    } finally {
      view.stop();
    }
  });
});
