import assert from "node:assert/strict";
import type { ApiClient, KubeObject } from "./api-client.js";
import { Informer } from "./informer.js";
import type { K8sError } from "./k8s-error.js";
import { StallingServer } from "./stalling-server.spec-support.js";

const obj = (name: string, rv: string) => ({ metadata: { name, resourceVersion: rv } });
const line = (type: string, o: unknown) => JSON.stringify({ type, object: o }) + "\n";

describe("Informer against a server whose watch goes silent", function () {
  this.timeout(10_000);
  const server = new StallingServer();
  let api: ApiClient;
  let informer: Informer<KubeObject> | undefined;
  let lists: number;
  let watches: URLSearchParams[];

  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    api = server.client();
    lists = 0;
    watches = [];
  });
  afterEach(() => {
    informer?.stop();
    api.close();
  });

  const start = (errors: K8sError[]) =>
    (informer = new Informer<KubeObject>(api, {
      path: "/apis/example.com/v1/widgets",
      livenessMs: 300,
      backoff: { baseMs: 10, maxMs: 20, jitter: 0.5 },
      onError: e => errors.push(e),
    }).start());

  it("drops the silent connection and quietly resumes from the last resourceVersion without relisting", async () => {
    server.handler = (req, res) => {
      const q = new URL(req.url ?? "", "https://x").searchParams;
      if (!q.get("watch")) {
        lists++;
        res
          .writeHead(200)
          .end(JSON.stringify({ metadata: { resourceVersion: "5" }, items: [obj("a", "5")] }));
        return;
      }
      watches.push(q);
      res.writeHead(200);
      // First watch: one event, then a dead connection. Later watches: one event, kept open.
      res.write(line("ADDED", watches.length === 1 ? obj("b", "6") : obj("c", "7")));
    };
    const errors: K8sError[] = [];
    const inf = start(errors);
    await inf.synced;
    await until(() => !!inf.get("c"));
    assert.deepEqual(
      inf
        .list()
        .map(o => o.metadata.name)
        .sort(),
      ["a", "b", "c"],
    );
    assert.equal(lists, 1, "resumed, not relisted");
    assert.deepEqual(
      watches.slice(0, 2).map(q => q.get("resourceVersion")),
      ["5", "6"],
    );
    // A silent watch is not an error worth a log line: kinds that never change get no bookmarks.
    assert.deepEqual(errors, []);
    for (const q of watches) {
      assert.equal(q.get("allowWatchBookmarks"), "true");
      const t = Number(q.get("timeoutSeconds"));
      assert.ok(t >= 300 && t <= 600, `timeoutSeconds ${t}`);
    }
    assert.ok(api.activity.watchAges().has("widgets"));
  });

  it("relists after 410 Gone and emits the difference", async () => {
    server.handler = (req, res) => {
      const q = new URL(req.url ?? "", "https://x").searchParams;
      if (!q.get("watch")) {
        lists++;
        const items =
          lists === 1 ? [obj("a", "5"), obj("old", "4")] : [obj("a", "5"), obj("new", "9")];
        res
          .writeHead(200)
          .end(JSON.stringify({ metadata: { resourceVersion: lists === 1 ? "5" : "9" }, items }));
        return;
      }
      watches.push(q);
      res.writeHead(200);
      if (watches.length === 1)
        res.end(
          line("ERROR", {
            kind: "Status",
            code: 410,
            reason: "Expired",
            message: "too old",
            metadata: { name: "" },
          }),
        );
    };
    const errors: K8sError[] = [];
    const inf = start(errors);
    await until(() => !!inf.get("new") && watches.length >= 2);
    assert.equal(inf.get("old"), undefined);
    assert.equal(lists, 2);
    assert.equal(errors[0]?.code, "gone");
    assert.equal(watches[1]?.get("resourceVersion"), "9");
  });

  it("stops reporting the kind's age once stopped", async () => {
    server.handler = (_req, res) =>
      res.writeHead(200).end(JSON.stringify({ metadata: { resourceVersion: "1" }, items: [] }));
    const inf = start([]);
    assert.ok(api.activity.watchAges().has("widgets"));
    inf.stop();
    assert.equal(api.activity.watchAges().has("widgets"), false);
  });
});

describe("Informer whose handler throws", function () {
  this.timeout(10_000);
  const server = new StallingServer();
  let api: ApiClient;
  let informer: Informer<KubeObject> | undefined;

  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => (api = server.client()));
  afterEach(() => {
    informer?.stop();
    api.close();
  });

  /** LIST: `a`; the one watch sends `events` and stays open. */
  const serve = (events: string[]) => {
    server.handler = (req, res) => {
      const q = new URL(req.url ?? "", "https://x").searchParams;
      if (!q.get("watch"))
        return void res
          .writeHead(200)
          .end(JSON.stringify({ metadata: { resourceVersion: "5" }, items: [obj("a", "5")] }));
      res.writeHead(200);
      if (q.get("resourceVersion") === "5") res.write(events.join(""));
    };
  };

  it("delivers the event again to the handler that threw, once, and keeps the cache consistent", async () => {
    serve([line("ADDED", obj("b", "6"))]);
    const seen: string[] = [];
    const others: string[] = [];
    const handlerErrors: number[] = [];
    let fail = true;
    informer = new Informer<KubeObject>(api, {
      path: "/apis/example.com/v1/widgets",
      backoff: { baseMs: 10, maxMs: 20, jitter: 0.5 },
      onHandlerError: (_e, n) => handlerErrors.push(n),
    })
      .on(ev => {
        seen.push(`${ev.type} ${ev.object.metadata.name}@${ev.object.metadata.resourceVersion}`);
        if (ev.object.metadata.name === "b" && fail) {
          fail = false;
          throw new Error("handler failed once");
        }
      })
      .on(ev => others.push(`${ev.type} ${ev.object.metadata.name}`))
      .start();
    await until(() => seen.filter(x => x === "added b@6").length === 2);
    await new Promise(r => setTimeout(r, 100));
    assert.deepEqual(seen, ["added a@5", "added b@6", "added b@6"]);
    assert.deepEqual(others, ["added a", "added b"], "a handler that succeeded is not run twice");
    assert.deepEqual(handlerErrors, [1]);
    assert.deepEqual(
      informer
        .list()
        .map(o => `${o.metadata.name}@${o.metadata.resourceVersion}`)
        .sort(),
      ["a@5", "b@6"],
    );
  });

  it("does not redeliver an event a newer one superseded", async () => {
    serve([line("ADDED", obj("b", "6")), line("MODIFIED", obj("b", "7"))]);
    const seen: string[] = [];
    informer = new Informer<KubeObject>(api, {
      path: "/apis/example.com/v1/widgets",
      backoff: { baseMs: 200, maxMs: 200, jitter: 0 },
    })
      .on(ev => {
        seen.push(`${ev.type} ${ev.object.metadata.name}@${ev.object.metadata.resourceVersion}`);
        if (ev.object.metadata.resourceVersion === "6") throw new Error("stale event fails");
      })
      .start();
    await until(() => seen.includes("updated b@7"));
    await new Promise(r => setTimeout(r, 400));
    assert.deepEqual(seen, ["added a@5", "added b@6", "updated b@7"]);
    assert.equal(informer.get("b")?.metadata.resourceVersion, "7");
  });
});

async function until(ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail("condition not reached");
    await new Promise(r => setTimeout(r, 20));
  }
}
