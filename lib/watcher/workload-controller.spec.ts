/**
 * The auto-pool controller's entry for the capability's Watch bindings (workloadChanged), against
 * the in-memory API server (lib/testing/memory-api.ts). The auto pools themselves are proven on
 * the real API server in e2e/suites/autopool.e2e.ts and autopool-kinds.e2e.ts.
 */
import assert from "node:assert/strict";
import type { Stored } from "../k8s/api-client.js";
import { CLAIMS_PATH } from "../k8s/claim-store.js";
import { Informer } from "../k8s/informer.js";
import { SUBNETS_PATH } from "../k8s/subnet-status-store.js";
import { quietLogger } from "../testing/quiet-logger.js";
import { parseConfig } from "../schemas/config.js";
import type { IPClaim } from "../schemas/ip-claim.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { SpiderReservedIP } from "../schemas/reserved-ip.js";
import type { SpiderSubnet } from "../schemas/subnet.js";
import { eventually } from "../testing/eventually.js";
import { MemoryApi } from "../testing/memory-api.js";
import { KeyedLock } from "./keyed-lock.js";
import { WorkloadController } from "./workload-controller.js";

const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";
const RESERVED = "/apis/spiderpool.spidernet.io/v2beta1/spiderreservedips";
const log = quietLogger;

/** An auto pool whose labels name Deployment ns/web (UID u1), reclaimed with it. */
const autoPool = {
  apiVersion: "spiderpool.spidernet.io/v2beta1",
  kind: "SpiderIPPool",
  metadata: {
    name: "auto4-web-eth0-1a2b3",
    labels: {
      "ipam.spidernet.io/owner-application-gv": "apps_v1",
      "ipam.spidernet.io/owner-application-kind": "Deployment",
      "ipam.spidernet.io/owner-application-namespace": "ns",
      "ipam.spidernet.io/owner-application-name": "web",
      "ipam.spidernet.io/owner-application-uid": "u1",
      "ipam.spidernet.io/ippool-reclaim": "true",
    },
  },
  spec: { ipVersion: 4, subnet: "10.0.0.0/24", ips: ["10.0.0.10-10.0.0.11"] },
};

const web = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "ns", uid: "u1" },
  spec: {
    replicas: 2,
    template: {
      metadata: { annotations: { "ipam.spidernet.io/subnet": '{"ipv4":["s4"]}' } },
      spec: {},
    },
  },
};

describe("WorkloadController.workloadChanged (events of the capability's Watch bindings)", () => {
  const stops: (() => void)[] = [];
  afterEach(() => stops.splice(0).forEach(s => s()));

  async function started(api: MemoryApi): Promise<WorkloadController> {
    const r = parseConfig({ enableSpiderSubnet: true, enableAutoPoolForApplication: true });
    if (!r.ok) throw new Error(r.errors.join("; "));
    const caches = {
      pools: new Informer<Stored<SpiderIPPool>>(api, { path: POOLS }).start(),
      claims: new Informer<Stored<IPClaim>>(api, { path: CLAIMS_PATH }).start(),
      subnets: new Informer<Stored<SpiderSubnet>>(api, { path: SUBNETS_PATH }).start(),
      reserved: new Informer<Stored<SpiderReservedIP>>(api, { path: RESERVED }).start(),
    };
    const ctl = new WorkloadController(api, log, r.value, caches, new KeyedLock()).start();
    stops.push(() => ctl.stop(), ...Object.values(caches).map(i => () => i.stop()));
    await Promise.all([ctl.synced(), ...Object.values(caches).map(i => i.synced)]);
    return ctl;
  }

  it("a delivered deletion of a workload that still has auto pools reclaims them", async () => {
    const api = new MemoryApi();
    api.seed(POOLS, autoPool);
    const ctl = await started(api);
    ctl.workloadChanged("Deployment", web, "DELETED");
    await eventually(
      "the auto pool deleted",
      () => api.peek(`${POOLS}/${autoPool.metadata.name}`) === undefined,
    );
  });

  it("a delivered workload its cache does not hold yet is left to the informer's own event (the run would read it as deleted)", async () => {
    const api = new MemoryApi();
    api.seed(POOLS, autoPool);
    const ctl = await started(api);
    ctl.workloadChanged("Deployment", web, "ADDED");
    ctl.workloadChanged("Deployment", web, "MODIFIED");
    await new Promise(r => setTimeout(r, 100)); // past the queue's coalescing delay
    await ctl.idle();
    assert.ok(
      api.peek(`${POOLS}/${autoPool.metadata.name}`),
      "the pool of the live workload is kept",
    );
    assert.ok(
      !api.calls.some(c => c.startsWith("DELETE")),
      `no delete was sent:\n${api.calls.join("\n")}`,
    );
  });
});
