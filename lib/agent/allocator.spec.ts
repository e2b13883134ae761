/**
 * The allocator's ADD against the in-memory API server (lib/testing/memory-api.ts) and a real
 * ClusterView watching it: which address a Pod gets, what a full pool answers, and how a 409 or a
 * lost CREATE reply is settled. The real API server's part is in e2e/suites/allocation-*.e2e.ts
 * and e2e/suites/lost-create-reply.e2e.ts.
 */
import assert from "node:assert/strict";
import type { Stored } from "../k8s/api-client.js";
import type { Pod } from "../k8s/core-kinds.js";
import { CLAIMS_PATH } from "../k8s/claim-store.js";
import { K8sError } from "../k8s/k8s-error.js";
import type { Logger } from "../logger.js";
import { parseConfig, type SpiderpoolConfig } from "../schemas/config.js";
import type { IPClaim } from "../schemas/ip-claim.js";
import type { IpamAddArgs } from "../schemas/agent-api.js";
import { MemoryApi } from "../testing/memory-api.js";
import { AgentError } from "./agent-error.js";
import { Allocator } from "./allocator.js";
import { ClusterView } from "./cluster-view.js";
import { AgentMetrics } from "./metrics.js";
import { OwnerCache } from "./owner-cache.js";

const NODE = "node-1";
const NS = "ns";
const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";

function fixedConfig(): SpiderpoolConfig {
  const r = parseConfig({ enableIPv6: false });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.value;
}

interface Env {
  api: MemoryApi;
  view: ClusterView;
  allocator: Allocator;
  infos: string[];
}

const envs: Env[] = [];
afterEach(() => {
  for (const e of envs.splice(0)) e.view.stop();
});

/** A cluster with one node, one namespace, one pool of `ips`, and the Pods named. */
async function env(ips: string[], pods: string[]): Promise<Env> {
  const api = new MemoryApi();
  api.seed("/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: NODE } });
  api.seed("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  api.seed(POOLS, {
    apiVersion: "spiderpool.spidernet.io/v2beta1",
    kind: "SpiderIPPool",
    metadata: { name: "pool" },
    spec: { ipVersion: 4, subnet: "10.0.0.0/24", ips, default: false, disable: false },
  } as never);
  for (const name of pods) api.seed(`/api/v1/namespaces/${NS}/pods`, pod(name));
  const infos: string[] = [];
  const log = {
    info: (m: string) => infos.push(m),
    warn: () => undefined,
    debug: () => undefined,
    error: () => undefined,
  } as unknown as Logger;
  const view = new ClusterView(api, NODE, log).start();
  await view.synced();
  const allocator = new Allocator({
    api,
    view,
    owners: new OwnerCache(api),
    config: fixedConfig(),
    metrics: new AgentMetrics(),
    log,
    agentNamespace: "kube-system",
    sleep: async () => undefined,
  });
  const e = { api, view, allocator, infos };
  envs.push(e);
  return e;
}

function pod(name: string): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, uid: `uid-${name}` },
    spec: { nodeName: NODE, restartPolicy: "Always", containers: [{ name: "c" }] },
    status: { phase: "Pending" },
  } as Pod;
}

const args = (name: string): IpamAddArgs => ({
  containerID: `ctr-${name}`,
  ifName: "eth0",
  netNamespace: "/var/run/netns/x",
  podNamespace: NS,
  podName: name,
  podUID: `uid-${name}`,
  defaultIPv4IPPool: ["pool"],
});
const claims = (api: MemoryApi) => api.all<Stored<IPClaim>>(CLAIMS_PATH);
const addressOf = (r: { ips: { address: string }[] }) => r.ips.map(i => i.address.split("/")[0]);

/** The address this Pod's ADD picks in an empty pool of `ips` (the pick is a pure function of the inputs). */
async function firstPick(ips: string[], name: string): Promise<string> {
  const e = await env(ips, [name]);
  return addressOf(await e.allocator.add(args(name)))[0]!;
}

/** A claim of `address` for `owner`, written behind the agent's watch. */
function claimFor(address: string, owner: string, ifName = "eth0") {
  return {
    apiVersion: "ipam.pepr-spiderpool.io/v1alpha1",
    kind: "IPClaim",
    // IPv4 claims are named after the address (lib/schemas/ip-claim.ts, claimName).
    metadata: { name: address },
    spec: {
      address,
      ipVersion: 4,
      pool: "pool",
      podNamespace: NS,
      podName: owner,
      podUID: `uid-${owner}`,
      interface: ifName,
      node: NODE,
      containerID: `ctr-${owner}`,
    },
  };
}

describe("Allocator.add against MemoryApi", () => {
  it("claims one address of the pool for the Pod and records it in its SpiderEndpoint", async () => {
    const { api, allocator } = await env(["10.0.0.10-10.0.0.12"], ["a"]);
    const r = await allocator.add(args("a"));
    const [ip] = addressOf(r);
    assert.match(ip!, /^10\.0\.0\.1[0-2]$/);
    assert.deepEqual(
      claims(api).map(c => [c.spec.address, c.spec.podUID, c.spec.interface]),
      [[ip, "uid-a", "eth0"]],
    );
    const ep = api.peek<Stored<{ status: { current: { uid: string; ips: { ipv4?: string }[] } } }>>(
      `/apis/spiderpool.spidernet.io/v2beta1/namespaces/${NS}/spiderendpoints/a`,
    );
    assert.equal(ep?.status.current.uid, "uid-a");
    assert.equal(ep?.status.current.ips[0]?.ipv4?.split("/")[0], ip);
  });

  it("a repeated ADD returns the same address and claims nothing more", async () => {
    const { api, allocator } = await env(["10.0.0.10-10.0.0.12"], ["a"]);
    const first = addressOf(await allocator.add(args("a")));
    const again = addressOf(await allocator.add(args("a")));
    assert.deepEqual(again, first);
    assert.equal(claims(api).length, 1);
  });

  it("gives different Pods different addresses, and refuses the one past the pool's end", async () => {
    const { api, allocator } = await env(["10.0.0.10-10.0.0.11"], ["a", "b", "c"]);
    const a = addressOf(await allocator.add(args("a")))[0];
    const b = addressOf(await allocator.add(args("b")))[0];
    assert.deepEqual([a, b].sort(), ["10.0.0.10", "10.0.0.11"]);
    await assert.rejects(allocator.add(args("c")), (e: unknown) => {
      assert.ok(e instanceof AgentError, String(e));
      assert.equal(e.code, "ip_used_out");
      return true;
    });
    assert.equal(claims(api).length, 2, "the refused ADD claimed nothing");
  });

  it("409 on its claim (another agent won the address, not yet in the watch): claims the next free address", async () => {
    const ips = ["10.0.0.10-10.0.0.11"];
    const wanted = await firstPick(ips, "a");
    const { api, allocator } = await env(ips, ["a"]);
    api.holdWatches();
    api.seed(CLAIMS_PATH, claimFor(wanted, "other"));
    // The other agent's claim shows in the watch once ours collided with it.
    api.onAnswer = (method, _path, error) => {
      if (method === "POST" && error?.code === "already_exists") api.releaseWatches();
    };
    const got = addressOf(await allocator.add(args("a")))[0];
    assert.notEqual(got, wanted);
    assert.match(got!, /^10\.0\.0\.1[01]$/);
    assert.equal(
      api.calls.filter(c => c === `POST ${CLAIMS_PATH}`).length,
      2,
      "one CREATE refused, one granted",
    );
    assert.deepEqual(
      api.calls.filter(c => c.startsWith(`GET ${CLAIMS_PATH}/`)),
      [],
      "the winner came from the watch: no GET of its claim",
    );
    const mine = claims(api).filter(c => c.spec.podUID === "uid-a");
    assert.deepEqual(
      mine.map(c => c.spec.address),
      [got],
    );
    assert.equal(
      claims(api).find(c => c.spec.address === wanted)?.spec.podUID,
      "uid-other",
      "the winner's claim is untouched",
    );
  });

  it("409 on a claim that names this Pod and NIC (an earlier CREATE of ours committed): adopts it", async () => {
    const ips = ["10.0.0.10-10.0.0.20"];
    const wanted = await firstPick(ips, "a");
    const { api, allocator, infos } = await env(ips, ["a"]);
    api.holdWatches();
    api.seed(CLAIMS_PATH, claimFor(wanted, "a"));
    const got = addressOf(await allocator.add(args("a")))[0];
    assert.equal(got, wanted);
    assert.equal(claims(api).length, 1, "no second address for the NIC");
    assert.ok(
      infos.some(m => m.startsWith("adopted our own claim")),
      infos.join("\n"),
    );
  });

  it("409 on a claim of the same Pod but another NIC is someone else's: not adopted", async () => {
    const ips = ["10.0.0.10-10.0.0.20"];
    const wanted = await firstPick(ips, "a");
    const { api, allocator } = await env(ips, ["a"]);
    api.holdWatches();
    api.seed(CLAIMS_PATH, claimFor(wanted, "a", "net1"));
    api.onAnswer = (method, _path, error) => {
      if (method === "POST" && error?.code === "already_exists") api.releaseWatches();
    };
    const got = addressOf(await allocator.add(args("a")))[0];
    assert.notEqual(got, wanted);
    assert.equal(claims(api).filter(c => c.spec.interface === "eth0").length, 1);
  });

  it("a CREATE whose reply is lost after it committed: the repeat meets its own claim and adopts it", async () => {
    const ips = ["10.0.0.10-10.0.0.20"];
    const wanted = await firstPick(ips, "a");
    const { api, allocator } = await env(ips, ["a"]);
    api.holdWatches();
    api.failNext(
      "POST",
      CLAIMS_PATH,
      new K8sError("timeout", 0, "ClientTimeout", "reply lost"),
      true,
    );
    const got = addressOf(await allocator.add(args("a")))[0];
    assert.equal(got, wanted);
    assert.equal(
      api.calls.filter(c => c === `POST ${CLAIMS_PATH}`).length,
      2,
      "the CREATE was repeated",
    );
    assert.deepEqual(
      claims(api).map(c => [c.spec.address, c.spec.podUID]),
      [[wanted, "uid-a"]],
    );
  });

  it("a CREATE whose outcome stays unknown fails the ADD and claims no other address meanwhile", async () => {
    const { api, allocator } = await env(["10.0.0.10-10.0.0.20"], ["a"]);
    api.holdWatches();
    const lost = new K8sError("timeout", 0, "ClientTimeout", "reply lost");
    // The first CREATE commits, its reply is lost; every later try meets 409 and its read times out.
    api.failNext("POST", CLAIMS_PATH, lost, true);
    api.failNext("GET", CLAIMS_PATH, lost, false, 3);
    await assert.rejects(
      allocator.add(args("a")),
      (e: unknown) => e instanceof AgentError && /reply lost/.test(e.message),
    );
    assert.equal(
      api.calls.filter(c => c === `POST ${CLAIMS_PATH}`).length,
      4,
      "the same CREATE, repeated",
    );
    assert.deepEqual(
      claims(api).map(c => c.spec.podUID),
      ["uid-a"],
      "one claim: no second address was tried",
    );
    // Once the reads answer again, the runtime's retry settles on that claim.
    const got = addressOf(await allocator.add(args("a")))[0];
    assert.equal(got, claims(api)[0]?.spec.address);
    assert.equal(claims(api).length, 1);
  });
});
