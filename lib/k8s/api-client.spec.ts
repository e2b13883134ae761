import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { WATCH_IDLE, type ApiClient, type WatchEvent } from "./api-client.js";
import { K8sError } from "./k8s-error.js";
import { StallingServer } from "./stalling-server.spec-support.js";

const json = (res: ServerResponse, body: unknown) => {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
};

async function codeOf(
  p: Promise<unknown>,
): Promise<{ code: string; reason: string; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof K8sError, `not a K8sError: ${String(e)}`);
    return { code: e.code, reason: e.reason, message: e.message };
  }
  assert.fail("resolved, expected a rejection");
}

describe("ApiClient deadlines against a stalling server", function () {
  this.timeout(10_000);
  const server = new StallingServer();
  let api: ApiClient;

  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    api = server.client();
  });
  afterEach(() => api.close());

  it("answers normally when the server answers", async () => {
    server.handler = (_req, res) => json(res, { ok: 1 });
    assert.deepEqual(await api.get("/ok"), { ok: 1 });
  });

  it("fails a request the server never answers with code timeout and closes its connection", async () => {
    server.handler = () => undefined;
    const closedBefore = server.closed.length;
    const err = await codeOf(api.request("GET", "/api/v1/pods", { timeoutMs: 300 }));
    assert.equal(err.code, "timeout");
    assert.match(err.message, /GET \/api\/v1\/pods: no complete answer within 300 ms/);
    await waitUntil(() => server.closed.length > closedBefore);
  });

  it("fails a request whose answer stops halfway (headers and part of the body, then silence)", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "1000" });
      res.write('{"items": [');
    };
    const err = await codeOf(api.request("GET", "/slow", { timeoutMs: 300 }));
    assert.equal(err.code, "timeout");
  });

  it("does not keep reusing a pooled connection that went silent: the next request opens a new one", async () => {
    let first: unknown;
    let stall = false;
    const connections = new Set<unknown>();
    server.handler = (req, res) => {
      connections.add(req.socket);
      first ??= req.socket;
      if (stall && req.socket === first) return; // this connection is now "half-open": nothing comes back
      json(res, { n: 1 });
    };
    await api.get("/a");
    stall = true;
    const err = await codeOf(api.request("GET", "/b", { timeoutMs: 300 }));
    assert.equal(err.code, "timeout");
    assert.deepEqual(await api.request("GET", "/c", { timeoutMs: 2000 }), { n: 1 });
    assert.equal(connections.size, 2, "the request after the timeout came on a new connection");
  });

  it("reports the age of the oldest request in flight while one hangs, and 0 once it has failed", async () => {
    server.handler = () => undefined;
    assert.equal(api.activity.oldestInFlightSeconds(), 0);
    const pending = codeOf(api.request("GET", "/hang", { timeoutMs: 400 }));
    await new Promise(r => setTimeout(r, 150));
    assert.ok(api.activity.oldestInFlightSeconds() > 0);
    assert.equal((await pending).code, "timeout");
    assert.equal(api.activity.oldestInFlightSeconds(), 0);
  });

  it("refuses a deadline that is not a positive number of ms, naming the option", async () => {
    for (const bad of [0, -1, Infinity, NaN, 1e300]) {
      const err = await codeOf(api.request("GET", "/x", { timeoutMs: bad }));
      assert.equal(err.code, "invalid");
      assert.match(
        err.message,
        new RegExp(
          `timeoutMs must be a number of ms in \\(0, 2147483647\\], got ${String(bad).replace("+", "\\+")}`,
        ),
      );
    }
  });
});

describe("ApiClient watch liveness against a stalling server", function () {
  this.timeout(10_000);
  const server = new StallingServer();
  let api: ApiClient;

  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    api = server.client();
  });
  afterEach(() => api.close());

  const event = (rv: string, name = "a"): string =>
    JSON.stringify({ type: "ADDED", object: { metadata: { name, resourceVersion: rv } } }) + "\n";

  it("drops a watch that stays silent past idleMs, after delivering what came before", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write(event("7"));
    };
    const seen: WatchEvent[] = [];
    const err = await codeOf(
      api.stream("/api/v1/pods", { watch: 1 }, e => seen.push(e), new AbortController().signal, {
        idleMs: 300,
      }),
    );
    assert.equal(err.code, "timeout");
    assert.match(
      err.message,
      /WATCH \/api\/v1\/pods: no event or bookmark for 300 ms; connection dropped/,
    );
    assert.equal(err.reason, WATCH_IDLE);
    assert.deepEqual(
      seen.map(e => e.object.metadata.resourceVersion),
      ["7"],
    );
  });

  it("keeps a watch open as long as events or bookmarks keep coming", async () => {
    let timer: NodeJS.Timeout | undefined;
    server.handler = (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      let n = 0;
      timer = setInterval(() => {
        n++;
        res.write(
          JSON.stringify({
            type: "BOOKMARK",
            object: { metadata: { name: "", resourceVersion: String(n) } },
          }) + "\n",
        );
        if (n === 8) {
          clearInterval(timer);
          res.end();
        }
      }, 100);
    };
    let bookmarks = 0;
    // 8 bookmarks 100 ms apart: 800 ms in all, more than twice the bound, never 250 ms silent.
    await api.stream(
      "/api/v1/pods",
      { watch: 1 },
      () => bookmarks++,
      new AbortController().signal,
      { idleMs: 250 },
    );
    clearInterval(timer);
    assert.equal(bookmarks, 8);
  });

  it("fails a watch whose answer never starts with code timeout", async () => {
    server.handler = () => undefined;
    const err = await codeOf(
      api.stream("/api/v1/pods", { watch: 1 }, () => undefined, new AbortController().signal, {
        openTimeoutMs: 300,
        idleMs: 10_000,
      }),
    );
    assert.equal(err.code, "timeout");
    assert.match(err.message, /no answer within 300 ms/);
  });

  it("ends quietly when the caller aborts, even mid-silence", async () => {
    server.handler = (_req, res) => res.writeHead(200).flushHeaders();
    const ac = new AbortController();
    const p = api.stream("/api/v1/pods", { watch: 1 }, () => undefined, ac.signal, {
      idleMs: 5000,
    });
    await new Promise(r => setTimeout(r, 200));
    ac.abort();
    await p;
  });
});

async function waitUntil(ok: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail("condition not reached");
    await new Promise(r => setTimeout(r, 20));
  }
}
