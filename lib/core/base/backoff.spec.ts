import assert from "node:assert/strict";
import fc from "fast-check";
import { backoffDelay, DEFAULT_BACKOFF, spread, type BackoffPolicy } from "./backoff.js";

const policy: BackoffPolicy = { baseMs: 100, maxMs: 1000, jitter: 0.5 };
const fixed = (r: number) => () => r;

describe("backoffDelay", () => {
  it("doubles the step per attempt up to the cap (no randomness: the full step)", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 50, 5000].map(a => backoffDelay(policy, a, fixed(0))),
      [100, 200, 400, 800, 1000, 1000, 1000, 1000],
    );
  });

  it("puts the delay in the upper `jitter` share of the step", () => {
    assert.equal(backoffDelay(policy, 3, fixed(0.999999)) > 200, true);
    assert.equal(backoffDelay(policy, 3, fixed(0.5)), 300);
    assert.equal(backoffDelay({ ...policy, jitter: 1 }, 3, fixed(0.5)), 200);
    assert.equal(backoffDelay({ ...policy, jitter: 0 }, 3, fixed(0.9)), 400);
  });

  it("spreads clients that fail together: different draws, different delays", () => {
    const seq = [0.1, 0.9, 0.4];
    let i = 0;
    const delays = seq.map(() => backoffDelay(DEFAULT_BACKOFF, 4, () => seq[i++]!));
    assert.equal(new Set(delays).size, 3);
  });

  it("stays within [step * (1 - jitter), step] for every attempt and draw", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, jitter, r) => {
          const p = { baseMs: 50, maxMs: 30_000, jitter };
          const step = Math.min(30_000, 50 * 2 ** Math.min(attempt - 1, 60));
          const d = backoffDelay(p, attempt, () => r);
          return Number.isFinite(d) && d >= step * (1 - jitter) - 1e-9 && d <= step + 1e-9;
        },
      ),
    );
  });

  it("clamps a faulty random source instead of returning negative or NaN delays", () => {
    assert.equal(backoffDelay(policy, 1, fixed(7)), 50);
    assert.equal(backoffDelay(policy, 1, fixed(-3)), 100);
    assert.equal(backoffDelay(policy, 1, fixed(NaN)), 100);
  });

  it("refuses bad policies and attempts, naming the field and value", () => {
    assert.throws(
      () => backoffDelay(policy, 0, fixed(0)),
      /attempt must be an integer >= 1, got 0/,
    );
    assert.throws(
      () => backoffDelay(policy, 1.5, fixed(0)),
      /attempt must be an integer >= 1, got 1.5/,
    );
    assert.throws(
      () => backoffDelay({ ...policy, baseMs: 0 }, 1, fixed(0)),
      /baseMs must be a finite number > 0, got 0/,
    );
    assert.throws(
      () => backoffDelay({ ...policy, maxMs: 10 }, 1, fixed(0)),
      /maxMs must be finite and >= baseMs \(100\), got 10/,
    );
    assert.throws(
      () => backoffDelay({ ...policy, jitter: 1.5 }, 1, fixed(0)),
      /jitter must be in \[0, 1\], got 1.5/,
    );
  });
});

describe("spread", () => {
  it("maps the draw onto [ms * (1 - fraction), ms * (1 + fraction)]", () => {
    assert.equal(spread(600_000, 0.25, fixed(0)), 450_000);
    assert.equal(spread(600_000, 0.25, fixed(0.5)), 600_000);
    assert.equal(spread(600_000, 0.25, fixed(1)), 750_000);
    assert.equal(spread(600_000, 0, fixed(0.3)), 600_000);
  });

  it("refuses a negative value or a fraction outside [0, 1]", () => {
    assert.throws(() => spread(-1, 0.1, fixed(0)), /ms must be a finite number >= 0, got -1/);
    assert.throws(() => spread(10, 2, fixed(0)), /fraction must be in \[0, 1\], got 2/);
  });
});
