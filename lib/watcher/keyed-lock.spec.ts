import assert from "node:assert/strict";
import { KeyedLock } from "./keyed-lock.js";

const tick = (ms: number) => new Promise(r => setTimeout(r, ms));

describe("KeyedLock", () => {
  it("runs work of one key one at a time, in order, and other keys in parallel", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    let inA = 0;
    let maxInA = 0;
    const a = (id: string, ms: number) =>
      lock.run("a", async () => {
        inA++;
        maxInA = Math.max(maxInA, inA);
        log.push(`start ${id}`);
        await tick(ms);
        log.push(`end ${id}`);
        inA--;
        return id;
      });
    const b = lock.run("b", async () => {
      log.push("b");
      return "b";
    });
    const results = await Promise.all([a("1", 30), a("2", 5), a("3", 1), b]);
    assert.deepEqual(results, ["1", "2", "3", "b"]);
    assert.equal(maxInA, 1);
    assert.deepEqual(
      log.filter(l => l !== "b"),
      ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"],
    );
    assert.ok(log.indexOf("b") < log.indexOf("end 1"), "key b must not wait for key a");
  });

  it("a failure is the caller's and does not block the next work", async () => {
    const lock = new KeyedLock();
    const failed = lock.run("k", async () => {
      throw new Error("boom");
    });
    const next = lock.run("k", async () => 42);
    await assert.rejects(failed, /boom/);
    assert.equal(await next, 42);
  });
});
