/**
 * The pool status controller against the in-memory API server (lib/testing/memory-api.ts): the
 * status follows the claims, nothing is written before the pool's import, and a deleted pool
 * keeps its finalizer while a claim holds one of its addresses. The real API server's part is in
 * e2e/suites/smoke.e2e.ts and e2e/suites/admission-in-use.e2e.ts.
 */
import assert from "node:assert/strict";
import { CLAIMS_PATH } from "../k8s/claim-store.js";
import { FINALIZER } from "../k8s/endpoint-store.js";
import { quietLogger } from "../testing/quiet-logger.js";
import type { IPPoolStatus } from "../schemas/ippool.js";
import { eventually } from "../testing/eventually.js";
import { MemoryApi } from "../testing/memory-api.js";
import { PoolStatusController } from "./pool-status-controller.js";
import { IMPORTED_ANNOTATION } from "../core/base/well-known-names.js";

const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";
/** Short enough that a spec following several changes in a row does not wait 10 s between writes. */
const FAST = { delayMs: 5, minIntervalMs: 50 };
const log = quietLogger;

function pool(name: string, imported = true) {
  return {
    apiVersion: "spiderpool.spidernet.io/v2beta1",
    kind: "SpiderIPPool",
    metadata: {
      name,
      finalizers: [FINALIZER],
      annotations: (imported ? { [IMPORTED_ANNOTATION]: "2026-01-01T00:00:00Z" } : {}) as Record<
        string,
        string
      >,
    },
    spec: {
      ipVersion: 4,
      subnet: "10.0.0.0/24",
      ips: ["10.0.0.10-10.0.0.19"],
      excludeIPs: ["10.0.0.19"],
    },
  };
}

function claim(address: string, podName: string, poolName = "p") {
  return {
    apiVersion: "ipam.pepr-spiderpool.io/v1alpha1",
    kind: "IPClaim",
    metadata: { name: address },
    spec: {
      address,
      ipVersion: 4,
      pool: poolName,
      podNamespace: "ns",
      podName,
      podUID: `uid-${podName}`,
      interface: "eth0",
      node: "n1",
      containerID: "c",
    },
  };
}

describe("PoolStatusController against MemoryApi", () => {
  let ctl: PoolStatusController | undefined;
  afterEach(() => {
    ctl?.stop();
    ctl?.pools.stop();
    ctl?.claims.stop();
  });
  const status = (api: MemoryApi, name = "p") =>
    api.peek<{ status?: IPPoolStatus }>(`${POOLS}/${name}`)?.status;

  it("projects the claims of each pool into its status, and follows a release", async () => {
    const api = new MemoryApi();
    api.seed(POOLS, pool("p"));
    api.seed(POOLS, pool("q"));
    api.seed(CLAIMS_PATH, claim("10.0.0.11", "b"));
    api.seed(CLAIMS_PATH, claim("10.0.0.10", "a"));
    api.seed(CLAIMS_PATH, claim("10.0.0.12", "elsewhere", "q"));
    ctl = new PoolStatusController(api, log, undefined, undefined, FAST).start();
    await eventually("p's status", () => status(api)?.allocatedIPCount === 2);
    assert.deepEqual(status(api), {
      allocatedIPCount: 2,
      totalIPCount: 9,
      allocatedIPs: JSON.stringify({
        "10.0.0.10": { pod: "ns/a", podUid: "uid-a" },
        "10.0.0.11": { pod: "ns/b", podUid: "uid-b" },
      }),
    });
    await eventually("q's status", () => status(api, "q")?.allocatedIPCount === 1);
    await api.delete(`${CLAIMS_PATH}/10.0.0.10`);
    await api.delete(`${CLAIMS_PATH}/10.0.0.11`);
    await eventually("p's status after the releases", () => status(api)?.allocatedIPCount === 0);
    assert.deepEqual(
      status(api),
      { allocatedIPCount: 0, totalIPCount: 9 },
      "the empty view is removed, not left stale",
    );
  });

  it("writes nothing to a pool whose Spiderpool records are not imported yet", async () => {
    const api = new MemoryApi();
    api.seed(POOLS, pool("p", false));
    api.seed(POOLS, pool("q"));
    api.seed(CLAIMS_PATH, claim("10.0.0.10", "a"));
    ctl = new PoolStatusController(api, log, undefined, undefined, FAST).start();
    // q is reconciled in the same pass as p: once q has its status, p has had its turn.
    await eventually("q's status", () => status(api, "q") !== undefined);
    await ctl.idle();
    assert.equal(status(api), undefined);
    assert.ok(!api.calls.includes(`PATCH ${POOLS}/p/status`), api.calls.join("\n"));
  });

  it("a deleted pool keeps its finalizer while a claim holds one of its addresses, and goes after the last release", async () => {
    const api = new MemoryApi();
    api.seed(POOLS, pool("p"));
    api.seed(CLAIMS_PATH, claim("10.0.0.10", "a"));
    ctl = new PoolStatusController(api, log, undefined, undefined, FAST).start();
    await eventually("p's status", () => status(api)?.allocatedIPCount === 1);
    await api.delete(`${POOLS}/p`);
    await eventually(
      "the deletion seen",
      () => ctl!.pools.get("p")?.metadata.deletionTimestamp !== undefined,
    );
    await ctl.idle();
    assert.deepEqual(
      api.peek<{ metadata: { finalizers?: string[] } }>(`${POOLS}/p`)?.metadata.finalizers,
      [FINALIZER],
    );
    await api.delete(`${CLAIMS_PATH}/10.0.0.10`);
    await eventually("the pool gone", () => api.peek(`${POOLS}/p`) === undefined);
  });

  it("writes the first change after a quiet period at once, then at most once per interval while claims keep coming", async () => {
    const api = new MemoryApi();
    const big = pool("p");
    big.spec.ips = ["10.0.0.10-10.0.0.250"];
    big.spec.excludeIPs = [];
    api.seed(POOLS, big);
    const timing = { delayMs: 1, minIntervalMs: 400 };
    ctl = new PoolStatusController(api, log, undefined, undefined, timing).start();
    // Nothing ran before: the first status is the leading edge, written after the 1 ms delay.
    await eventually("the first status", () => status(api)?.totalIPCount === 241);
    const writes = () => api.calls.filter(c => c === `PATCH ${POOLS}/p/status`).length;
    assert.equal(writes(), 1);
    const started = Date.now();
    for (let i = 0; i < 40; i++) {
      await api.create(CLAIMS_PATH, claim(`10.0.0.${20 + i}`, `pod-${i}`));
      await new Promise(r => setTimeout(r, 15));
    }
    const streamMs = Date.now() - started;
    await eventually("every claim in the status", () => status(api)?.allocatedIPCount === 40, 5000);
    // One write per 400 ms of the stream, one at its end, and the first: coalescing alone (1 ms)
    // would have written after almost every one of the 40 changes.
    const bound = 1 + Math.ceil(streamMs / timing.minIntervalMs) + 1;
    assert.ok(writes() <= bound, `${writes()} status writes for 40 changes in ${streamMs} ms`);
    assert.ok(writes() >= 2, "the stream's changes were written");
  });
});
