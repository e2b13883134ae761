import assert from "node:assert/strict";
import { globMatch, hasWildcard } from "./glob-match.js";

describe("glob-match", () => {
  describe("globMatch, Go's path/filepath match_test.go table", () => {
    const cases: Array<[pattern: string, name: string, matched: boolean | "bad"]> = [
      ["abc", "abc", true],
      ["*", "abc", true],
      ["*c", "abc", true],
      ["a*", "a", true],
      ["a*", "abc", true],
      ["a*", "ab/c", false],
      ["a*/b", "abc/b", true],
      ["a*/b", "a/c/b", false],
      ["a*b*c*d*e*/f", "axbxcxdxe/f", true],
      ["a*b*c*d*e*/f", "axbxcxdxexxx/f", true],
      ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false],
      ["a*b*c*d*e*/f", "axbxcxdxexxx/fff", false],
      ["a*b?c*x", "abxbbxdbxebxczzx", true],
      ["a*b?c*x", "abxbbxdbxebxczzy", false],
      ["ab[c]", "abc", true],
      ["ab[b-d]", "abc", true],
      ["ab[e-g]", "abc", false],
      ["ab[^c]", "abc", false],
      ["ab[^b-d]", "abc", false],
      ["ab[^e-g]", "abc", true],
      ["a\\*b", "a*b", true],
      ["a\\*b", "ab", false],
      ["a?b", "a\u263ab", true],
      ["a[^a]b", "a\u263ab", true],
      ["a???b", "a\u263ab", false],
      ["a[^a][^a][^a]b", "a\u263ab", false],
      ["[a-\u03b6]*", "\u03b1", true],
      ["*[a-\u03b6]", "A", false],
      ["a?b", "a/b", false],
      ["a*b", "a/b", false],
      ["[\\]a]", "]", true],
      ["[\\-]", "-", true],
      ["[x\\-]", "x", true],
      ["[x\\-]", "-", true],
      ["[x\\-]", "z", false],
      ["[\\-x]", "x", true],
      ["[\\-x]", "-", true],
      ["[\\-x]", "a", false],
      ["[]a]", "]", "bad"],
      ["[-]", "-", "bad"],
      ["[x-]", "x", "bad"],
      ["[x-]", "-", "bad"],
      ["[x-]", "z", "bad"],
      ["[-x]", "x", "bad"],
      ["[-x]", "-", "bad"],
      ["[-x]", "a", "bad"],
      ["\\", "a", "bad"],
      ["[a-b-c]", "a", "bad"],
      ["[", "a", "bad"],
      ["[^", "a", "bad"],
      ["[^bc", "a", "bad"],
      ["a[", "a", "bad"],
      ["a[", "ab", "bad"],
      ["a[", "x", "bad"],
      ["a/b[", "x", "bad"],
      ["*x", "xxx", true],
    ];
    for (const [pattern, name, matched] of cases) {
      it(`${JSON.stringify(pattern)} ~ ${JSON.stringify(name)}`, () => {
        const expected =
          matched === "bad"
            ? {
                ok: false,
                error: { code: "bad_pattern", message: "syntax error in pattern", pattern },
              }
            : { ok: true, value: matched };
        assert.deepEqual(globMatch(pattern, name), expected);
      });
    }
  });

  describe("pool-name patterns", () => {
    const cases: Array<[pattern: string, name: string, matched: boolean]> = [
      ["default-v4-*", "default-v4-ippool", true],
      ["default-v4-*", "default-v6-ippool", false],
      ["pool-?", "pool-1", true],
      ["pool-?", "pool-12", false],
      ["pool-[a-c]", "pool-b", true],
      ["pool-[a-c]", "pool-d", false],
      ["pool-[!a]", "pool-b", false], // Go has no `!` negation: `[!a]` is the class of `!` and `a`
    ];
    for (const [pattern, name, matched] of cases) {
      it(`${pattern} ~ ${name}`, () =>
        assert.deepEqual(globMatch(pattern, name), { ok: true, value: matched }));
    }
  });

  describe("hasWildcard", () => {
    const cases: Array<[string, boolean]> = [
      ["pool", false],
      ["pool-*", true],
      ["pool-?", true],
      ["pool-[ab]", true],
      ["pool-[", false],
      ["pool-]", false],
      ["]x[", true],
    ];
    for (const [name, expected] of cases) it(name, () => assert.equal(hasWildcard(name), expected));
  });
});
