import assert from "node:assert/strict";
import type { LabelSelector } from "../../schemas/index.js";
import { formatFieldError } from "./field-error.js";
import { validateLabelSelector } from "./label-selector-rules.js";

function lines(selector: LabelSelector | undefined): string[] {
  return validateLabelSelector(selector, "spec.podAffinity").map(formatFieldError);
}

describe("label-selector-rules", () => {
  it("accepts a valid selector and an absent one", () => {
    assert.deepEqual(
      lines({
        matchLabels: { app: "web", "example.com/tier": "" },
        matchExpressions: [
          { key: "zone", operator: "In", values: ["a", "b"] },
          { key: "gpu", operator: "Exists" },
        ],
      }),
      [],
    );
    assert.deepEqual(lines(undefined), []);
  });

  it("requires values for In and NotIn", () => {
    assert.deepEqual(lines({ matchExpressions: [{ key: "a", operator: "NotIn", values: [] }] }), [
      "spec.podAffinity.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ]);
  });

  it("forbids values for Exists and DoesNotExist", () => {
    assert.deepEqual(
      lines({ matchExpressions: [{ key: "a", operator: "DoesNotExist", values: ["x"] }] }),
      [
        "spec.podAffinity.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      ],
    );
  });

  it("rejects an unknown operator", () => {
    const selector = {
      matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }],
    } as unknown as LabelSelector;
    assert.deepEqual(lines(selector), [
      'spec.podAffinity.matchExpressions[0].operator: Invalid value: "Gt": not a valid selector operator',
    ]);
  });

  it("reports every bad key and value, at apimachinery's paths", () => {
    const errors = validateLabelSelector(
      {
        matchLabels: { "-a": "ok", b: "bad value" },
        matchExpressions: [{ key: "c/d/e", operator: "In", values: ["fine", "not fine"] }],
      },
      "spec.podAffinity",
    );
    assert.deepEqual(
      errors.map(e => [e.code, e.path, e.value]),
      [
        ["invalid_label_key", "spec.podAffinity.matchLabels", "-a"],
        ["invalid_label_value", "spec.podAffinity.matchLabels", "bad value"],
        ["invalid_label_key", "spec.podAffinity.matchExpressions[0].key", "c/d/e"],
        ["invalid_label_value", "spec.podAffinity.matchExpressions[0].values[1]", "not fine"],
      ],
    );
  });
});
