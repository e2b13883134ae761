import assert from "node:assert/strict";
import { gcReleaseDelayMs } from "./gc-test-delay.js";

describe("gcReleaseDelayMs", () => {
  it("is no wait unless the test knob is set", () => {
    assert.equal(gcReleaseDelayMs({}), 0);
    assert.equal(gcReleaseDelayMs({ SPIDERPOOL_TEST_GC_DELAY_MS: "" }), 0);
    assert.equal(gcReleaseDelayMs({ SPIDERPOOL_TEST_GC_DELAY_MS: "15000" }), 15_000);
  });

  it("refuses a delay that is not a non-negative integer, naming the variable and value", () => {
    for (const bad of ["15s", "-1", "1.5"]) {
      assert.throws(
        () => gcReleaseDelayMs({ SPIDERPOOL_TEST_GC_DELAY_MS: bad }),
        new RegExp(
          `SPIDERPOOL_TEST_GC_DELAY_MS: expected a non-negative integer number of milliseconds, got "${bad.replace(".", "\\.")}"`,
        ),
      );
    }
  });
});
