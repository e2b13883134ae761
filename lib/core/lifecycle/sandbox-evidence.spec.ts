import assert from "node:assert/strict";
import fc from "fast-check";
import { sandboxEvidence, type NetnsState, type ObservedSandbox } from "./sandbox-evidence.js";

const since = Date.parse("2026-12-07T12:00:00Z");
const claim = { podUID: "u1", address: "10.0.0.5", createdAt: since + 60_000 };
const sb = (over: Partial<ObservedSandbox> = {}): ObservedSandbox => ({
  containerID: "c0ffee0000000000",
  ifName: "eth0",
  podUID: "u1",
  addresses: ["10.0.0.5"],
  released: false,
  netns: "present",
  netnsPath: "/run/netns/p1",
  ...over,
});

describe("sandboxEvidence", () => {
  const table: [string, Parameters<typeof sandboxEvidence>, string][] = [
    ["the Pod's sandbox still exists: held", [claim, [sb()], since], "held"],
    ["its namespace is gone: gone", [claim, [sb({ netns: "absent" })], since], "gone"],
    [
      "the runtime released it (DEL, CNI GC): gone even if the namespace lingers",
      [claim, [sb({ released: true })], since],
      "gone",
    ],
    [
      "a namespace it cannot look at: unknown",
      [claim, [sb({ netns: "unknown" })], since],
      "unknown",
    ],
    [
      "one of two sandboxes of the Pod still up: held",
      [
        claim,
        [sb({ netns: "absent" }), sb({ containerID: "c2", netns: "present", addresses: [] })],
        since,
      ],
      "held",
    ],
    [
      "another Pod's live sandbox was given the address: held",
      [claim, [sb({ podUID: "u0", netns: "present" })], since],
      "held",
    ],
    [
      "a sandbox of the Pod whose ADD has not recorded addresses yet: held",
      [claim, [sb({ addresses: [] })], since],
      "held",
    ],
    [
      "no record, claim made after records began: gone",
      [claim, [sb({ podUID: "u9", addresses: ["10.0.0.9"] })], since],
      "gone",
    ],
    [
      "no record, claim made before records began: unknown",
      [{ ...claim, createdAt: since - 1000 }, [], since],
      "unknown",
    ],
  ];
  for (const [why, args, state] of table)
    it(why, () => assert.equal(sandboxEvidence(...args).state, state));

  it("names the holder and says how it knows", () => {
    const held = sandboxEvidence(claim, [sb()], since);
    assert.equal(held.state === "held" && held.holder, "c0ffee000000/eth0");
    const gone = sandboxEvidence(claim, [sb({ netns: "absent" })], since);
    assert.match(gone.state === "gone" ? gone.how : "", /netns is gone/);
  });

  it("never says gone while a recorded sandbox of the Pod or with the address may be up", () => {
    const state = fc.constantFrom<NetnsState>("present", "absent", "unknown");
    const rec = fc.record({
      mine: fc.boolean(),
      withAddress: fc.boolean(),
      released: fc.boolean(),
      netns: state,
    });
    fc.assert(
      fc.property(
        fc.array(rec, { maxLength: 6 }),
        fc.integer({ min: -5000, max: 5000 }),
        (recs, age) => {
          const observed = recs.map((r, i) =>
            sb({
              containerID: `c${i}`,
              podUID: r.mine ? "u1" : `other${i}`,
              addresses: r.withAddress ? ["10.0.0.5"] : ["10.0.0.77"],
              released: r.released,
              netns: r.netns,
            }),
          );
          const maybeUp = recs.some(
            r => (r.mine || r.withAddress) && !r.released && r.netns !== "absent",
          );
          const v = sandboxEvidence({ ...claim, createdAt: since + age }, observed, since);
          return !maybeUp || v.state !== "gone";
        },
      ),
    );
  });
});
