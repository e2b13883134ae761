import assert from "node:assert/strict";
import fc from "fast-check";
import { ServerClock } from "./server-clock.js";

/** A server whose clock is `skew` ms ahead of ours, answering after `latency` ms (stamp taken `at` into it). */
function answer(
  local: number,
  skew: number,
  latency: number,
  at: number,
): { header: string; receivedAt: number } {
  const stampedLocal = local + at;
  return { header: new Date(stampedLocal + skew).toUTCString(), receivedAt: local + latency };
}

describe("ServerClock", () => {
  it("uses the local clock until the server has answered", () => {
    const c = new ServerClock(() => 1_000_000);
    assert.equal(c.now(), 1_000_000);
    c.sample("not a date", 1_000_000);
    assert.equal(c.offset(), 0);
  });

  for (const skew of [-60_000, 60_000]) {
    it(`follows a server ${skew > 0 ? "ahead" : "behind"} by 60 s to within a second, never ahead`, () => {
      let local = Date.parse("2026-12-07T12:00:00.250Z");
      const c = new ServerClock(() => local);
      for (let i = 0; i < 5; i++) {
        const a = answer(local, skew, 40, 20);
        c.sample(a.header, a.receivedAt);
        local += 1_337;
      }
      const serverNow = local + skew;
      assert.ok(c.now() <= serverNow, `${c.now()} is ahead of the server's ${serverNow}`);
      assert.ok(serverNow - c.now() < 1_100, `${serverNow - c.now()} ms behind`);
    });
  }

  it("never runs ahead of the server, whatever the latencies", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3_600_000, max: 3_600_000 }),
        fc.array(
          fc.record({
            latency: fc.integer({ min: 0, max: 5_000 }),
            frac: fc.double({ min: 0, max: 1, noNaN: true }),
            gap: fc.integer({ min: 0, max: 10_000 }),
          }),
          {
            minLength: 1,
            maxLength: 50,
          },
        ),
        (skew, answers) => {
          let local = 1_765_000_000_123;
          const c = new ServerClock(() => local, 8);
          for (const { latency, frac, gap } of answers) {
            const a = answer(local, skew, latency, Math.floor(latency * frac));
            local += latency;
            c.sample(a.header, a.receivedAt);
            local += gap;
          }
          return c.now() <= local + skew;
        },
      ),
    );
  });

  it("forgets answers older than the last `keep`, so a stepped server clock is followed", () => {
    let local = 1_765_000_000_000;
    const c = new ServerClock(() => local, 4);
    for (let i = 0; i < 4; i++) c.sample(new Date(local + 120_000).toUTCString(), local);
    for (let i = 0; i < 4; i++) c.sample(new Date(local).toUTCString(), local);
    local += 10;
    assert.ok(Math.abs(c.now() - local) < 1_000);
  });
});
