import assert from "node:assert/strict";
import { goQuote } from "./go-quote.js";

describe("go-quote", () => {
  const cases: [string, string, string][] = [
    ["plain ASCII", "10.6.0.0/16", '"10.6.0.0/16"'],
    ["empty", "", '""'],
    ["quote and backslash", 'a"b\\c', '"a\\"b\\\\c"'],
    ["short escapes", "a\nb\tc\rd\u0007\b\f\v", '"a\\nb\\tc\\rd\\a\\b\\f\\v"'],
    ["other controls and DEL as \\x", "\u0000\u001b\u007f", '"\\x00\\x1b\\x7f"'],
    ["non-printable BMP runes as \\u", "a\u00a0b\u2028", '"a\\u00a0b\\u2028"'],
    ["printable non-ASCII kept", "héllo-日本", '"héllo-日本"'],
    ["astral printable kept", "😀", '"😀"'],
    ["astral non-printable as \\U", "\u{e0001}", '"\\U000e0001"'],
    ["lone surrogate as U+FFFD", "a\ud800b", '"a\ufffdb"'],
    ["space kept", "10.0.0.1 - 10.0.0.2", '"10.0.0.1 - 10.0.0.2"'],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.equal(goQuote(input), expected));
  }
});
