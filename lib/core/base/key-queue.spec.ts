import assert from "node:assert/strict";
import { KeyQueue } from "./key-queue.js";

describe("KeyQueue", () => {
  it("hands out keys in the order first queued; a key queued again keeps its place", () => {
    const q = new KeyQueue();
    for (const k of ["a", "b", "c", "a", "b"]) q.add(k);
    assert.deepEqual(q.keys(), ["a", "b", "c"]);
    assert.equal(q.takeFirst(), "a");
    q.add("a"); // taken, so queued anew: last
    assert.deepEqual(q.keys(), ["b", "c", "a"]);
    assert.equal(q.size, 3);
  });

  it("skips keys the caller cannot start, leaving them in place", () => {
    const q = new KeyQueue();
    for (const k of ["a", "b", "c"]) q.add(k);
    assert.equal(
      q.takeFirst(k => k !== "c"),
      "c",
    );
    assert.deepEqual(q.keys(), ["a", "b"]);
    assert.equal(
      q.takeFirst(() => true),
      undefined,
    );
    assert.equal(q.takeFirst(), "a");
    assert.equal(q.takeFirst(), "b");
    assert.equal(q.takeFirst(), undefined);
    assert.equal(q.size, 0);
  });

  it("deletes from the head, the middle and the tail", () => {
    const q = new KeyQueue();
    for (const k of ["a", "b", "c", "d"]) q.add(k);
    assert.equal(q.delete("b"), true);
    assert.equal(q.delete("a"), true);
    assert.equal(q.delete("d"), true);
    assert.equal(q.delete("x"), false);
    assert.deepEqual(q.keys(), ["c"]);
    q.add("e");
    assert.deepEqual(q.keys(), ["c", "e"]);
    assert.equal(q.has("c") && !q.has("a"), true);
  });

  it("looks at no key past the one it takes, however many are queued", () => {
    const q = new KeyQueue();
    const n = 50_000;
    for (let i = 0; i < n; i++) q.add(`k${i}`);
    let looked = 0;
    const busy = new Set(["k0", "k1", "k2"]);
    const taken: string[] = [];
    for (let i = 0; i < 1000; i++) {
      taken.push(q.takeFirst(k => (looked++, busy.has(k))) as string);
    }
    // Each take looks at the 3 busy keys at the head and the one it takes: 4, not the queue's size.
    assert.equal(looked, 4 * 1000);
    assert.deepEqual(taken.slice(0, 2), ["k3", "k4"]);
    assert.equal(q.size, n - 1000);
  });
});
