/**
 * Quarantine expiry against the in-memory API server (lib/testing/memory-api.ts) and a real claims
 * informer: expiry judged by the API server's clock, the delete conditioned on the claim as read.
 * The real API server's part is in e2e/suites/coordinator-conflict.e2e.ts.
 */
import assert from "node:assert/strict";
import type { Stored } from "../k8s/api-client.js";
import { CLAIMS_PATH } from "../k8s/claim-store.js";
import { Informer } from "../k8s/informer.js";
import type { IPClaim } from "../schemas/ip-claim.js";
import type { Logger } from "../logger.js";
import { eventually } from "../testing/eventually.js";
import { MemoryApi } from "../testing/memory-api.js";
import { QuarantineExpiry } from "./quarantine-expiry.js";

type Claim = Stored<IPClaim>;
const NOW = Date.parse("2026-12-07T16:00:00Z");
const quarantined = (name: string, until: string): Claim =>
  ({
    apiVersion: "ipam.pepr-spiderpool.io/v1alpha1",
    kind: "IPClaim",
    metadata: { name },
    spec: {
      address: name,
      ipVersion: 4,
      pool: "p",
      podNamespace: "ns",
      podName: "web",
      podUID: "quarantine",
      interface: "net1",
      node: "n1",
      quarantine: { until, since: "2026-12-07T15:50:00Z", mac: "02:00:00:00:00:99", podUID: "u1" },
    },
  }) as Claim;

const log = { info: () => undefined, warn: () => undefined } as unknown as Logger;
const settle = () => new Promise(r => setTimeout(r, 250));

describe("QuarantineExpiry against MemoryApi", () => {
  let informer: Informer<Claim> | undefined;
  afterEach(() => informer?.stop());

  async function setup(...claims: Claim[]) {
    const api = new MemoryApi();
    api.now = NOW;
    for (const c of claims) api.seed(CLAIMS_PATH, c);
    informer = new Informer<Claim>(api, { path: CLAIMS_PATH }).start();
    await informer.synced;
    return { api, informer };
  }
  const names = (api: MemoryApi) => api.all<Claim>(CLAIMS_PATH).map(c => c.metadata.name);

  it("frees an expired quarantine by the API server's clock, and says so on the pool; a later one waits", async () => {
    const { api, informer } = await setup(
      quarantined("10.6.0.5", "2026-12-07T15:59:59Z"),
      quarantined("10.6.0.6", "2026-12-07T17:00:00Z"),
    );
    new QuarantineExpiry(api, informer, log).sweep();
    await eventually("the expired claim freed", () => !names(api).includes("10.6.0.5"));
    await settle();
    assert.deepEqual(names(api), ["10.6.0.6"]);
    await eventually("the Event", () =>
      api.all<{ reason?: string }>("/api/v1/events").some(e => e.reason === "IPQuarantineEnded"),
    );
  });

  it("leaves a claim that changed since it was read (409 on the conditioned delete)", async () => {
    const { api, informer } = await setup(quarantined("10.6.0.5", "2026-12-07T15:59:59Z"));
    // Handed to a Pod again meanwhile; the informer has not seen it yet.
    api.holdWatches();
    await api.patch(`${CLAIMS_PATH}/10.6.0.5`, { spec: { podUID: "u7", quarantine: null } });
    let refused = false;
    api.onAnswer = (method, _path, error) =>
      (refused ||= method === "DELETE" && error?.code === "conflict");
    new QuarantineExpiry(api, informer, log).sweep();
    await eventually("the refused delete", () => refused);
    assert.equal(api.peek<Claim>(`${CLAIMS_PATH}/10.6.0.5`)?.spec.podUID, "u7");
  });

  it("a claim handed back to a Pod before its timer fires is left alone", async () => {
    const { api, informer } = await setup(quarantined("10.6.0.5", "2026-12-07T15:59:59Z"));
    new QuarantineExpiry(api, informer, log).sweep();
    await api.patch(`${CLAIMS_PATH}/10.6.0.5`, { spec: { podUID: "u7", quarantine: null } });
    await settle();
    assert.deepEqual(names(api), ["10.6.0.5"]);
    assert.ok(!api.calls.some(c => c.startsWith("DELETE")), api.calls.join("\n"));
  });
});
