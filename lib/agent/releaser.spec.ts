/**
 * The release decisions of the agent (DEL, batch DEL, CHECK, GC) against the in-memory API server
 * (lib/testing/memory-api.ts) and a cluster view: what a request may release, and that a refused
 * one releases nothing. The real API server's part is in e2e/suites/agent-trust.e2e.ts.
 */
import assert from "node:assert/strict";
import type { Pod } from "../k8s/core-kinds.js";
import { CLAIMS_PATH } from "../k8s/claim-store.js";
import { MemoryApi } from "../testing/memory-api.js";
import { parseConfig, type SpiderpoolConfig } from "../schemas/config.js";
import type { Logger } from "../logger.js";
import { AgentError } from "./agent-error.js";
import type { Claim, ClusterView } from "./cluster-view.js";
import { Releaser } from "./releaser.js";

const NODE = "node-1";
const NS = "ns";

function pod(name: string, uid: string, node = NODE, over: Partial<Pod["metadata"]> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, uid, ...over },
    spec: { nodeName: node, restartPolicy: "Always", containers: [{ name: "c" }] },
    status: { phase: "Running" },
  } as Pod;
}

function claim(
  address: string,
  podName: string,
  podUID: string,
  node = NODE,
  over: Partial<Claim["spec"]> = {},
): Claim {
  return {
    apiVersion: "ipam.pepr-spiderpool.io/v1alpha1",
    kind: "IPClaim",
    metadata: { name: address, uid: `claim-${address}`, resourceVersion: "1" },
    spec: {
      address,
      ipVersion: 4,
      pool: "p",
      podNamespace: NS,
      podName,
      podUID,
      interface: "eth0",
      node,
      containerID: "c0ffee",
      ...over,
    },
  } as Claim;
}

const PODS = `/api/v1/namespaces/${NS}/pods`;

/** The in-memory API server with the namespace; Pods and claims are added by each spec. */
function memoryApi(): MemoryApi {
  const api = new MemoryApi();
  api.seed("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  return api;
}

/** The parts of ClusterView the releaser reads: its node, its Pods' cache, the claim index. */
class FakeView {
  readonly nodeName = NODE;
  readonly cached = new Map<string, Pod>();
  readonly claims = new Map<string, Claim>();
  constructor(private readonly api: MemoryApi) {}
  readonly pods = {
    get: (name: string, namespace: string) => this.cached.get(`${namespace}/${name}`),
  };
  claimsOfUid(uid: string): Claim[] {
    return [...this.claims.values()].filter(c => c.spec.podUID === uid);
  }
  allClaims(): Claim[] {
    return [...this.claims.values()];
  }
  forgetClaim(c: Claim): void {
    this.claims.delete(c.metadata.name);
  }
  async pod(namespace: string, name: string): Promise<Pod | undefined> {
    return (
      this.cached.get(`${namespace}/${name}`) ??
      this.api.peek<Pod>(`/api/v1/namespaces/${namespace}/pods/${name}`)
    );
  }
  /** Claims as the API server stores them (its uid and resourceVersion), and as the watch showed them. */
  add(...cs: Claim[]): void {
    for (const c of cs) this.claims.set(c.metadata.name, this.api.seed(CLAIMS_PATH, c));
  }
}

function setup(releaseHoldMs = 0) {
  const api = memoryApi();
  const view = new FakeView(api);
  const warnings: { msg: string; meta: Record<string, unknown> }[] = [];
  const infos: { msg: string; meta: Record<string, unknown> }[] = [];
  const log = {
    warn: (msg: string, meta: Record<string, unknown>) => warnings.push({ msg, meta }),
    info: (msg: string, meta: Record<string, unknown>) => infos.push({ msg, meta }),
    debug: () => undefined,
  } as unknown as Logger;
  const defaults = parseConfig({});
  const config = {
    enableStatefulSet: true,
    gc: defaults.ok ? defaults.value.gc : undefined,
  } as SpiderpoolConfig;
  const releaser = new Releaser({
    api,
    view: view as unknown as ClusterView,
    config,
    log,
    releaseHoldMs,
  });
  // What was released: the claims gone from the API server (a refused DELETE leaves its claim).
  const deleted = () =>
    api.calls
      .filter(w => w.startsWith(`DELETE ${CLAIMS_PATH}/`) && !api.peek(w.slice("DELETE ".length)))
      .map(w => w.slice(`DELETE ${CLAIMS_PATH}/`.length));
  return { api, view, warnings, infos, releaser, deleted };
}

/** StatefulSet `db` of the namespace, wanting `replicas` Pods. */
function withStatefulSet(api: MemoryApi, replicas: number): void {
  api.seed(`/apis/apps/v1/namespaces/${NS}/statefulsets`, {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db", namespace: NS },
    spec: { replicas },
  });
}

const del = (podName: string, podUID: string) => ({
  containerID: "c0ffee",
  ifName: "eth0",
  podNamespace: NS,
  podName,
  podUID,
});

async function refused(p: Promise<unknown>, text: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AgentError, String(e));
    assert.equal(e.code, "forbidden");
    assert.match(e.message, text);
    return true;
  });
}

describe("Releaser: only the named Pod's claims on this node", () => {
  it("DEL naming a made-up Pod with the victim's UID is refused, logged, and releases nothing", async () => {
    const { view, warnings, releaser, deleted } = setup();
    view.add(claim("10.0.0.9", "victim", "u-victim"));
    await refused(
      releaser.del(del("made-up", "u-victim")),
      /^DEL refused: claim 10\.0\.0\.9 belongs to pod ns\/victim \(uid u-victim\), not ns\/made-up \(uid u-victim\)$/,
    );
    assert.deepEqual(deleted(), []);
    assert.equal(view.claims.size, 1);
    assert.deepEqual(
      warnings.map(w => [w.msg, w.meta.pod, w.meta.reason]),
      [
        [
          "DEL refused",
          "ns/made-up",
          "claim 10.0.0.9 belongs to pod ns/victim (uid u-victim), not ns/made-up (uid u-victim)",
        ],
      ],
    );
  });

  it("DEL of a gone Pod whose claims were made on another node is refused", async () => {
    const { view, releaser, deleted } = setup();
    view.add(claim("10.0.0.5", "web", "u1", "node-2"));
    await refused(
      releaser.del(del("web", "u1")),
      /was made on node node-2, not on this node node-1/,
    );
    assert.deepEqual(deleted(), []);
  });

  it("DEL of a Pod bound to another node is refused, even a live one", async () => {
    const { api, view, releaser, deleted } = setup();
    api.seed(PODS, pod("web", "u1", "node-2"));
    view.add(claim("10.0.0.5", "web", "u1", "node-2"));
    await refused(
      releaser.del(del("web", "u1")),
      /^DEL refused: pod ns\/web \(uid u1\) runs on node node-2, not on this node node-1$/,
    );
    assert.deepEqual(deleted(), []);
  });

  it("DEL of a gone Pod of this node releases its claims and no one else's", async () => {
    const { view, releaser, deleted } = setup();
    view.add(
      claim("10.0.0.5", "web", "u1"),
      claim("10.0.0.6", "web", "u1", NODE, { interface: "net1" }),
      claim("10.0.0.9", "victim", "u-victim"),
    );
    assert.equal(await releaser.del(del("web", "u1")), 2);
    assert.deepEqual(deleted().sort(), ["10.0.0.5", "10.0.0.6"]);
    assert.deepEqual([...view.claims.keys()], ["10.0.0.9"]);
  });

  it("DEL of a live Pod keeps its claims; of a Pod without claims succeeds with nothing", async () => {
    const { api, view, releaser, deleted } = setup();
    api.seed(PODS, pod("web", "u1"));
    view.add(claim("10.0.0.5", "web", "u1"));
    assert.equal(await releaser.del(del("web", "u1")), 0);
    assert.equal(await releaser.del(del("nobody", "u-none")), 0);
    assert.deepEqual(deleted(), []);
  });

  it("DEL of a dead Pod in the cache needs no read of the API server", async () => {
    const { api, view, releaser, deleted } = setup();
    view.cached.set(
      "ns/web",
      pod("web", "u1", NODE, { deletionTimestamp: "2026-01-01T00:00:00Z" }),
    );
    view.add(claim("10.0.0.5", "web", "u1"));
    assert.equal(await releaser.del(del("web", "u1")), 1);
    assert.deepEqual(deleted(), ["10.0.0.5"]);
    assert.ok(
      !api.calls.some(g => g.startsWith("GET") && g.endsWith("/pods/web")),
      api.calls.join(", "),
    );
  });

  it("DEL of a gone StatefulSet Pod whose ordinal is still wanted keeps its claims", async () => {
    const { api, view, releaser, deleted } = setup();
    api.seed(`/apis/apps/v1/namespaces/${NS}/statefulsets`, {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db" },
      spec: { replicas: 3 },
    });
    view.add(claim("10.0.0.7", "db-1", "u-db", NODE, { static: true }));
    assert.equal(await releaser.del(del("db-1", "u-db")), 0);
    assert.deepEqual(deleted(), []);
  });

  it("batch DEL for a Pod of another node is refused; for this node's live Pod it releases all of it", async () => {
    const { api, view, releaser, deleted } = setup();
    api.seed(PODS, pod("remote", "u-r", "node-2"));
    api.seed(PODS, pod("web", "u1"));
    view.add(claim("10.0.0.5", "web", "u1"), claim("10.0.0.8", "remote", "u-r", "node-2"));
    await refused(
      releaser.batchDel({ ...del("remote", "u-r"), isReleaseConflictIPs: true }),
      /^batch DEL refused: pod ns\/remote \(uid u-r\) runs on node node-2/,
    );
    await refused(
      releaser.batchDel(del("web", "u-r")),
      /^batch DEL refused: claim 10\.0\.0\.8 belongs to pod ns\/remote/,
    );
    assert.deepEqual(deleted(), []);
    assert.equal(await releaser.batchDel({ ...del("web", "u1"), isReleaseConflictIPs: true }), 1);
    assert.deepEqual(deleted(), ["10.0.0.5"]);
  });

  it("CHECK of a Pod of another node is refused without naming its addresses; of this node's Pod it compares", async () => {
    const { api, view, releaser } = setup();
    api.seed(PODS, pod("remote", "u-r", "node-2"));
    api.seed(PODS, pod("web", "u1"));
    view.add(claim("10.0.0.5", "web", "u1"), claim("10.0.0.8", "remote", "u-r", "node-2"));
    const check = (podName: string, podUID: string, addresses: string[]) =>
      releaser.check({ ...del(podName, podUID), addresses });
    await assert.rejects(
      check("remote", "u-r", []),
      (e: AgentError) => e.code === "forbidden" && !e.message.includes("10.0.0.8"),
    );
    await assert.rejects(
      check("web", "u-r", []),
      (e: AgentError) =>
        e.code === "pod_not_found" && /has UID u1, the runtime asked for u-r/.test(e.message),
    );
    await check("web", "u1", ["10.0.0.5/24"]);
    await assert.rejects(
      check("web", "u1", ["10.0.0.6/24"]),
      /holds \[10\.0\.0\.6\] but the allocation is \[10\.0\.0\.5\]/,
    );
  });

  it("DEL leaves a claim that changed since the view saw it (re-pointed meanwhile)", async () => {
    const { api, view, releaser, deleted } = setup();
    view.add(
      claim("10.0.0.5", "db-0", "u-old", NODE, { static: true }),
      claim("10.0.0.6", "db-0", "u-old"),
    );
    // Re-pointed by someone else after the view saw it: its resourceVersion moved on.
    await api.patch(`${CLAIMS_PATH}/10.0.0.5`, { spec: { podUID: "u-new" } });
    assert.equal(await releaser.del(del("db-0", "u-old")), 1);
    assert.deepEqual(deleted(), ["10.0.0.6"]);
    assert.ok(
      view.claims.has("10.0.0.5"),
      "the changed claim stays in the view until the watch shows it",
    );
  });

  it("GC releases this node's claims of gone Pods, leaves a Pod with claims on another node alone", async () => {
    const { view, warnings, releaser, deleted } = setup();
    view.add(
      claim("10.0.0.5", "gone", "u-gone"),
      claim("10.0.0.6", "split", "u-split"),
      claim("10.0.0.7", "split", "u-split", "node-2"),
      claim("10.0.0.8", "elsewhere", "u-e", "node-2"),
      claim("10.0.0.9", "../evil", "u-evil"),
    );
    assert.equal(await releaser.gc({ validAttachments: [] }), 1);
    assert.deepEqual(deleted(), ["10.0.0.5"]);
    assert.deepEqual(
      warnings.map(w => w.msg),
      ["GC refused", "GC skips claims naming an invalid Pod"],
    );
  });
});

describe("Releaser: the release after a sandbox check (releaseConfirmed)", () => {
  it("releases a gone Pod's claims", async () => {
    const { view, releaser, deleted } = setup();
    view.add(claim("10.0.0.5", "web", "u-gone"));
    assert.equal(
      await releaser.releaseConfirmed(
        "u-gone",
        view.claimsOfUid("u-gone"),
        "released by the runtime",
      ),
      1,
    );
    assert.deepEqual(deleted(), ["10.0.0.5"]);
  });

  it("keeps a gone StatefulSet Pod's claim while the StatefulSet wants its ordinal again", async () => {
    const { api, view, releaser, deleted } = setup();
    withStatefulSet(api, 3);
    view.add(claim("10.0.0.7", "db-2", "u-old", NODE, { static: true }));
    assert.equal(
      await releaser.releaseConfirmed(
        "u-old",
        view.claimsOfUid("u-old"),
        "released by the runtime",
      ),
      0,
    );
    assert.deepEqual(deleted(), []);
  });

  it("a release held by the test knob loses to the new incarnation that re-pointed the claim meanwhile", async () => {
    const { api, view, infos, releaser, deleted } = setup(30);
    withStatefulSet(api, 2); // scaled down: ordinal 2 is not wanted when the release is decided
    view.add(claim("10.0.0.7", "db-2", "u-old", NODE, { static: true }));
    const released = releaser.releaseConfirmed(
      "u-old",
      view.claimsOfUid("u-old"),
      "released by the runtime",
    );
    await new Promise(r => setTimeout(r, 5));
    assert.ok(
      infos.some(
        i =>
          i.msg.includes("held back by SPIDERPOOL_TEST_GC_DELAY_MS") && i.meta.podUID === "u-old",
      ),
      "the decision is held",
    );
    // The new db-2 takes the claim over while the decision is held: a new resourceVersion.
    await api.patch(`${CLAIMS_PATH}/10.0.0.7`, { spec: { podUID: "u-new" } }, "merge");
    assert.equal(await released, 0);
    assert.deepEqual(deleted(), []);
    assert.equal(
      api.peek<Claim>(`${CLAIMS_PATH}/10.0.0.7`)?.spec.podUID,
      "u-new",
      "the new incarnation keeps the claim",
    );
    assert.ok(
      infos.some(
        i => i.msg.startsWith("claim changed since it was judged") && i.meta.claim === "10.0.0.7",
      ),
    );
  });
});
