/**
 * The admission reads from watch-fed caches, against the in-memory API server
 * (lib/testing/memory-api.ts): one LIST at start and none per request, changes arriving by
 * watch, a bounded wait for the first LIST with a direct read after it, and a lagging cache that
 * may admit (the overlap resolver's race) but never refuses what is stored. The real API server's
 * part is in the admission e2e suites.
 */
import assert from "node:assert/strict";
import type { RequestOptions } from "./api-client.js";
import { CachedAdmissionReads, judgeConfirmingRefusals } from "./admission-cache.js";
import { AdmissionReads } from "./admission-reads.js";
import { K8sError } from "./k8s-error.js";
import { validateIPPoolCreate } from "../core/admission/ippool-validation.js";
import { ALL_ON, pool } from "../testing/admission-fixtures.js";
import { MemoryApi } from "../testing/memory-api.js";
import { eventually } from "../testing/eventually.js";

const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";
const SUBNETS = "/apis/spiderpool.spidernet.io/v2beta1/spidersubnets";
const asStored = (p: ReturnType<typeof pool>) => ({
  apiVersion: "spiderpool.spidernet.io/v2beta1",
  kind: "SpiderIPPool",
  spec: p.spec,
  metadata: { name: p.metadata?.name ?? "" },
});
const peer = (name: string, ips: string[]) => asStored(pool(name, { subnet: "10.1.0.0/24", ips }));
const lists = (api: MemoryApi, path: string) => api.calls.filter(c => c === `GET ${path}`).length;
const names = (l: { metadata: { name?: string } }[]) => l.map(o => o.metadata.name).sort();

/** `read` again every few ms until `done` holds of its result; fails after a bound (no timing asserted). */
async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await read();
    if (done(v)) return v;
    await new Promise(r => setTimeout(r, 5));
  }
  throw new Error(`never happened: ${what}`);
}

/** A MemoryApi whose paged LISTs (the informers'; direct reads do not page) never answer. */
class StalledListApi extends MemoryApi {
  stalled = 0;
  override get<T = unknown>(path: string, query?: RequestOptions["query"]): Promise<T> {
    if (query?.limit !== undefined) {
      this.stalled++;
      return new Promise<T>(() => undefined);
    }
    return super.get<T>(path, query);
  }
}

describe("CachedAdmissionReads", () => {
  let reads: CachedAdmissionReads | undefined;
  afterEach(() => reads?.stop());

  it("lists pools and subnets once at start, then serves every request from the watch", async () => {
    const api = new MemoryApi();
    api.seed(POOLS, peer("a", ["10.1.0.1"]));
    reads = new CachedAdmissionReads(api).start();
    assert.equal(await reads.synced(3000), true);
    assert.deepEqual(names(await reads.pools()), ["a"]);
    assert.deepEqual(names(await reads.subnets()), []);
    await api.create(POOLS, peer("b", ["10.1.0.2"]));
    await api.delete(`${POOLS}/a`);
    const r = reads;
    await until(
      "the watch brings b and takes a",
      async () => names(await r.pools()).join(),
      v => v === "b",
    );
    assert.equal(lists(api, POOLS), 1, "one LIST of the pools, however many requests");
    assert.equal(lists(api, SUBNETS), 1, "one LIST of the subnets");
  });

  it("hands out the same object for a pool whose spec did not change, a new one after a change", async () => {
    const api = new MemoryApi();
    api.seed(POOLS, peer("a", ["10.1.0.1"]));
    reads = new CachedAdmissionReads(api).start();
    const [first] = await reads.pools();
    assert.equal((await reads.pools())[0], first, "unchanged: lib/core's parse memory applies");
    await api.patch(`${POOLS}/a`, { spec: { ips: ["10.1.0.9"] } });
    const r = reads;
    const now = await until(
      "the change arrives",
      async () => (await r.pools())[0],
      p => p !== first,
    );
    assert.deepEqual(now?.spec.ips, ["10.1.0.9"]);
  });

  it("a request before the first LIST finished waits a bounded time, then reads directly", async () => {
    const api = new StalledListApi();
    api.seed(POOLS, peer("a", ["10.1.0.1"]));
    reads = new CachedAdmissionReads(api, { syncWaitMs: 20 }).start();
    assert.equal(await reads.synced(20), false, "a start waiting on the caches gives up");
    assert.deepEqual(names(await reads.pools()), ["a"]);
    assert.deepEqual(names(await reads.subnets()), []);
    assert.equal(api.stalled, 2, "both informers' LISTs are pending");
    assert.equal(lists(api, POOLS), 1, "the pools were read directly");
    assert.equal(lists(api, SUBNETS), 1, "the subnets were read directly");
  });

  it("a cache whose watch failed is not trusted until a watch opens again: requests read directly", async () => {
    const api = new MemoryApi();
    api.seed(POOLS, peer("a", ["10.1.0.1"]));
    reads = new CachedAdmissionReads(api).start();
    await reads.pools();
    api.failNext("WATCH", POOLS, new K8sError("other", 500, "", "watch broke"), false, 1000);
    api.endWatches();
    await eventually(
      "the watch failed",
      () => api.calls.filter(c => c === `WATCH ${POOLS}`).length >= 2,
    );
    await api.create(POOLS, peer("b", ["10.1.0.2"]));
    assert.deepEqual(names(await reads.pools()), ["a", "b"], "read directly, not from the cache");
    assert.equal(lists(api, POOLS), 2, "the informer's LIST and one direct read");
  });

  it("a lagging cache may admit what a concurrent create made overlapping: the resolver's race", async () => {
    const api = new MemoryApi();
    reads = new CachedAdmissionReads(api).start();
    await reads.pools();
    api.holdWatches();
    await api.create(POOLS, peer("first", ["10.1.0.1-10.1.0.10"]));
    const judge = async (from: AdmissionReads) =>
      validateIPPoolCreate({
        pool: pool("second", { subnet: "10.1.0.0/24", ips: ["10.1.0.5"] }),
        peers: await from.pools(),
        config: ALL_ON,
      });
    assert.equal((await judgeConfirmingRefusals(reads, judge)).allowed, true);
    // What is stored refuses it: the same verdict two truly concurrent creates get from
    // uncached reads, which the watcher's overlap resolver settles.
    assert.equal((await judge(reads.uncached)).allowed, false);
    api.releaseWatches();
    const r = reads;
    const verdict = await until(
      "the cache sees the first pool",
      () => judgeConfirmingRefusals(r, judge),
      v => !v.allowed,
    );
    assert.match(JSON.stringify(verdict), /overlap with IPPool first/);
  });

  it("a lagging cache never refuses: a refusal is judged again on what is stored", async () => {
    const api = new MemoryApi();
    api.seed(POOLS, peer("gone", ["10.1.0.1-10.1.0.10"]));
    reads = new CachedAdmissionReads(api).start();
    assert.deepEqual(names(await reads.pools()), ["gone"]);
    api.holdWatches();
    await api.delete(`${POOLS}/gone`);
    const judged: string[] = [];
    const judge = async (from: AdmissionReads) => {
      judged.push(from === reads ? "cache" : "direct");
      return validateIPPoolCreate({
        pool: pool("after", { subnet: "10.1.0.0/24", ips: ["10.1.0.5"] }),
        peers: await from.pools(),
        config: ALL_ON,
      });
    };
    assert.equal((await judgeConfirmingRefusals(reads, judge)).allowed, true);
    assert.deepEqual(judged, ["cache", "direct"], "the cache refused, the stored pools did not");
    api.releaseWatches();
  });

  it("direct reads confirm nothing again: their refusal is final", async () => {
    const api = new MemoryApi();
    api.seed(POOLS, peer("a", ["10.1.0.1-10.1.0.10"]));
    const direct = new AdmissionReads(api);
    let calls = 0;
    const verdict = await judgeConfirmingRefusals(direct, async from => {
      calls++;
      return validateIPPoolCreate({
        pool: pool("b", { subnet: "10.1.0.0/24", ips: ["10.1.0.5"] }),
        peers: await from.pools(),
        config: ALL_ON,
      });
    });
    assert.equal(verdict.allowed, false);
    assert.equal(calls, 1);
  });
});
