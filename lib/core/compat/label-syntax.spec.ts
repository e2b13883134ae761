import assert from "node:assert/strict";
import { dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors } from "./label-syntax.js";

const NAME_REGEX =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_REGEX =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const SUBDOMAIN_REGEX =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe("label-syntax", () => {
  describe("qualifiedNameErrors (IsQualifiedName)", () => {
    const cases: [string, string[]][] = [
      ["app", []],
      ["ipam.spidernet.io/app-name", []],
      ["A.b_c-9", []],
      ["a".repeat(63), []],
      ["a".repeat(64), ["name part must be no more than 63 characters"]],
      ["", ["name part must be non-empty", `name part ${NAME_REGEX}`]],
      ["-app", [`name part ${NAME_REGEX}`]],
      ["/app", ["prefix part must be non-empty"]],
      ["Example.com/app", [`prefix part ${SUBDOMAIN_REGEX}`]],
      ["example.com/", ["name part must be non-empty", `name part ${NAME_REGEX}`]],
      [
        "a/b/c",
        [
          `a qualified name ${NAME_REGEX} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
        ],
      ],
    ];
    for (const [key, expected] of cases)
      it(JSON.stringify(key), () => assert.deepEqual(qualifiedNameErrors(key), expected));
  });

  describe("labelValueErrors (IsValidLabelValue)", () => {
    const cases: [string, string[]][] = [
      ["", []],
      ["web-0", []],
      ["a".repeat(64), ["must be no more than 63 characters"]],
      ["bad value", [VALUE_REGEX]],
      ["-x".repeat(40), ["must be no more than 63 characters", VALUE_REGEX]],
      // 32 two-byte characters are 64 bytes: Go counts bytes.
      ["é".repeat(32), ["must be no more than 63 characters", VALUE_REGEX]],
    ];
    for (const [value, expected] of cases)
      it(JSON.stringify(value), () => assert.deepEqual(labelValueErrors(value), expected));
  });

  it("dns1123SubdomainErrors limits length to 253", () => {
    assert.deepEqual(dns1123SubdomainErrors("example.com"), []);
    assert.deepEqual(dns1123SubdomainErrors(`${"a".repeat(63)}.`.repeat(4) + "a"), [
      "must be no more than 253 characters",
    ]);
  });
});
