import assert from "node:assert/strict";
import {
  checkMultiNicItems,
  parseNamespaceDefaultPools,
  parsePodIPPool,
  parsePodIPPools,
  parseRoutesAnnotation,
  type PodIPPoolsItem,
} from "./pool-annotations.js";

const IPPOOL = "ipam.spidernet.io/ippool";
const IPPOOLS = "ipam.spidernet.io/ippools";
const PREFIX = "wrong input, invalid format of Pod annotation 'ipam.spidernet.io/ippools': ";

function item(nic: string, ipv4: string[] = [], ipv6: string[] = []): PodIPPoolsItem {
  return { interface: nic, ipv4, ipv6, cleangateway: false };
}

describe("pool-annotations", () => {
  describe("parsePodIPPool", () => {
    it("is undefined when absent", () =>
      assert.deepEqual(parsePodIPPool({}), { ok: true, value: undefined }));
    const cases: Array<[string, { ipv4: string[]; ipv6: string[] }]> = [
      ['{"ipv4":["a"],"ipv6":["b"]}', { ipv4: ["a"], ipv6: ["b"] }],
      ['{"IPv4":["a"],"IPV6":["b"]}', { ipv4: ["a"], ipv6: ["b"] }],
      ['{"interface":"eth0","ipv4":["a"]}', { ipv4: ["a"], ipv6: [] }],
      ['{"IPamNotExistedPoolKey":["a"]}', { ipv4: [], ipv6: [] }],
      ["{}", { ipv4: [], ipv6: [] }],
    ];
    for (const [value, expected] of cases) {
      it(value, () =>
        assert.deepEqual(parsePodIPPool({ [IPPOOL]: value }), { ok: true, value: expected }),
      );
    }
    it("names the annotation on bad JSON", () => {
      assert.deepEqual(parsePodIPPool({ [IPPOOL]: '{"ipv4":"a"}' }), {
        ok: false,
        error: {
          code: "invalid_annotation",
          owner: "Pod",
          annotation: IPPOOL,
          message:
            "wrong input, invalid format of Pod annotation 'ipam.spidernet.io/ippool': json: cannot unmarshal string into Go struct field AnnoPodIPPoolValue.ipv4 of type []string",
        },
      });
      const broken = parsePodIPPool({ [IPPOOL]: "{ipv4:[a]}" });
      assert.equal(
        !broken.ok &&
          broken.error.message.startsWith(
            "wrong input, invalid format of Pod annotation 'ipam.spidernet.io/ippool': invalid character",
          ),
        true,
      );
    });
  });

  describe("parsePodIPPools", () => {
    it("decodes items with Go key folding", () => {
      assert.deepEqual(
        parsePodIPPools({
          [IPPOOLS]:
            '[{"Interface":"eth0","ipv4":["a"],"cleanGateway":true},{"interface":"net1","IPv6":["b"]}]',
        }),
        {
          ok: true,
          value: [
            { interface: "eth0", ipv4: ["a"], ipv6: [], cleangateway: true },
            { interface: "net1", ipv4: [], ipv6: ["b"], cleangateway: false },
          ],
        },
      );
    });
    it("rejects a non-bool cleangateway (A00003)", () => {
      const result = parsePodIPPools({
        [IPPOOLS]: '[{"interface":"eth0","ipv4":["a"],"cleangateway":"true"}]',
      });
      assert.deepEqual(result, {
        ok: false,
        error: {
          code: "invalid_annotation",
          owner: "Pod",
          annotation: IPPOOLS,
          message: `${PREFIX}json: cannot unmarshal string into Go struct field AnnoIPPoolItem.cleangateway of type bool`,
        },
      });
    });
    it("reports truncated JSON", () => {
      const result = parsePodIPPools({ [IPPOOLS]: '[{"interface":"eth0"' });
      assert.equal(!result.ok && result.error.message, `${PREFIX}unexpected end of JSON input`);
    });
  });

  describe("checkMultiNicItems", () => {
    const cases: Array<
      [why: string, items: PodIPPoolsItem[], nic: string, expected: string[] | string]
    > = [
      ["named", [item("eth0"), item("net1")], "eth0", ["eth0", "net1"]],
      ["named, ADD of the second NIC", [item("eth0"), item("net1")], "net1", ["eth0", "net1"]],
      ["unnamed: indices", [item(""), item(""), item("")], "eth0", ["0", "1", "2"]],
      ["unnamed does not require the current NIC", [item("")], "net7", ["0"]],
      ["empty", [], "eth0", "value requires at least one item"],
      [
        "mixed named first",
        [item("eth0"), item("")],
        "eth0",
        "NIC should be either all specified or all unspecified",
      ],
      [
        "mixed unnamed first",
        [item(""), item("net1")],
        "eth0",
        "NIC should be either all specified or all unspecified",
      ],
      ["duplicate (A00014)", [item("net1"), item("net1")], "net1", "duplicate interface net1"],
      ["current NIC missing (A00013)", [item("net1")], "eth0", "interface eth0 must be specified"],
    ];
    for (const [why, items, nic, expected] of cases) {
      it(why, () => {
        const result = checkMultiNicItems(items, nic);
        if (typeof expected === "string") {
          assert.deepEqual(result, {
            ok: false,
            error: {
              code: "invalid_annotation",
              owner: "Pod",
              annotation: IPPOOLS,
              message: PREFIX + expected,
            },
          });
        } else {
          assert.deepEqual(result, { ok: true, value: expected });
        }
      });
    }
  });

  describe("parseNamespaceDefaultPools", () => {
    const V4 = "ipam.spidernet.io/default-ipv4-ippool";
    const V6 = "ipam.spidernet.io/default-ipv6-ippool";
    it("reads both families", () => {
      assert.deepEqual(parseNamespaceDefaultPools({ [V4]: '["a","b*"]', [V6]: '["c"]' }), {
        ok: true,
        value: { ipv4: ["a", "b*"], ipv6: ["c"] },
      });
    });
    it("absent and null are empty", () => {
      assert.deepEqual(parseNamespaceDefaultPools({ [V6]: "null" }), {
        ok: true,
        value: { ipv4: [], ipv6: [] },
      });
    });
    it("names the annotation on bad JSON", () => {
      assert.deepEqual(parseNamespaceDefaultPools({ [V4]: '["a"]', [V6]: '"c"' }), {
        ok: false,
        error: {
          code: "invalid_annotation",
          owner: "Namespace",
          annotation: V6,
          message:
            "invalid format of Namespace annotation 'ipam.spidernet.io/default-ipv6-ippool': json: cannot unmarshal string into Go value of type types.AnnoNSDefautlV6PoolValue",
        },
      });
    });
  });

  describe("parseRoutesAnnotation", () => {
    const ROUTES = "ipam.spidernet.io/routes";
    it("is empty when absent", () =>
      assert.deepEqual(parseRoutesAnnotation({}), { ok: true, value: [] }));
    it("accepts same-family routes, keys folded", () => {
      assert.deepEqual(
        parseRoutesAnnotation({
          [ROUTES]:
            '[{"dst":"10.6.0.0/16","gw":"10.5.0.1"},{"DST":"fd00:6::/64","Gw":"fd00:5::1"},{"dst":"10.7.1.7/16","gw":"10.5.0.1"}]',
        }),
        {
          ok: true,
          value: [
            { dst: "10.6.0.0/16", gw: "10.5.0.1" },
            { dst: "fd00:6::/64", gw: "fd00:5::1" },
            { dst: "10.7.1.7/16", gw: "10.5.0.1" },
          ],
        },
      );
    });
    const bad: Array<[string, string]> = [
      [
        '[{"dst":"10.6.0.0/16","gw":"fd00::1"}]',
        "invalid route format 'dst: 10.6.0.0/16, gw: fd00::1'",
      ],
      [
        '[{"dst":"10.6.0.0","gw":"10.5.0.1"}]',
        "invalid route format 'dst: 10.6.0.0, gw: 10.5.0.1'",
      ],
      ['[{"gw":"10.5.0.1"}]', "invalid route format 'dst: , gw: 10.5.0.1'"],
      [
        '{"dst":"10.6.0.0/16"}',
        "json: cannot unmarshal object into Go value of type types.AnnoPodRoutesValue",
      ],
    ];
    for (const [value, detail] of bad) {
      it(value, () =>
        assert.deepEqual(parseRoutesAnnotation({ [ROUTES]: value }), {
          ok: false,
          error: {
            code: "invalid_annotation",
            owner: "Pod",
            annotation: ROUTES,
            message: `wrong input, invalid format of Pod annotation '${ROUTES}': ${detail}`,
          },
        }),
      );
    }
  });
});
