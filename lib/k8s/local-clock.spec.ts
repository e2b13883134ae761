import assert from "node:assert/strict";
import { localClock } from "./local-clock.js";

describe("localClock", () => {
  it("is the host clock unless the test skew is set", () => {
    assert.equal(localClock({}), Date.now);
    assert.equal(localClock({ SPIDERPOOL_TEST_CLOCK_SKEW_MS: "" }), Date.now);
  });

  it("shifts by the test skew, either way", () => {
    for (const skew of [60_000, -60_000]) {
      const t = localClock({ SPIDERPOOL_TEST_CLOCK_SKEW_MS: String(skew) })() - Date.now();
      assert.ok(Math.abs(t - skew) < 1_000, `shifted by ${t}`);
    }
  });

  it("refuses a skew that is not an integer, naming the variable and value", () => {
    assert.throws(
      () => localClock({ SPIDERPOOL_TEST_CLOCK_SKEW_MS: "1m" }),
      /SPIDERPOOL_TEST_CLOCK_SKEW_MS: expected an integer number of milliseconds, got "1m"/,
    );
  });
});
