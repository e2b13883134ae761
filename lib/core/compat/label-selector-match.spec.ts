import assert from "node:assert/strict";
import type { LabelSelector } from "../../schemas/index.js";
import { matchLabelSelector } from "./label-selector-match.js";

describe("label-selector-match", () => {
  const labels = { zone: "a", rack: "r1", gpu: "" };
  const cases: Array<[why: string, selector: LabelSelector, matched: boolean]> = [
    ["empty selector matches everything", {}, true],
    ["matchLabels equal", { matchLabels: { zone: "a" } }, true],
    ["matchLabels differ", { matchLabels: { zone: "b" } }, false],
    ["matchLabels key missing", { matchLabels: { other: "" } }, false],
    ["matchLabels empty value present", { matchLabels: { gpu: "" } }, true],
    ["matchLabels are ANDed", { matchLabels: { zone: "a", rack: "r2" } }, false],
    ["In hit", { matchExpressions: [{ key: "zone", operator: "In", values: ["b", "a"] }] }, true],
    ["In miss", { matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] }, false],
    [
      "In on a missing key",
      { matchExpressions: [{ key: "nope", operator: "In", values: [""] }] },
      false,
    ],
    ["NotIn hit", { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }, false],
    ["NotIn miss", { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["b"] }] }, true],
    [
      "NotIn on a missing key",
      { matchExpressions: [{ key: "nope", operator: "NotIn", values: ["b"] }] },
      true,
    ],
    ["Exists", { matchExpressions: [{ key: "gpu", operator: "Exists" }] }, true],
    ["Exists on a missing key", { matchExpressions: [{ key: "nope", operator: "Exists" }] }, false],
    ["DoesNotExist", { matchExpressions: [{ key: "nope", operator: "DoesNotExist" }] }, true],
    [
      "DoesNotExist on a present key",
      { matchExpressions: [{ key: "rack", operator: "DoesNotExist" }] },
      false,
    ],
    [
      "labels and expressions are ANDed",
      {
        matchLabels: { zone: "a" },
        matchExpressions: [
          { key: "rack", operator: "In", values: ["r1"] },
          { key: "gpu", operator: "DoesNotExist" },
        ],
      },
      false,
    ],
  ];
  for (const [why, selector, matched] of cases) {
    it(why, () =>
      assert.deepEqual(matchLabelSelector(selector, labels), { ok: true, value: matched }),
    );
  }

  describe("selectors apimachinery refuses", () => {
    const invalid: Array<[why: string, selector: LabelSelector, message: string]> = [
      [
        "In without values",
        { matchExpressions: [{ key: "zone", operator: "In", values: [] }] },
        "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
      ],
      [
        "NotIn with values unset",
        { matchExpressions: [{ key: "zone", operator: "NotIn" }] },
        "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
      ],
      [
        "Exists with values",
        { matchExpressions: [{ key: "zone", operator: "Exists", values: ["a"] }] },
        'values: Invalid value: []string{"a"}: values set must be empty for exists and does not exist',
      ],
      [
        "unknown operator",
        { matchExpressions: [{ key: "zone", operator: "Gt" as "In", values: ["1"] }] },
        '"Gt" is not a valid label selector operator',
      ],
    ];
    for (const [why, selector, message] of invalid) {
      it(why, () =>
        assert.deepEqual(matchLabelSelector(selector, labels), {
          ok: false,
          error: { code: "invalid_label_selector", message },
        }),
      );
    }
    it("bad key syntax", () => {
      const result = matchLabelSelector({ matchLabels: { "bad key": "a" } }, labels);
      assert.equal(result.ok, false);
      assert.match(
        !result.ok ? result.error.message : "",
        /^key: Invalid value: "bad key": name part must consist of alphanumeric/,
      );
    });
    it("bad value syntax", () => {
      const result = matchLabelSelector(
        { matchExpressions: [{ key: "zone", operator: "In", values: ["ok", "-bad"] }] },
        labels,
      );
      assert.match(
        !result.ok ? result.error.message : "",
        /^values\[1\]: Invalid value: "-bad": a valid label must be/,
      );
    });
  });
});
