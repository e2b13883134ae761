import assert from "node:assert/strict";
import {
  parsePoolIPNumber,
  parseReclaim,
  parseSubnetAnnotations,
  type SubnetAnnotations,
} from "./subnet-annotations.js";

const SUBNET = "ipam.spidernet.io/subnet";
const SUBNETS = "ipam.spidernet.io/subnets";
const IP_NUMBER = "ipam.spidernet.io/ippool-ip-number";
const RECLAIM = "ipam.spidernet.io/ippool-reclaim";

function failure(annotation: string, message: string): unknown {
  return { ok: false, error: { code: "invalid_annotation", owner: "Pod", annotation, message } };
}

describe("subnet-annotations", () => {
  describe("parsePoolIPNumber", () => {
    const good: Array<[string, boolean, number]> = [
      ["5", false, 5],
      ["0", false, 0],
      ["+2", true, 2],
      ["+0", true, 0],
      ["007", false, 7],
      ["3+5", true, 5], // Spiderpool keeps only what follows the `+`
    ];
    for (const [text, flexible, count] of good)
      it(text, () =>
        assert.deepEqual(parsePoolIPNumber(text), { ok: true, value: { flexible, count } }),
      );
    const bad: Array<[string, string]> = [
      ["++1", "invalid input '++1'"],
      ["a", "invalid input 'a': strconv.Atoi: parsing \"a\": invalid syntax"],
      ["", "invalid input '': strconv.Atoi: parsing \"\": invalid syntax"],
      ["+", "invalid input '+': strconv.Atoi: parsing \"\": invalid syntax"],
      [" 1", "invalid input ' 1': strconv.Atoi: parsing \" 1\": invalid syntax"],
      ["1.5", "invalid input '1.5': strconv.Atoi: parsing \"1.5\": invalid syntax"],
      [
        "99999999999999999999",
        "invalid input '99999999999999999999': strconv.Atoi: parsing \"99999999999999999999\": value out of range",
      ],
      ["-1", "subnet 'ipam.spidernet.io/ippool-ip-number' value must equal or greater than 0"],
      ["+-1", "subnet 'ipam.spidernet.io/ippool-ip-number' value must equal or greater than 0"],
    ];
    for (const [text, message] of bad)
      it(JSON.stringify(text), () =>
        assert.deepEqual(parsePoolIPNumber(text), failure(IP_NUMBER, message)),
      );
  });

  describe("parseReclaim", () => {
    it("defaults to true", () => assert.deepEqual(parseReclaim({}), { ok: true, value: true }));
    for (const text of ["1", "t", "T", "TRUE", "true", "True"])
      it(text, () =>
        assert.deepEqual(parseReclaim({ [RECLAIM]: text }), { ok: true, value: true }),
      );
    for (const text of ["0", "f", "F", "FALSE", "false", "False"])
      it(text, () =>
        assert.deepEqual(parseReclaim({ [RECLAIM]: text }), { ok: true, value: false }),
      );
    it("rejects other spellings with strconv's text", () => {
      assert.deepEqual(
        parseReclaim({ [RECLAIM]: "yes" }),
        failure(
          RECLAIM,
          "failed to parse spider subnet 'ipam.spidernet.io/ippool-reclaim', error: strconv.ParseBool: parsing \"yes\": invalid syntax",
        ),
      );
    });
  });

  describe("parseSubnetAnnotations", () => {
    it("is undefined without subnet annotations", () =>
      assert.deepEqual(parseSubnetAnnotations({ [IP_NUMBER]: "bad" }), {
        ok: true,
        value: undefined,
      }));

    const good: Array<
      [why: string, annotations: Record<string, string>, value: SubnetAnnotations]
    > = [
      [
        "single, interface defaults to eth0, first name only",
        { [SUBNET]: '{"IPv4":["s4","other"],"ipv6":["s6"]}' },
        { multiple: [], single: { interface: "eth0", ipv4: ["s4"], ipv6: ["s6"] }, reclaim: true },
      ],
      [
        "multiple wins over single; size and reclaim read",
        {
          [SUBNETS]: '[{"interface":"eth0","ipv4":["a"]},{"interface":"net1","ipv4":["b","c"]}]',
          [SUBNET]: '{"ipv4":["x"]}',
          [IP_NUMBER]: "+1",
          [RECLAIM]: "false",
        },
        {
          multiple: [
            { interface: "eth0", ipv4: ["a"], ipv6: [] },
            { interface: "net1", ipv4: ["b"], ipv6: [] },
          ],
          ipNumber: { flexible: true, count: 1 },
          reclaim: false,
        },
      ],
    ];
    for (const [why, annotations, value] of good)
      it(why, () => assert.deepEqual(parseSubnetAnnotations(annotations), { ok: true, value }));

    const bad: Array<
      [why: string, annotations: Record<string, string>, key: string, message: string]
    > = [
      [
        "bad JSON",
        { [SUBNET]: '{"ipv4":"s"}' },
        SUBNET,
        `failed to parse anntation '${SUBNET}' value '{"ipv4":"s"}', error: json: cannot unmarshal string into Go struct field AnnoSubnetItem.ipv4 of type []string`,
      ],
      [
        "array for the single form",
        { [SUBNET]: "[]" },
        SUBNET,
        `failed to parse anntation '${SUBNET}' value '[]', error: json: cannot unmarshal array into Go value of type types.AnnoSubnetItem`,
      ],
      ["null single", { [SUBNET]: "null" }, SUBNET, "no subnets specified: null"],
      ["empty multiple", { [SUBNETS]: "[]" }, SUBNETS, "no subnets specified: []"],
      [
        "single without families",
        { [SUBNET]: '{"interface":"eth0"}' },
        SUBNET,
        'it\'s invalid to set dual empty subnet with single interface: {"interface":"eth0"}',
      ],
      [
        "single with an empty name",
        { [SUBNET]: '{"ipv6":[""]}' },
        SUBNET,
        'it\'s invalid to set an empty IPv6 subnet with single interface: {"ipv6":[""]}',
      ],
      [
        "multiple with an empty name",
        { [SUBNETS]: '[{"interface":"eth0","ipv4":[""]}]' },
        SUBNETS,
        "it's invalid to set an empty IPv4 subnet with mutilple interfaces",
      ],
      [
        "multiple item without families",
        { [SUBNETS]: '[{"interface":"eth0","ipv4":["a"]},{"interface":"net1"}]' },
        SUBNETS,
        'it\'s invalid to set dual empty subnet with multiple interfaces: [{"interface":"eth0","ipv4":["a"]},{"interface":"net1"}]',
      ],
      [
        "same subnet on two NICs",
        { [SUBNETS]: '[{"interface":"eth0","ipv4":["a"]},{"interface":"net1","ipv4":["a"]}]' },
        SUBNETS,
        'it\'s invalid to use the same subnet for multiple interfaces: [{"interface":"eth0","ipv4":["a"]},{"interface":"net1","ipv4":["a"]}]',
      ],
      [
        "same interface twice",
        { [SUBNETS]: '[{"interface":"eth0","ipv4":["a"]},{"interface":"eth0","ipv4":["b"]}]' },
        SUBNETS,
        'it\'s invalid to use the same Interface name for multiple interfaces: [{"interface":"eth0","ipv4":["a"]},{"interface":"eth0","ipv4":["b"]}]',
      ],
      [
        "the IP number is checked before the items",
        { [SUBNET]: "{}", [IP_NUMBER]: "x" },
        IP_NUMBER,
        "invalid input 'x': strconv.Atoi: parsing \"x\": invalid syntax",
      ],
      [
        "the reclaim flag is checked before the items",
        { [SUBNET]: "{}", [RECLAIM]: "no" },
        RECLAIM,
        "failed to parse spider subnet 'ipam.spidernet.io/ippool-reclaim', error: strconv.ParseBool: parsing \"no\": invalid syntax",
      ],
    ];
    for (const [why, annotations, key, message] of bad)
      it(why, () => assert.deepEqual(parseSubnetAnnotations(annotations), failure(key, message)));
  });
});
