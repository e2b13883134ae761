import assert from "node:assert/strict";
import { formatFieldError } from "./field-error.js";
import { checkIpVersion, checkIpVersionUnchanged } from "./ip-version-rules.js";

const BOTH = { enableIPv4: true, enableIPv6: true };

describe("ip-version-rules", () => {
  const cases: [
    unknown,
    { enableIPv4: boolean; enableIPv6: boolean },
    number | undefined,
    string[],
  ][] = [
    [4, BOTH, 4, []],
    [6, BOTH, 6, []],
    [undefined, BOTH, undefined, [`spec.ipVersion: Invalid value: "null": missing`]],
    [null, BOTH, undefined, [`spec.ipVersion: Invalid value: "null": missing`]],
    [5, BOTH, undefined, [`spec.ipVersion: Unsupported value: 5: supported values: "4", "6"`]],
    ["4", BOTH, undefined, [`spec.ipVersion: Unsupported value: "4": supported values: "4", "6"`]],
    [4, { ...BOTH, enableIPv4: false }, 4, ["spec.ipVersion: Forbidden: IPv4 is disabled"]],
    [6, { ...BOTH, enableIPv6: false }, 6, ["spec.ipVersion: Forbidden: IPv6 is disabled"]],
  ];
  for (const [value, config, family, lines] of cases) {
    it(`${JSON.stringify(value)} with ${JSON.stringify(config)}`, () => {
      const check = checkIpVersion(value, config, "missing");
      assert.equal(check.family, family);
      assert.deepEqual(check.errors.map(formatFieldError), lines);
    });
  }

  it("refuses a change of a set version only", () => {
    assert.deepEqual(checkIpVersionUnchanged(4, 4), []);
    assert.deepEqual(checkIpVersionUnchanged(undefined, 6), []);
    assert.deepEqual(checkIpVersionUnchanged(4, 6).map(formatFieldError), [
      "spec.ipVersion: Forbidden: is not changeable",
    ]);
  });
});
