import assert from "node:assert/strict";
import {
  coordinatorNetConfProblems,
  CoordinatorNetConfSchema,
  detectTiming,
  durationMs,
  notImplementedFieldsOf,
} from "./coordinator-netconf.js";

const base = { cniVersion: "1.0.0", name: "macvlan-conflict", type: "coordinator" };

describe("coordinator netconf", () => {
  it("accepts the Spiderpool form with detection switched on", () => {
    assert.deepEqual(
      coordinatorNetConfProblems({
        ...base,
        detectIPConflict: true,
        detectGateway: true,
        prevResult: {},
      }),
      [],
    );
  });
  const bad: Array<[string, unknown, RegExp]> = [
    [
      "an unknown field, by name and value",
      { ...base, detectIPConflit: true },
      /^unknown field detectIPConflit \(got true\); the coordinator accepts cniVersion, name, type, detectIPConflict/,
    ],
    [
      "an unknown detectOptions field",
      { ...base, detectOptions: { retry: 2 } },
      /^unknown field detectOptions\.retry \(got 2\); the coordinator accepts retries, timeout, interval$/,
    ],
    [
      "an ill-typed switch",
      { ...base, detectIPConflict: "yes" },
      /^field detectIPConflict: .* \(got "yes"\)$/,
    ],
    [
      "retries out of range",
      { ...base, detectOptions: { retries: 11 } },
      /^field detectOptions\.retries: .* \(got 11\)$/,
    ],
    [
      "retries zero",
      { ...base, detectOptions: { retries: 0 } },
      /^field detectOptions\.retries: .* \(got 0\)$/,
    ],
    [
      "a timeout above 5s",
      { ...base, detectOptions: { timeout: "6s" } },
      /^field detectOptions\.timeout: expected a duration from 10ms to 5s, e\.g\. "100ms" \(got "6s"\)$/,
    ],
    [
      "a timeout that is no duration",
      { ...base, detectOptions: { timeout: "100" } },
      /field detectOptions\.timeout: .*\(got "100"\)/,
    ],
    [
      "a Spiderpool field of the wrong type",
      { ...base, podRPFilter: "0" },
      /^field podRPFilter: .* \(got "0"\)$/,
    ],
    ["another plugin's type", { ...base, type: "macvlan" }, /^field type: .* \(got "macvlan"\)$/],
  ];
  for (const [why, value, line] of bad) {
    it(`refuses ${why}`, () => {
      const problems = coordinatorNetConfProblems(value);
      assert.equal(problems.length, 1, problems.join(" | "));
      assert.match(problems[0]!, line);
    });
  }
  it("names every Spiderpool field it accepts and does not implement", () => {
    const conf = CoordinatorNetConfSchema.parse({
      ...base,
      mode: "underlay",
      podMACPrefix: "0a:1b",
      tunePodRoutes: true,
      detectOptions: { interval: "1s" },
    });
    assert.deepEqual(notImplementedFieldsOf(conf), [
      "mode",
      "tunePodRoutes",
      "podMACPrefix",
      "detectOptions.interval",
    ]);
    assert.deepEqual(
      notImplementedFieldsOf(CoordinatorNetConfSchema.parse({ ...base, detectIPConflict: true })),
      [],
    );
  });
  it("applies the timing defaults and reads Go durations", () => {
    assert.deepEqual(detectTiming(CoordinatorNetConfSchema.parse(base)), {
      retries: 3,
      timeoutMs: 100,
    });
    assert.deepEqual(
      detectTiming(
        CoordinatorNetConfSchema.parse({ ...base, detectOptions: { retries: 2, timeout: "1.5s" } }),
      ),
      { retries: 2, timeoutMs: 1500 },
    );
    assert.equal(durationMs("250ms"), 250);
    assert.equal(durationMs("1m"), undefined);
  });
});
