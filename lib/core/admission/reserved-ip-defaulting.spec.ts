import assert from "node:assert/strict";
import fc from "fast-check";
import type { ReservedIPObject } from "./admission-objects.js";
import { defaultReservedIP } from "./reserved-ip-defaulting.js";

function reserved(
  spec: ReservedIPObject["spec"],
  metadata: ReservedIPObject["metadata"] = { name: "r" },
): ReservedIPObject {
  return { metadata, spec };
}

describe("reserved-ip-defaulting", () => {
  it("infers ipVersion from ips[0] and merges, with no finalizer or label", () => {
    const input = reserved({ ips: ["10.0.0.2", "10.0.0.1", "10.0.0.7"] });
    const before = structuredClone(input);
    const { object, stopped } = defaultReservedIP(input);
    assert.deepEqual(input, before, "the input must not change");
    assert.equal(stopped, undefined);
    assert.deepEqual(object, {
      metadata: { name: "r" },
      spec: { ipVersion: 4, ips: ["10.0.0.1-10.0.0.2", "10.0.0.7"] },
    });
    assert.equal(
      defaultReservedIP(reserved({ ips: ["fd00::1-fd00::2"] })).object.spec.ipVersion,
      6,
    );
  });

  it("keeps an explicit ipVersion", () => {
    assert.equal(
      defaultReservedIP(reserved({ ipVersion: 6, ips: ["10.0.0.1"] })).object.spec.ipVersion,
      6,
    );
  });

  it("stops without an ips list or with an unusable first entry", () => {
    assert.equal(
      defaultReservedIP(reserved({ ips: [] })).stopped,
      "empty 'spec.ips', noting to mutate",
    );
    assert.equal(defaultReservedIP(reserved({})).stopped, "empty 'spec.ips', noting to mutate");
    const reversed = defaultReservedIP(reserved({ ips: ["10.0.0.9-10.0.0.1", "10.0.0.20"] }));
    assert.equal(
      reversed.stopped,
      "failed to generate 'spec.ipVersion' from 'spec.ips[0]' 10.0.0.9-10.0.0.1, nothing to mutate",
    );
    assert.equal(reversed.object.spec.ipVersion, undefined);
  });

  it("does nothing for a terminating object", () => {
    const input = reserved(
      { ips: ["10.0.0.2", "10.0.0.1"] },
      { name: "r", deletionTimestamp: "2026-01-01T00:00:00Z" },
    );
    assert.equal(defaultReservedIP(input).object, input);
  });

  it("is idempotent", () => {
    const entry = fc
      .tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }))
      .map(([a, b]) => (a <= b ? `10.0.0.${a}-10.0.0.${b}` : `10.0.0.${b}`));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), ips => {
        const once = defaultReservedIP(reserved({ ips })).object;
        assert.deepEqual(defaultReservedIP(once).object, once);
      }),
      { numRuns: 200 },
    );
  });
});
