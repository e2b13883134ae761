/**
 * The informer's list-watch cycle against the in-memory API server (lib/testing/memory-api.ts):
 * events in order, 410 Gone → relist emitting only the differences, a failing handler given its
 * event again. The real API server's part is in the e2e suites and informer.spec.ts's stalling server.
 */
import assert from "node:assert/strict";
import type { KubeObject } from "./api-client.js";
import { Informer, type InformerEvent } from "./informer.js";
import { K8sError } from "./k8s-error.js";
import { MemoryApi } from "../testing/memory-api.js";
import { eventually } from "../testing/eventually.js";

const PODS = "/api/v1/pods";
const podsIn = (ns: string) => `/api/v1/namespaces/${ns}/pods`;
const pod = (name: string, node = "n1", labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, labels },
  spec: { nodeName: node },
});
const FAST = { baseMs: 1, maxMs: 2, jitter: 0 };
const seen = (evs: InformerEvent<KubeObject>[]) =>
  evs.map(e => `${e.type} ${e.object.metadata.name}`);

describe("Informer against MemoryApi", () => {
  let informer: Informer<KubeObject> | undefined;
  afterEach(() => informer?.stop());

  it("lists, then watches: every change after the LIST arrives once, in order, within its selector", async () => {
    const api = new MemoryApi();
    api.seed(podsIn("a"), pod("p1"));
    api.seed(podsIn("a"), pod("other-node", "n2"));
    const evs: InformerEvent<KubeObject>[] = [];
    informer = new Informer<KubeObject>(api, {
      path: PODS,
      fieldSelector: "spec.nodeName=n1",
      backoff: FAST,
    })
      .on(e => evs.push(e))
      .start();
    await informer.synced;
    assert.deepEqual(seen(evs), ["added p1"]);
    await api.create(podsIn("a"), pod("p2"));
    await api.create(podsIn("a"), pod("p3", "n2"));
    await api.patch(`${podsIn("a")}/p1`, { metadata: { labels: { x: "1" } } });
    await api.delete(`${podsIn("a")}/p2`);
    await eventually("the delete of p2", () => evs.length === 4);
    assert.deepEqual(seen(evs), ["added p1", "added p2", "updated p1", "deleted p2"]);
    assert.equal(informer.get("p1", "a")?.metadata.labels?.x, "1");
    assert.deepEqual(
      informer.list().map(o => o.metadata.name),
      ["p1"],
    );
    assert.equal(api.calls.filter(c => c.startsWith("GET")).length, 1, "one LIST only");
  });

  it("is fresh once listed and while its watch is open, not between a failed watch and the next", async () => {
    const api = new MemoryApi();
    informer = new Informer<KubeObject>(api, {
      path: PODS,
      backoff: { baseMs: 50, maxMs: 50, jitter: 0 },
    });
    assert.equal(informer.fresh, false, "nothing listed yet");
    informer.start();
    await informer.synced;
    assert.equal(informer.fresh, true);
    api.failNext("WATCH", PODS, new K8sError("other", 500, "", "watch broke"));
    api.endWatches();
    await eventually("the watch failed", () => !informer!.fresh);
    await eventually("a watch open again", () => informer!.fresh);
    assert.equal(api.calls.filter(c => c.startsWith("GET")).length, 1, "resumed, not relisted");
  });

  it("a watch ended by the server resumes from the last resourceVersion without relisting", async () => {
    const api = new MemoryApi();
    const evs: InformerEvent<KubeObject>[] = [];
    informer = new Informer<KubeObject>(api, { path: PODS, backoff: FAST })
      .on(e => evs.push(e))
      .start();
    await informer.synced;
    await api.create(podsIn("a"), pod("p1"));
    await eventually("p1", () => evs.length === 1);
    api.endWatches();
    await api.create(podsIn("a"), pod("p2"));
    await eventually("p2 after the resume", () => evs.length === 2);
    assert.deepEqual(seen(evs), ["added p1", "added p2"]);
    assert.equal(api.calls.filter(c => c.startsWith("GET")).length, 1);
  });

  it("a transform shapes every object before the cache and the handlers see it, LIST, WATCH and a relist's deletions alike", async () => {
    const api = new MemoryApi();
    api.seed(podsIn("a"), pod("listed", "n1", { drop: "me", keep: "1" }));
    api.seed(podsIn("a"), pod("goes", "n1", { drop: "me" }));
    const evs: InformerEvent<KubeObject>[] = [];
    const transformed: string[] = [];
    informer = new Informer<KubeObject>(api, {
      path: PODS,
      backoff: FAST,
      transform: o => {
        transformed.push(o.metadata.name);
        const labels = { ...o.metadata.labels };
        delete labels.drop;
        return { ...o, metadata: { ...o.metadata, labels } };
      },
    })
      .on(e => evs.push(e))
      .start();
    await informer.synced;
    await api.create(podsIn("a"), pod("watched", "n1", { drop: "me" }));
    await eventually("the watched Pod", () => evs.length === 3);
    api.endWatches();
    api.evict(`${podsIn("a")}/goes`);
    api.compact();
    await eventually("the relist's deletion", () => evs.length === 4);
    assert.deepEqual(seen(evs).slice(2), ["added watched", "deleted goes"]);
    assert.deepEqual(seen(evs.slice(0, 2)).sort(), ["added goes", "added listed"]);
    for (const e of evs)
      assert.equal(e.object.metadata.labels?.drop, undefined, e.object.metadata.name);
    assert.deepEqual(informer.get("listed", "a")?.metadata.labels, { keep: "1" });
    assert.equal(
      informer.get("watched", "a"),
      evs[2]!.object,
      "the cache holds the handlers' object",
    );
    assert.ok(transformed.includes("watched") && transformed.filter(n => n === "goes").length >= 2);
  });

  it("410 Gone on resume: relists and emits only what changed meanwhile", async () => {
    const api = new MemoryApi();
    api.seed(podsIn("a"), pod("stays"));
    api.seed(podsIn("a"), pod("goes"));
    const evs: InformerEvent<KubeObject>[] = [];
    const errors: K8sError[] = [];
    informer = new Informer<KubeObject>(api, {
      path: PODS,
      backoff: FAST,
      onError: e => errors.push(e),
    })
      .on(e => evs.push(e))
      .start();
    await informer.synced;
    evs.length = 0;
    // In one step (no watch sees it): the watch ends, objects change, the history is compacted.
    api.endWatches();
    api.evict(`${podsIn("a")}/goes`);
    api.seed(podsIn("a"), pod("new"));
    api.compact();
    await eventually("the relist", () => evs.length === 2);
    assert.deepEqual(
      errors.map(e => e.code),
      ["gone"],
    );
    assert.deepEqual(seen(evs).sort(), ["added new", "deleted goes"]);
    assert.deepEqual(
      informer
        .list()
        .map(o => o.metadata.name)
        .sort(),
      ["new", "stays"],
    );
    assert.equal(api.calls.filter(c => c.startsWith("GET")).length, 2, "a second LIST");
  });

  it("a handler that throws gets the event again, alone; a handler that succeeded does not", async () => {
    const api = new MemoryApi();
    const good: string[] = [];
    const flaky: string[] = [];
    let failuresLeft = 2;
    const handlerErrors: number[] = [];
    informer = new Informer<KubeObject>(api, {
      path: PODS,
      backoff: FAST,
      onHandlerError: (_e, attempt) => handlerErrors.push(attempt),
    })
      .on(e => good.push(seen([e])[0]!))
      .on(e => {
        flaky.push(seen([e])[0]!);
        if (failuresLeft-- > 0) throw new Error("not yet");
      })
      .start();
    await informer.synced;
    await api.create(podsIn("a"), pod("p1"));
    await eventually("the third delivery", () => flaky.length === 3);
    assert.deepEqual(flaky, ["added p1", "added p1", "added p1"]);
    assert.deepEqual(good, ["added p1"]);
    assert.deepEqual(handlerErrors, [1, 2]);
  });

  it("a failing handler's old event is not redelivered once the object changed again", async () => {
    const api = new MemoryApi();
    const flaky: string[] = [];
    informer = new Informer<KubeObject>(api, {
      path: PODS,
      backoff: { baseMs: 50, maxMs: 50, jitter: 0 },
    })
      .on(e => {
        flaky.push(`${e.type} ${e.object.metadata.labels?.v ?? "-"}`);
        if (e.type === "added") throw new Error("fails on add");
      })
      .start();
    await informer.synced;
    await api.create(podsIn("a"), pod("p1", "n1", { v: "1" }));
    await api.patch(`${podsIn("a")}/p1`, { metadata: { labels: { v: "2" } } });
    await eventually("the update", () => flaky.length >= 2);
    await new Promise(r => setTimeout(r, 120));
    assert.deepEqual(flaky, ["added 1", "updated 2"]);
  });

  it("a relist whose continue token expired between pages starts over, and loses no object", async () => {
    const api = new MemoryApi();
    for (let i = 0; i < 501; i++) api.seed(podsIn("a"), pod(`p${i}`));
    let compacted = false;
    api.onAnswer = (method, path) => {
      if (method === "GET" && path === PODS && !compacted) {
        compacted = true;
        // Writes after page 1, then a compaction: page 1's snapshot is no longer there to continue.
        api.seed(podsIn("a"), pod("p501"));
        api.compact();
      }
    };
    const errors: K8sError[] = [];
    informer = new Informer<KubeObject>(api, {
      path: PODS,
      backoff: FAST,
      onError: e => errors.push(e),
    }).start();
    await informer.synced;
    assert.deepEqual(
      errors.map(e => e.code),
      ["gone"],
    );
    assert.equal(informer.list().length, 502);
    assert.equal(
      api.calls.filter(c => c === `GET ${PODS}`).length,
      4,
      "page 1, the expired page 2, then both again",
    );
  });
});
