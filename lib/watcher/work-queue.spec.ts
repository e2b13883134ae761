import assert from "node:assert/strict";
import { JobTimeoutError, WorkQueue } from "./work-queue.js";

describe("WorkQueue", () => {
  it("coalesces repeated adds of one key into one run", async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async k => void runs.push(k), { delayMs: 10 });
    for (let i = 0; i < 50; i++) q.add("a");
    q.add("b");
    await new Promise(r => setTimeout(r, 30));
    await q.idle();
    assert.deepEqual(runs.sort(), ["a", "b"]);
  });

  it("never runs one key twice at once and re-runs it after an add during a run", async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const q = new WorkQueue(
      async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        runs++;
        await new Promise(r => setTimeout(r, 30));
        concurrent--;
      },
      { delayMs: 1 },
    );
    q.add("k");
    await new Promise(r => setTimeout(r, 10));
    q.add("k");
    await new Promise(r => setTimeout(r, 5));
    await q.idle();
    assert.equal(maxConcurrent, 1);
    assert.equal(runs, 2);
  });

  it("retries a failing key with backoff up to the bound, then drops it", async () => {
    let attempts = 0;
    const errors: number[] = [];
    const q = new WorkQueue(
      async () => {
        attempts++;
        throw new Error("boom");
      },
      { delayMs: 1, maxRetries: 2, onError: (_k, _e, n) => errors.push(n) },
    );
    q.add("x");
    await new Promise(r => setTimeout(r, 1500));
    await q.idle();
    assert.equal(attempts, 3);
    assert.deepEqual(errors, [1, 2, 3]);
  });

  it("frees the slot of a hung run at its deadline and retries that key", async () => {
    const runs: string[] = [];
    const errors: unknown[] = [];
    let hungRuns = 0;
    const q = new WorkQueue(
      async k => {
        runs.push(k);
        // The first run of "hung" never settles, like a call on a dead connection.
        if (k === "hung" && hungRuns++ === 0) await new Promise(() => undefined);
      },
      {
        delayMs: 1,
        concurrency: 1,
        jobTimeoutMs: 100,
        backoff: { baseMs: 10, maxMs: 20, jitter: 0.5 },
        onError: (_k, e) => errors.push(e),
      },
    );
    q.add("hung");
    await new Promise(r => setTimeout(r, 20));
    q.add("next");
    await new Promise(r => setTimeout(r, 50));
    await q.idle();
    assert.deepEqual(runs, ["hung", "next", "hung"]);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof JobTimeoutError);
    assert.match((errors[0] as Error).message, /work on hung did not finish within 100 ms/);
    assert.equal(q.active, 0);
  });

  it("runs keys in the order they became due; a key due again while running keeps its place", async () => {
    const runs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>(r => (release = r));
    const q = new WorkQueue(
      async k => {
        runs.push(k);
        if (k === "a" && runs.length === 1) await gate;
      },
      { delayMs: 1, concurrency: 1 },
    );
    q.add("a");
    await new Promise(r => setTimeout(r, 10)); // "a" runs and waits at the gate
    q.add("a"); // due again while running: queued first, behind nothing
    await new Promise(r => setTimeout(r, 10));
    for (const k of ["b", "c"]) q.add(k, 1);
    await new Promise(r => setTimeout(r, 10));
    release();
    await q.idle();
    assert.deepEqual(runs, ["a", "a", "b", "c"]);
  });

  it("does not walk its queue on each completion: work per key stays flat with 4,000 keys", async () => {
    // Counts the entries every Set and Map iterator hands out while the queue drains: a pump that
    // copies or scans the due keys on each completion walks millions of them here (the copy it
    // used to make: 16 million), one that looks only at the keys it starts walks none. Counting, not timing, so the verdict does not depend on the
    // machine.
    const n = 4_000;
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>(r => (finish = r));
    const q = new WorkQueue(
      async () => {
        await new Promise(r => setImmediate(r)); // every key is due before the first completes
        if (++done === n) finish();
      },
      { delayMs: 0, concurrency: 4 },
    );
    let walked = 0;
    const patched = [Set.prototype, Map.prototype].flatMap(proto =>
      (["values", "keys", "entries", Symbol.iterator] as const).map(name => {
        const original = Reflect.get(proto, name) as (this: unknown) => Iterator<unknown>;
        Reflect.set(proto, name, function (this: unknown) {
          const it = original.call(this);
          return {
            next: () => {
              const r = it.next();
              if (!r.done) walked++;
              return r;
            },
            [Symbol.iterator]() {
              return this;
            },
          };
        });
        return () => Reflect.set(proto, name, original);
      }),
    );
    try {
      for (let i = 0; i < n; i++) q.add(`k${i}`);
      await all;
    } finally {
      for (const restore of patched) restore();
    }
    await q.idle();
    assert.equal(done, n);
    assert.ok(walked <= n, `iterators walked ${walked} entries for ${n} keys`);
  });

  it("with minIntervalMs: a key added after a quiet period runs at once, one added all the time runs once per interval", async () => {
    const starts: number[] = [];
    const q = new WorkQueue(async () => void starts.push(Date.now()), {
      delayMs: 1,
      minIntervalMs: 300,
    });
    q.add("k");
    await q.idle();
    assert.equal(starts.length, 1, "the leading edge ran");
    const t0 = Date.now();
    while (Date.now() - t0 < 1000) {
      q.add("k");
      await new Promise(r => setTimeout(r, 5));
    }
    await q.idle();
    // About 1,000 / 5 adds: without the interval each would run after its 1 ms delay.
    assert.ok(starts.length <= 1 + Math.ceil(1000 / 300) + 1, `${starts.length} runs`);
    for (let i = 1; i < starts.length; i++)
      assert.ok(starts[i]! - starts[i - 1]! >= 299, `runs ${i - 1} and ${i} too close`);
    q.stop();
  });

  it("with minIntervalMs: other keys are not held back by one key's interval", async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async k => void runs.push(k), { delayMs: 1, minIntervalMs: 60_000 });
    q.add("a");
    await q.idle();
    q.add("b");
    await q.idle();
    assert.deepEqual(runs, ["a", "b"]);
    q.stop();
  });
});
