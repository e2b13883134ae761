import assert from "node:assert/strict";
import {
  forbidden,
  formatFieldError,
  formatFieldErrors,
  formatGoList,
  formatInvalidMessage,
  internalError,
  invalidValue,
  requiredValue,
  unsupportedValue,
  type FieldError,
} from "./field-error.js";

describe("field-error", () => {
  describe("formatFieldError renders like apimachinery's field.Error", () => {
    const cases: [string, FieldError, string][] = [
      [
        "Invalid value quotes a string",
        invalidValue(
          "invalid_cidr",
          "spec.subnet",
          "10.6.0.0/33",
          "invalid CIDR format in IPv4 '10.6.0.0/33'",
        ),
        `spec.subnet: Invalid value: "10.6.0.0/33": invalid CIDR format in IPv4 '10.6.0.0/33'`,
      ],
      [
        'a missing value prints as "null" (apimachinery v0.30 nil pointer)',
        invalidValue(
          "ip_version_missing",
          "spec.ipVersion",
          null,
          "is not generated correctly, 'spec.subnet' may be invalid",
        ),
        `spec.ipVersion: Invalid value: "null": is not generated correctly, 'spec.subnet' may be invalid`,
      ],
      [
        "numbers bare",
        unsupportedValue("ip_version_unsupported", "spec.ipVersion", 5, ["4", "6"]),
        `spec.ipVersion: Unsupported value: 5: supported values: "4", "6"`,
      ],
      ["booleans bare", invalidValue("invalid_range", "x", true, "d"), "x: Invalid value: true: d"],
      [
        "lists as JSON",
        invalidValue("subnet_cannot_control_pool", "spec.ips", ["10.0.0.1", "10.0.0.2"], "d"),
        `spec.ips: Invalid value: ["10.0.0.1","10.0.0.2"]: d`,
      ],
      [
        "objects as JSON",
        invalidValue(
          "empty_pod_affinity",
          "spec.podAffinity",
          {},
          "empty podAffinity is invalid for SpiderIPPool",
        ),
        "spec.podAffinity: Invalid value: {}: empty podAffinity is invalid for SpiderIPPool",
      ],
      [
        "Forbidden never prints the value",
        forbidden("ip_in_use", "spec.ips", "remove it", "10.0.0.1"),
        "spec.ips: Forbidden: remove it",
      ],
      [
        "Required value",
        requiredValue("selector_values_required", "a.values", "must be specified"),
        "a.values: Required value: must be specified",
      ],
      [
        "Internal error",
        internalError("owner_subnet_missing", "spec.subnet", "failed"),
        "spec.subnet: Internal error: failed",
      ],
      [
        "no detail, no trailing colon",
        unsupportedValue("ip_version_unsupported", "spec.ipVersion", 5, []),
        "spec.ipVersion: Unsupported value: 5",
      ],
      [
        "Go escapes in values",
        invalidValue("invalid_range", "spec.ips[0]", 'a"\n', "d"),
        `spec.ips[0]: Invalid value: "a\\"\\n": d`,
      ],
    ];
    for (const [name, error, expected] of cases)
      it(name, () => assert.equal(formatFieldError(error), expected));
  });

  describe("formatFieldErrors renders like ErrorList.ToAggregate()", () => {
    const a = forbidden("ip_in_use", "spec.ips", "a");
    const b = forbidden("ip_in_use", "spec.ips", "b");
    it("is empty for no errors", () => assert.equal(formatFieldErrors([]), ""));
    it("prints one error without brackets", () =>
      assert.equal(formatFieldErrors([a]), "spec.ips: Forbidden: a"));
    it("brackets and comma-joins several", () => {
      assert.equal(formatFieldErrors([a, b]), "[spec.ips: Forbidden: a, spec.ips: Forbidden: b]");
    });
    it("drops repeated lines, and a list that collapses to one line has no brackets", () => {
      assert.equal(
        formatFieldErrors([a, b, a]),
        "[spec.ips: Forbidden: a, spec.ips: Forbidden: b]",
      );
      assert.equal(formatFieldErrors([a, a]), "spec.ips: Forbidden: a");
    });
  });

  describe("formatInvalidMessage renders like errors.NewInvalid", () => {
    const error = forbidden("subnet_changed", "spec.subnet", "is not changeable");
    it("names group, kind and the quoted name", () => {
      assert.equal(
        formatInvalidMessage("SpiderIPPool", "pool-a", [error]),
        'SpiderIPPool.spiderpool.spidernet.io "pool-a" is invalid: spec.subnet: Forbidden: is not changeable',
      );
    });
    it("has no colon without errors", () => {
      assert.equal(
        formatInvalidMessage("SpiderSubnet", "s", []),
        'SpiderSubnet.spiderpool.spidernet.io "s" is invalid',
      );
    });
  });

  it("formatGoList prints Go's %v of a []string", () => {
    assert.equal(formatGoList(["10.0.0.1-10.0.0.5", "10.0.0.9"]), "[10.0.0.1-10.0.0.5 10.0.0.9]");
    assert.equal(formatGoList([]), "[]");
  });
});
