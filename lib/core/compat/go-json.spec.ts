import assert from "node:assert/strict";
import { goBool, goPointer, goSlice, goString, goStruct, goUnmarshal } from "./go-json.js";

const item = goStruct("types.AnnoIPPoolItem", {
  interface: goString,
  ipv4: goSlice(goString),
  cleangateway: goBool,
});
const items = goSlice(item, "types.AnnoPodIPPoolsValue");

describe("go-json", () => {
  describe("Go field matching", () => {
    it("matches keys case-insensitively", () => {
      assert.deepEqual(goUnmarshal('{"Interface":"net1","IPv4":["a"],"cleanGateway":true}', item), {
        ok: true,
        value: { interface: "net1", ipv4: ["a"], cleangateway: true },
      });
    });
    it("folds the Kelvin sign and the long s like Go's EqualFold", () => {
      const codec = goStruct("t.S", { kind: goString, dst: goString });
      assert.deepEqual(goUnmarshal('{"\u212Aind":"x","d\u017Ft":"y"}', codec), {
        ok: true,
        value: { kind: "x", dst: "y" },
      });
    });
    it("ignores unknown keys", () => {
      assert.deepEqual(goUnmarshal('{"IPamNotExistedPoolKey":["a"],"x":{"y":[1,2]}}', item), {
        ok: true,
        value: { interface: "", ipv4: [], cleangateway: false },
      });
    });
    it("keeps the last of repeated keys, whatever their case", () => {
      assert.deepEqual(goUnmarshal('{"ipv4":["a"],"IPV4":["b"]}', item), {
        ok: true,
        value: { interface: "", ipv4: ["b"], cleangateway: false },
      });
      assert.deepEqual(goUnmarshal('{"ipv4":["a"],"IPV4":["b"],"ipv4":["c"]}', item), {
        ok: true,
        value: { interface: "", ipv4: ["c"], cleangateway: false },
      });
    });
    it("leaves fields at their zero value on null", () => {
      assert.deepEqual(goUnmarshal('{"interface":null,"ipv4":null,"cleangateway":null}', item), {
        ok: true,
        value: { interface: "", ipv4: [], cleangateway: false },
      });
      assert.deepEqual(goUnmarshal('["a",null]', goSlice(goString)), {
        ok: true,
        value: ["a", ""],
      });
      assert.deepEqual(goUnmarshal("null", items), { ok: true, value: [] });
    });
    it("turns a null pointer into undefined and decodes anything else through it", () => {
      assert.deepEqual(goUnmarshal("null", goPointer(item)), { ok: true, value: undefined });
      assert.deepEqual(goUnmarshal('{"ipv4":["a"]}', goPointer(item)), {
        ok: true,
        value: { interface: "", ipv4: ["a"], cleangateway: false },
      });
    });
  });

  describe("type errors, in Go's words", () => {
    const cases: Array<[string, string]> = [
      [
        '{"ipv4":["a"]}',
        "json: cannot unmarshal object into Go value of type types.AnnoPodIPPoolsValue",
      ],
      [
        '[{"cleangateway":"yes"}]',
        "json: cannot unmarshal string into Go struct field AnnoIPPoolItem.cleangateway of type bool",
      ],
      [
        '[{"cleanGateway":1}]',
        "json: cannot unmarshal number into Go struct field AnnoIPPoolItem.cleangateway of type bool",
      ],
      [
        '[{"ipv4":"a"}]',
        "json: cannot unmarshal string into Go struct field AnnoIPPoolItem.ipv4 of type []string",
      ],
      [
        '[{"ipv4":[true]}]',
        "json: cannot unmarshal bool into Go struct field AnnoIPPoolItem.ipv4 of type string",
      ],
      [
        '[{"interface":["eth0"]}]',
        "json: cannot unmarshal array into Go struct field AnnoIPPoolItem.interface of type string",
      ],
      ['"x"', "json: cannot unmarshal string into Go value of type types.AnnoPodIPPoolsValue"],
    ];
    for (const [text, message] of cases)
      it(text, () => assert.deepEqual(goUnmarshal(text, items), { ok: false, error: message }));
    it("reports the first mismatch in document order", () => {
      assert.deepEqual(goUnmarshal('[{"ipv4":1,"cleangateway":"x"}]', items), {
        ok: false,
        error:
          "json: cannot unmarshal number into Go struct field AnnoIPPoolItem.ipv4 of type []string",
      });
    });
    it("names the element type through a pointer", () => {
      assert.deepEqual(goUnmarshal("[1]", goPointer(item)), {
        ok: false,
        error: "json: cannot unmarshal array into Go value of type types.AnnoIPPoolItem",
      });
    });
  });

  describe("syntax errors, in Go's words, before any type error", () => {
    const cases: Array<[string, string]> = [
      ["", "unexpected end of JSON input"],
      ["   ", "unexpected end of JSON input"],
      ["[", "unexpected end of JSON input"],
      ['["a"', "unexpected end of JSON input"],
      ['{"a', "unexpected end of JSON input"],
      ["x", "invalid character 'x' looking for beginning of value"],
      ["['a']", "invalid character '\\'' looking for beginning of value"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['{"a":1 "b":2}', "invalid character '\"' after object key:value pair"],
      ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
      ["{a:1}", "invalid character 'a' looking for beginning of object key string"],
      ["[1 2]", "invalid character '2' after array element"],
      ["[1,]", "invalid character ']' looking for beginning of value"],
      ["[] []", "invalid character '[' after top-level value"],
      ["01", "invalid character '1' after top-level value"],
      ["-x", "invalid character 'x' in numeric literal"],
      ["1.x", "invalid character 'x' after decimal point in numeric literal"],
      ["1ex", "invalid character 'x' in exponent of numeric literal"],
      ["tru3", "invalid character '3' in literal true (expecting 'e')"],
      ["nul", "unexpected end of JSON input"],
      ['"a\nb"', "invalid character '\\n' in string literal"],
      ['"\\x"', "invalid character 'x' in string escape code"],
      ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
      ["\u00e9", "invalid character '\\xc3' looking for beginning of value"],
      ['[1, "a"] x', "invalid character 'x' after top-level value"],
    ];
    for (const [text, message] of cases) {
      it(JSON.stringify(text), () =>
        assert.deepEqual(goUnmarshal(text, items), { ok: false, error: message }),
      );
    }
    it("decodes escapes", () => {
      assert.deepEqual(goUnmarshal('["a\\"b\\\\c\\/d\\n\\u00e9"]', goSlice(goString)), {
        ok: true,
        value: ['a"b\\c/d\n\u00e9'],
      });
    });
    it("accepts every JSON number form Go accepts", () => {
      assert.deepEqual(goUnmarshal("[0, -0, 1.5, -2e10, 3E+2, 4e-1]", goSlice(goString)), {
        ok: false,
        error: "json: cannot unmarshal number into Go value of type string",
      });
    });
  });
});
