import assert from "node:assert/strict";
import { claim, pod } from "./fixtures.js";
import { decideRelease } from "./release-decision.js";
import { parseAddressArg } from "./release-command.js";
import { CliError } from "./cli-error.js";

describe("cli/release-decision", () => {
  const held = claim("10.9.0.7", "a", "u1");
  const sts = claim("10.9.0.8", "a", "u1", { static: true, podName: "web-1" });
  const cases: Array<[string, Parameters<typeof decideRelease>, boolean, RegExp]> = [
    ["the Pod is gone", [held, undefined], true, /no longer exists/],
    [
      "the same Pod is running",
      [held, pod("pod-u1", "u1")],
      false,
      /is alive \(Running\) and holds it; delete the Pod instead/,
    ],
    [
      "the same Pod is pending",
      [held, pod("pod-u1", "u1", { phase: "Pending" })],
      false,
      /is alive \(Pending\)/,
    ],
    [
      "the same Pod is terminating but still running",
      [held, pod("pod-u1", "u1", { deleting: true })],
      false,
      /is terminating \(Running\) and may still use the address/,
    ],
    [
      "the same Pod has succeeded (restartPolicy Never)",
      [held, pod("pod-u1", "u1", { phase: "Succeeded", restartPolicy: "Never" })],
      true,
      /has finished \(Succeeded\)/,
    ],
    [
      "the same Pod has failed (restartPolicy Never)",
      [held, pod("pod-u1", "u1", { phase: "Failed", restartPolicy: "Never" })],
      true,
      /has finished \(Failed\)/,
    ],
    [
      "a Pod of the same name with another UID",
      [held, pod("pod-u1", "u9")],
      true,
      /now has uid u9; the holder \(uid u1\) is gone/,
    ],
    [
      "a re-created StatefulSet Pod",
      [claim("10.9.0.7", "a", "u1", { static: true }), pod("pod-u1", "u9")],
      false,
      /StatefulSet Pod ns\/pod-u1 was re-created \(uid u9\) and keeps this address/,
    ],
    [
      "a dead re-created StatefulSet Pod",
      [claim("10.9.0.7", "a", "u1", { static: true }), pod("pod-u1", "u9", { deleting: true })],
      true,
      /holder \(uid u1\) is gone/,
    ],
    [
      "a StatefulSet Pod is gone but its ordinal is still wanted",
      [sts, undefined, { statefulSetWants: true }],
      false,
      /StatefulSet ns\/web still wants ordinal 1: .*pass --force/,
    ],
    [
      "a StatefulSet Pod was re-created dead and its ordinal is still wanted",
      [sts, pod("web-1", "u9", { deleting: true }), { statefulSetWants: true }],
      false,
      /still wants ordinal 1/,
    ],
    [
      "a finished StatefulSet Pod whose ordinal is still wanted",
      [
        sts,
        pod("web-1", "u1", { phase: "Succeeded", restartPolicy: "Never" }),
        { statefulSetWants: true },
      ],
      false,
      /still wants ordinal 1/,
    ],
    [
      "a StatefulSet Pod is gone and its ordinal is no longer wanted",
      [sts, undefined, { statefulSetWants: false }],
      true,
      /no longer exists$/,
    ],
    [
      "--force and the ordinal is still wanted",
      [sts, undefined, { statefulSetWants: true, force: true }],
      true,
      /no longer exists \(--force: its StatefulSet still wants the ordinal\)/,
    ],
    [
      "--force does not override a live holder",
      [sts, pod("web-1", "u1"), { statefulSetWants: true, force: true }],
      false,
      /is alive \(Running\) and holds it/,
    ],
    [
      "--force does not override a terminating holder",
      [sts, pod("web-1", "u1", { deleting: true }), { statefulSetWants: true, force: true }],
      false,
      /is terminating/,
    ],
    [
      "a non-StatefulSet claim ignores the StatefulSet answer",
      [held, undefined, { statefulSetWants: true }],
      true,
      /no longer exists$/,
    ],
  ];
  for (const [name, args, release, why] of cases) {
    it(`${release ? "releases" : "refuses"} when ${name}`, () => {
      const d = decideRelease(...args);
      assert.equal(d.release, release);
      assert.match(d.why, why);
    });
  }

  it("reads IPv4 and IPv6 addresses, canonical or not", () => {
    assert.deepEqual(parseAddressArg("10.9.0.7"), { family: 4, value: 0x0a090007n });
    assert.deepEqual(parseAddressArg(" fd00:0::1 "), {
      family: 6,
      value: 0xfd000000000000000000000000000001n,
    });
  });

  for (const [bad, hint] of [
    ["10.9.0.300", /not an IPv4 or IPv6 address$/],
    ["10.9.0.7/24", /give the address without a prefix length/],
    ["fd00:::1", /not an IPv4 or IPv6 address/],
    ["web-0", /not an IPv4 or IPv6 address/],
  ] as const) {
    it(`refuses the malformed address ${bad} (exit 2)`, () => {
      assert.throws(
        () => parseAddressArg(bad),
        (e: unknown) =>
          e instanceof CliError &&
          e.code === "malformed_address" &&
          e.exitCode === 2 &&
          e.message.includes(JSON.stringify(bad)) &&
          hint.test(e.message),
      );
    });
  }
});
