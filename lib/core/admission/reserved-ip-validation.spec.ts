import assert from "node:assert/strict";
import type { ReservedIPObject } from "./admission-objects.js";
import { ALL_ON, assertAllowed, codesOf, messageOf } from "../../testing/admission-fixtures.js";
import {
  validateReservedIPCreate,
  validateReservedIPDelete,
  validateReservedIPUpdate,
} from "./reserved-ip-validation.js";

const HEAD = 'SpiderReservedIP.spiderpool.spidernet.io "r1" is invalid: ';

function reserved(
  spec: ReservedIPObject["spec"],
  metadata: ReservedIPObject["metadata"] = {},
): ReservedIPObject {
  return { metadata: { name: "r1", ...metadata }, spec };
}

describe("reserved-ip-validation", () => {
  describe("CREATE", () => {
    const cases: [string, ReservedIPObject, string][] = [
      [
        "ipVersion missing",
        reserved({ ips: [] }),
        `spec.ipVersion: Invalid value: "null": is not generated correctly, 'spec.ips' is empty or 'spec.ips[0]' may be invalid`,
      ],
      [
        "ipVersion unsupported",
        reserved({ ipVersion: 0 as unknown as 4, ips: ["10.0.0.1"] }),
        `spec.ipVersion: Unsupported value: 0: supported values: "4", "6"`,
      ],
      [
        "entry of the other family",
        reserved({ ipVersion: 4, ips: ["10.0.0.1", "fd00::1"] }),
        `spec.ips[1]: Invalid value: "fd00::1": invalid IP range format in IPv4 'fd00::1'`,
      ],
      [
        "reversed entry (Spiderpool's strict check already refuses it)",
        reserved({ ipVersion: 6, ips: ["fd00::9-fd00::1"] }),
        `spec.ips[0]: Invalid value: "fd00::9-fd00::1": invalid IP range format in IPv6 'fd00::9-fd00::1'`,
      ],
    ];
    for (const [name, r, expected] of cases)
      it(name, () =>
        assert.equal(
          messageOf(validateReservedIPCreate({ reservedIP: r, config: ALL_ON })),
          HEAD + expected,
        ),
      );

    it("a disabled family", () => {
      const verdict = validateReservedIPCreate({
        reservedIP: reserved({ ipVersion: 4, ips: ["10.0.0.1"] }),
        config: { ...ALL_ON, enableIPv4: false },
      });
      assert.equal(messageOf(verdict), `${HEAD}spec.ipVersion: Forbidden: IPv4 is disabled`);
    });

    it("reports every bad entry and accepts good ones, never looking at pools", () => {
      const r = reserved({
        ipVersion: 4,
        ips: ["10.0.0.1", "x", "10.0.0.1 ", "10.0.0.2-10.0.0.9", "10.0.0.0/24"],
      });
      assert.deepEqual(
        codesOf(validateReservedIPCreate({ reservedIP: r, config: ALL_ON })),
        Array(3).fill("invalid_range_format"),
      );
      assertAllowed(
        validateReservedIPCreate({
          reservedIP: reserved({ ipVersion: 6, ips: ["fd00::1-fd00::ffff", "::"] }),
          config: ALL_ON,
        }),
      );
    });
  });

  describe("UPDATE", () => {
    const old = reserved({ ipVersion: 4, ips: ["10.0.0.1"] });
    it("keeps ipVersion immutable", () => {
      const verdict = validateReservedIPUpdate({
        oldReservedIP: old,
        reservedIP: reserved({ ipVersion: 6, ips: ["fd00::1"] }),
        config: ALL_ON,
      });
      assert.equal(messageOf(verdict), `${HEAD}spec.ipVersion: Forbidden: is not changeable`);
    });
    it("lets the update that starts deletion through, refuses later ones", () => {
      const deleting = reserved(
        { ipVersion: 4, ips: ["10.0.0.1"] },
        { deletionTimestamp: "2026-01-01T00:00:00Z" },
      );
      assertAllowed(
        validateReservedIPUpdate({ oldReservedIP: old, reservedIP: deleting, config: ALL_ON }),
      );
      const verdict = validateReservedIPUpdate({
        oldReservedIP: deleting,
        reservedIP: deleting,
        config: ALL_ON,
      });
      assert.equal(!verdict.allowed && verdict.status, 403);
      assert.equal(
        !verdict.allowed && verdict.message,
        "forbidden: cannot update a terminating ReservedIP",
      );
    });
    it("lets an already terminating object drop finalizers, and nothing else", () => {
      const held = reserved(
        { ipVersion: 4, ips: ["10.0.0.1"] },
        { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: ["a.io/x", "b.io/y"] },
      );
      const dropped = reserved(
        { ipVersion: 4, ips: ["10.0.0.1"] },
        { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: ["b.io/y"] },
      );
      assertAllowed(
        validateReservedIPUpdate({ oldReservedIP: held, reservedIP: dropped, config: ALL_ON }),
      );
      const alsoEdited = { ...dropped, spec: { ipVersion: 4 as const, ips: ["10.0.0.2"] } };
      assert.equal(
        validateReservedIPUpdate({ oldReservedIP: held, reservedIP: alsoEdited, config: ALL_ON })
          .allowed,
        false,
      );
      const swapped = reserved(
        { ipVersion: 4, ips: ["10.0.0.1"] },
        { deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: ["c.io/z"] },
      );
      assert.equal(
        validateReservedIPUpdate({ oldReservedIP: held, reservedIP: swapped, config: ALL_ON })
          .allowed,
        false,
      );
    });
    it("applies the CREATE rules", () => {
      const verdict = validateReservedIPUpdate({
        oldReservedIP: old,
        reservedIP: reserved({ ipVersion: 4, ips: ["10.0.0.300"] }),
        config: ALL_ON,
      });
      assert.deepEqual(codesOf(verdict), ["invalid_range_format"]);
    });
  });

  it("DELETE is always allowed", () => assertAllowed(validateReservedIPDelete()));
});
