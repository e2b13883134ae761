/**
 * The coordinator routes' decisions against the in-memory API server (lib/testing/memory-api.ts)
 * and a cluster view: what a plan asks for, that a conflict quarantines the claim in one
 * resourceVersion-conditioned patch (or keeps a StatefulSet's), and that a refused request writes
 * nothing.
 */
import assert from "node:assert/strict";
import type { Pod } from "../k8s/core-kinds.js";
import { CLAIMS_PATH } from "../k8s/claim-store.js";
import { SpiderpoolConfigSchema } from "../schemas/config.js";
import type { Logger } from "../logger.js";
import type { Claim, ClusterView, Pool } from "./cluster-view.js";
import { CoordinatorService } from "./coordinator-service.js";
import { AgentMetrics } from "./metrics.js";
import { MemoryApi } from "../testing/memory-api.js";

const NODE = "node-1";
const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "ns", uid: "u1" },
  spec: { nodeName: NODE, containers: [] },
} as unknown as Pod;
const claim = (address: string, over: Partial<Claim["spec"]> = {}): Claim =>
  ({
    metadata: { name: address, uid: `c-${address}`, resourceVersion: "7" },
    spec: {
      address,
      ipVersion: 4,
      pool: "p4",
      podNamespace: "ns",
      podName: "web",
      podUID: "u1",
      interface: "net1",
      node: NODE,
      containerID: "c0",
      ...over,
    },
  }) as Claim;

/** The in-memory API server (lib/testing/memory-api.ts), and the parts of the cluster view the service reads. */
class Fake {
  readonly api = new MemoryApi();
  /** The view's claims: as the API server stored them when the watch last showed them. */
  readonly claims = new Map<string, Claim>();
  readonly view = {
    nodeName: NODE,
    pod: async () => pod,
    claim: (n: string) => this.claims.get(n),
    claimsOfUid: (uid: string) => [...this.claims.values()].filter(c => c.spec.podUID === uid),
    noteClaim: (c: Claim) => this.claims.set(c.metadata.name, c),
    pools: {
      get: (n: string) =>
        ({
          metadata: { name: n, uid: "pool-uid" },
          spec: { gateway: "10.6.0.1" },
        }) as unknown as Pool,
    },
  } as unknown as ClusterView;
  add(c: Claim): Claim {
    const stored = this.api.seed(CLAIMS_PATH, c);
    this.claims.set(c.metadata.name, stored);
    return stored;
  }
  stored(name: string): Claim | undefined {
    return this.api.peek<Claim>(`${CLAIMS_PATH}/${name}`);
  }
  get patches(): string[] {
    return this.api.calls.filter(c => c.startsWith("PATCH "));
  }
  get events(): string[] {
    return this.api
      .all<{ reason: string; involvedObject: { kind: string } }>("/api/v1/events")
      .map(e => `${e.involvedObject.kind}:${e.reason}`);
  }
}

const log = {
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
} as unknown as Logger;
const config = SpiderpoolConfigSchema.parse({ coordinator: { quarantineSeconds: 60 } });
const id = {
  containerID: "c0",
  netns: "/run/netns/x",
  ifName: "net1",
  podNamespace: "ns",
  podName: "web",
  podUID: "u1",
};
const netconf = (over: Record<string, unknown> = {}) => ({
  cniVersion: "1.0.0",
  name: "net-a",
  type: "coordinator",
  prevResult: {
    interfaces: [{ name: "net1", sandbox: "/run/netns/x" }],
    ips: [{ address: "10.6.0.5/24", gateway: "10.6.0.1", interface: 0 }],
  },
  ...over,
});

function service(
  f: Fake,
  cluster: { detectIPConflict?: boolean; detectGateway?: boolean } = {},
  warned: string[][] = [],
) {
  const metrics = new AgentMetrics();
  const svc = new CoordinatorService({
    api: f.api,
    view: f.view,
    config,
    metrics,
    log,
    defaults: { get: async () => cluster },
    warnings: { warn: (_n, fields) => (warned.push([...fields]), true) },
    now: () => Date.parse("2026-12-07T16:00:00Z"),
  });
  return { svc, metrics };
}

describe("CoordinatorService", () => {
  it("plans a conflict and a gateway probe with the netconf's timing", async () => {
    const f = new Fake();
    f.add(claim("10.6.0.5"));
    const { svc } = service(f);
    const plan = await svc.plan({
      ...id,
      netconf: netconf({
        detectIPConflict: true,
        detectGateway: true,
        detectOptions: { retries: 2, timeout: "50ms" },
      }),
    });
    assert.deepEqual(plan, {
      probes: [
        { kind: "conflict", ip: "10.6.0.5", family: 4 },
        { kind: "gateway", ip: "10.6.0.1", family: 4, source: "10.6.0.5" },
      ],
      ifName: "net1",
      timeoutMs: 50,
      retries: 2,
      deadlineMs: 2 * 2 * 50 + 1000,
    });
  });

  it("takes the SpiderCoordinator default when the netconf is silent, and the netconf's false over it", async () => {
    const f = new Fake();
    f.add(claim("10.6.0.5"));
    const { svc } = service(f, { detectIPConflict: true, detectGateway: true });
    const silent = await svc.plan({ ...id, netconf: netconf() });
    assert.ok("probes" in silent);
    assert.deepEqual(
      silent.probes.map(p => p.kind),
      ["conflict", "gateway"],
    );
    const off = await svc.plan({ ...id, netconf: netconf({ detectGateway: false }) });
    assert.ok("probes" in off);
    assert.deepEqual(
      off.probes.map(p => p.kind),
      ["conflict"],
    );
  });

  it("answers a bad netconf with CNI error 7 naming field and value, and warns fields not implemented", async () => {
    const f = new Fake();
    f.add(claim("10.6.0.5"));
    const warned: string[][] = [];
    const { svc } = service(f, {}, warned);
    const bad = await svc.plan({ ...id, netconf: netconf({ detectOptions: { retries: 99 } }) });
    assert.ok("cniError" in bad);
    assert.equal(bad.cniError.code, 7);
    assert.match(bad.cniError.msg, /field detectOptions\.retries: .*\(got 99\)/);
    await svc.plan({
      ...id,
      netconf: netconf({ mode: "underlay", hijackCIDR: ["169.254.20.10/32"] }),
    });
    assert.deepEqual(warned, [["mode", "hijackCIDR"]]);
  });

  it("refuses (forbidden) a plan for an address this Pod's NIC does not hold", async () => {
    const f = new Fake();
    f.add(claim("10.6.0.5", { podName: "victim", podUID: "u9" }));
    const { svc } = service(f);
    await assert.rejects(
      svc.plan({ ...id, netconf: netconf({ detectIPConflict: true }) }),
      (e: Error & { code?: string }) =>
        e.code === "forbidden" && /claimed by pod ns\/victim/.test(e.message),
    );
  });

  it("quarantines a conflicting address in one patch conditioned on the resourceVersion read", async () => {
    const f = new Fake();
    const read = f.add(claim("10.6.0.5"));
    const { svc, metrics } = service(f);
    const r = await svc.report({
      ...id,
      findings: [{ kind: "conflict", ip: "10.6.0.5", mac: "02:00:00:00:00:99" }],
    });
    assert.equal(r.cniError?.code, 101);
    assert.match(
      r.cniError!.msg,
      /IP conflict: 10\.6\.0\.5 .* answered by MAC 02:00:00:00:00:99.*quarantined in pool p4 until 2026-12-07T16:01:00Z/,
    );
    assert.equal(f.patches.length, 1);
    const now = f.stored("10.6.0.5")!;
    assert.notEqual(now.metadata.resourceVersion, read.metadata.resourceVersion);
    assert.equal(now.spec.podUID, "quarantine");
    assert.deepEqual(now.spec.quarantine, {
      until: "2026-12-07T16:01:00Z",
      since: "2026-12-07T16:00:00Z",
      mac: "02:00:00:00:00:99",
      podUID: "u1",
    });
    // The retry of the ADD must no longer find the address as the Pod's.
    assert.deepEqual(f.view.claimsOfUid("u1"), []);
    assert.deepEqual(f.events.sort(), ["Pod:IPConflict", "SpiderIPPool:IPConflict"]);
    assert.match(
      await metrics.registry.metrics(),
      /spiderpool_ip_conflict_counts_total\{outcome="quarantined"\} 1/,
    );
  });

  it("keeps a StatefulSet Pod's address and reports it without writing the claim", async () => {
    const f = new Fake();
    f.add(claim("10.6.0.5", { static: true }));
    const { svc, metrics } = service(f);
    const r = await svc.report({
      ...id,
      findings: [{ kind: "conflict", ip: "10.6.0.5", mac: "02:00:00:00:00:99" }],
    });
    assert.match(
      r.cniError!.msg,
      /10\.6\.0\.5 .*MAC 02:00:00:00:00:99.*stays with the StatefulSet pod/,
    );
    assert.equal(f.patches.length, 0);
    assert.match(
      await metrics.registry.metrics(),
      /spiderpool_ip_conflict_counts_total\{outcome="kept"\} 1/,
    );
  });

  it("writes nothing when the claim changed since it was read (409): the retry decides again", async () => {
    const f = new Fake();
    f.add(claim("10.6.0.5"));
    // Changed by someone else after the view read it: the conditioned patch meets 409.
    await f.api.patch(`${CLAIMS_PATH}/10.6.0.5`, { metadata: { labels: { touched: "yes" } } });
    const { svc } = service(f);
    await assert.rejects(
      svc.report({
        ...id,
        findings: [{ kind: "conflict", ip: "10.6.0.5", mac: "02:00:00:00:00:99" }],
      }),
      /changed while quarantining it; retry/,
    );
    assert.equal(f.claims.get("10.6.0.5")!.spec.podUID, "u1");
    assert.equal(f.stored("10.6.0.5")!.spec.podUID, "u1");
    assert.equal(f.stored("10.6.0.5")!.spec.quarantine, undefined);
  });

  it("names the unreachable gateway, and refuses one that is no gateway of the Pod's pools", async () => {
    const f = new Fake();
    f.add(claim("10.6.0.5"));
    const { svc } = service(f);
    const r = await svc.report({
      ...id,
      findings: [{ kind: "gatewayUnreachable", ip: "10.6.0.1", attempts: 3, waitedMs: 300 }],
    });
    assert.equal(r.cniError?.code, 102);
    assert.match(
      r.cniError!.msg,
      /^gateway 10\.6\.0\.1 is unreachable from pod ns\/web NIC net1: no answer after 3 attempt\(s\) in 300 ms$/,
    );
    await assert.rejects(
      svc.report({
        ...id,
        findings: [{ kind: "gatewayUnreachable", ip: "10.6.0.254", attempts: 3, waitedMs: 300 }],
      }),
      /10\.6\.0\.254 is not the gateway/,
    );
  });
});
