/**
 * The in-memory API server's own contract: the answers the specs of I/O code rely on, with the
 * K8sError codes the real client gives (lib/k8s/k8s-error.ts). That the real API server answers
 * so is shown by the e2e suites, not here.
 */
import assert from "node:assert/strict";
import type { KubeObject, WatchEvent } from "../k8s/api-client.js";
import { K8sError } from "../k8s/k8s-error.js";
import { MemoryApi } from "./memory-api.js";

const CMS = "/api/v1/namespaces/a/configmaps";
const cm = (
  name: string,
  labels: Record<string, string> = {},
  data: Record<string, string> = {},
) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels }, data });
type Cm = KubeObject & { data?: Record<string, string> };

const code = (c: string) => (e: unknown) => {
  assert.ok(e instanceof K8sError, String(e));
  assert.equal(e.code, c, e.message);
  return true;
};

describe("MemoryApi", () => {
  it("CREATE stamps uid and resourceVersion; a second CREATE of the name is 409 AlreadyExists", async () => {
    const api = new MemoryApi();
    const made = await api.create<Cm>(CMS, cm("x"));
    assert.ok(made.metadata.uid);
    assert.equal(made.metadata.namespace, "a");
    await assert.rejects(api.create(CMS, cm("x")), code("already_exists"));
    await assert.rejects(api.get(`${CMS}/y`), code("not_found"));
  });

  it("PUT, merge PATCH and DELETE with a stale resourceVersion are 409 Conflict and change nothing", async () => {
    const api = new MemoryApi();
    const v1 = await api.create<Cm>(CMS, cm("x", {}, { k: "1" }));
    const v2 = await api.patch<Cm>(`${CMS}/x`, {
      metadata: { resourceVersion: v1.metadata.resourceVersion },
      data: { k: "2" },
    });
    assert.notEqual(v2.metadata.resourceVersion, v1.metadata.resourceVersion);
    await assert.rejects(
      api.patch(`${CMS}/x`, {
        metadata: { resourceVersion: v1.metadata.resourceVersion },
        data: { k: "3" },
      }),
      code("conflict"),
    );
    await assert.rejects(api.replace(`${CMS}/x`, { ...v1, data: { k: "3" } }), code("conflict"));
    await assert.rejects(
      api.delete(`${CMS}/x`, { preconditions: { resourceVersion: v1.metadata.resourceVersion } }),
      code("conflict"),
    );
    await assert.rejects(
      api.delete(`${CMS}/x`, { preconditions: { uid: "someone-else" } }),
      code("conflict"),
    );
    assert.equal(api.peek<Cm>(`${CMS}/x`)?.data?.k, "2");
    await api.delete(`${CMS}/x`, {
      preconditions: { resourceVersion: v2.metadata.resourceVersion, uid: v1.metadata.uid },
    });
    assert.equal(api.peek(`${CMS}/x`), undefined);
  });

  it("a JSON patch whose test fails is 422 Invalid and changes nothing", async () => {
    const api = new MemoryApi();
    await api.create(CMS, cm("x", {}, { k: "1" }));
    await assert.rejects(
      api.patch(
        `${CMS}/x`,
        [
          { op: "test", path: "/data/k", value: "0" },
          { op: "remove", path: "/data" },
        ],
        "json",
      ),
      code("invalid"),
    );
    await api.patch(
      `${CMS}/x`,
      [
        { op: "test", path: "/data/k", value: "1" },
        { op: "remove", path: "/data" },
      ],
      "json",
    );
    assert.equal(api.peek<Cm>(`${CMS}/x`)?.data, undefined);
  });

  it("a finalizer holds a DELETE: the object is marked, and goes when the last finalizer is removed", async () => {
    const api = new MemoryApi();
    await api.create(CMS, { ...cm("x"), metadata: { name: "x", finalizers: ["f"] } });
    await api.delete(`${CMS}/x`);
    const marked = api.peek<Cm>(`${CMS}/x`);
    assert.ok(marked?.metadata.deletionTimestamp);
    await api.patch(`${CMS}/x`, { metadata: { finalizers: null } });
    assert.equal(api.peek(`${CMS}/x`), undefined);
  });

  it("LIST filters by label and field selectors and pages; a continue token older than a compaction is 410", async () => {
    const api = new MemoryApi();
    for (const [n, tier] of [
      ["a1", "web"],
      ["a2", "db"],
      ["a3", "web"],
    ] as const)
      await api.create(CMS, cm(n, { tier }));
    const names = (l: { items: KubeObject[] }) => l.items.map(i => i.metadata.name);
    assert.deepEqual(names(await api.get(CMS, { labelSelector: "tier=web" })), ["a1", "a3"]);
    assert.deepEqual(names(await api.get(CMS, { labelSelector: "tier notin (web)" })), ["a2"]);
    assert.deepEqual(
      names(await api.get("/api/v1/configmaps", { fieldSelector: "metadata.name=a2" })),
      ["a2"],
    );
    const first = await api.get<{ metadata: { continue?: string }; items: KubeObject[] }>(CMS, {
      limit: 2,
    });
    assert.deepEqual(names(first), ["a1", "a2"]);
    assert.deepEqual(names(await api.get(CMS, { limit: 2, continue: first.metadata.continue })), [
      "a3",
    ]);
    await api.create(CMS, cm("a4"));
    api.compact();
    await assert.rejects(
      api.get(CMS, { limit: 2, continue: first.metadata.continue }),
      code("gone"),
    );
  });

  it("WATCH replays from a resourceVersion in order, then streams; from before a compaction it sends 410", async () => {
    const api = new MemoryApi();
    const start = await api.create<Cm>(CMS, cm("x"));
    await api.patch(`${CMS}/x`, { data: { k: "1" } });
    await api.create(CMS, cm("y", { skip: "1" }));
    await api.delete(`${CMS}/x`);
    const seen: string[] = [];
    const ac = new AbortController();
    const done = api.stream(
      CMS,
      { resourceVersion: start.metadata.resourceVersion, labelSelector: "!skip" },
      (ev: WatchEvent) => seen.push(`${ev.type} ${ev.object.metadata.name}`),
      ac.signal,
    );
    await api.create(CMS, cm("z"));
    ac.abort();
    await done;
    assert.deepEqual(seen, ["MODIFIED x", "DELETED x", "ADDED z"]);
    api.compact();
    const errors: WatchEvent[] = [];
    await api.stream(
      CMS,
      { resourceVersion: start.metadata.resourceVersion },
      ev => errors.push(ev),
      new AbortController().signal,
    );
    assert.deepEqual(
      errors.map(e => [e.type, e.object.code]),
      [["ERROR", 410]],
    );
  });

  it("a selected WATCH sees an object entering its `in` set as ADDED and leaving it as DELETED, replayed alike", async () => {
    const api = new MemoryApi();
    const start = await api.create<Cm>(CMS, cm("x", { pool: "a" }));
    const watch = async (rv: string | undefined, write: () => Promise<unknown>) => {
      const seen: string[] = [];
      const ac = new AbortController();
      const done = api.stream(
        CMS,
        { resourceVersion: rv, labelSelector: "pool in (b, c)" },
        (ev: WatchEvent) =>
          seen.push(`${ev.type} ${ev.object.metadata.name} ${ev.object.metadata.labels?.pool}`),
        ac.signal,
      );
      await write();
      ac.abort();
      await done;
      return seen;
    };
    const live = await watch(start.metadata.resourceVersion, async () => {
      await api.patch(`${CMS}/x`, { metadata: { labels: { pool: "b" } } });
      await api.patch(`${CMS}/x`, { metadata: { labels: { pool: "c" } } });
      await api.patch(`${CMS}/x`, { metadata: { labels: { pool: "d" } } });
      await api.patch(`${CMS}/x`, { metadata: { labels: { pool: "e" } } });
    });
    const expected = ["ADDED x b", "MODIFIED x c", "DELETED x d"];
    assert.deepEqual(live, expected);
    assert.deepEqual(await watch(start.metadata.resourceVersion, async () => {}), expected);
  });

  it("a status subresource: object writes keep the status, /status writes change only it", async () => {
    const api = new MemoryApi();
    const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";
    await api.create(POOLS, {
      metadata: { name: "p" },
      spec: { subnet: "10.0.0.0/24" },
      status: { allocatedIPCount: 1 },
    });
    await api.patch(`${POOLS}/p/status`, {
      status: { allocatedIPCount: 2 },
      spec: { subnet: "ignored" },
    });
    await api.patch(`${POOLS}/p`, {
      status: { allocatedIPCount: 9 },
      spec: { subnet: "10.0.1.0/24" },
    });
    assert.deepEqual(api.peek<{ spec: unknown; status: unknown }>(`${POOLS}/p`)?.status, {
      allocatedIPCount: 2,
    });
    assert.deepEqual(api.peek<{ spec: unknown; status: unknown }>(`${POOLS}/p`)?.spec, {
      subnet: "10.0.1.0/24",
    });
  });

  it("failNext: fails before the write, or commits it and loses the reply", async () => {
    const api = new MemoryApi();
    const lost = new K8sError("timeout", 0, "ClientTimeout", "cut");
    api.failNext("POST", CMS, lost);
    await assert.rejects(api.create(CMS, cm("x")), code("timeout"));
    assert.equal(api.peek(`${CMS}/x`), undefined);
    api.failNext("POST", CMS, lost, true);
    await assert.rejects(api.create(CMS, cm("x")), code("timeout"));
    assert.ok(api.peek(`${CMS}/x`));
  });
});
