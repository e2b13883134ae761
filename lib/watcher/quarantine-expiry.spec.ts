import assert from "node:assert/strict";
import type { ApiClient, Stored } from "../k8s/api-client.js";
import type { Informer, InformerEvent } from "../k8s/informer.js";
import { K8sError } from "../k8s/k8s-error.js";
import type { IPClaim } from "../schemas/ip-claim.js";
import type { Logger } from "../logger.js";
import { QuarantineExpiry } from "./quarantine-expiry.js";

type Claim = Stored<IPClaim>;
const NOW = Date.parse("2026-12-07T16:00:00Z");
const quarantined = (name: string, until: string, rv = "5"): Claim =>
  ({
    metadata: { name, uid: `uid-${name}`, resourceVersion: rv },
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

class Fake {
  readonly deletes: { path: string; rv?: string }[] = [];
  readonly stored = new Map<string, Claim>();
  handler?: (ev: InformerEvent<Claim>) => void;
  readonly api = {
    clock: { now: () => NOW },
    request: async (_m: string, path: string, opts: { body?: { preconditions?: { resourceVersion?: string } } }) => {
      const name = path.slice(path.lastIndexOf("/") + 1);
      const rv = opts.body?.preconditions?.resourceVersion;
      if (rv && this.stored.get(name)?.metadata.resourceVersion !== rv) throw new K8sError("conflict", 409, "Conflict", "changed");
      this.deletes.push({ path, rv });
      return {};
    },
    create: async () => ({}),
  } as unknown as ApiClient;
  readonly informer = {
    on: (h: (ev: InformerEvent<Claim>) => void) => ((this.handler = h), this.informer),
    list: () => [...this.stored.values()],
    get: (n: string) => this.stored.get(n),
  } as unknown as Informer<Claim>;
}

const log = { info: () => undefined, warn: () => undefined } as unknown as Logger;
const settle = () => new Promise((r) => setTimeout(r, 250));

describe("QuarantineExpiry", () => {
  it("frees an expired quarantine by the API server's clock, conditioned on the claim as read", async () => {
    const f = new Fake();
    f.stored.set("10.6.0.5", quarantined("10.6.0.5", "2026-12-07T15:59:59Z"));
    f.stored.set("10.6.0.6", quarantined("10.6.0.6", "2026-12-07T17:00:00Z"));
    new QuarantineExpiry(f.api, f.informer, log).sweep();
    await settle();
    assert.deepEqual(f.deletes, [{ path: "/apis/ipam.pepr-spiderpool.io/v1alpha1/ipclaims/10.6.0.5", rv: "5" }]);
  });

  it("leaves a claim that changed since it was read, and one that is no longer quarantined", async () => {
    const f = new Fake();
    const q = quarantined("10.6.0.5", "2026-12-07T15:59:59Z");
    f.stored.set("10.6.0.5", q);
    new QuarantineExpiry(f.api, f.informer, log);
    f.stored.set("10.6.0.5", { ...q, spec: { ...q.spec, podUID: "u7", quarantine: undefined } });
    f.handler!({ type: "added", object: q } as InformerEvent<Claim>);
    await settle();
    assert.deepEqual(f.deletes, []);
  });
});
