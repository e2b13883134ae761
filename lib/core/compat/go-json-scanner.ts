/**
 * A JSON scanner with the error texts of Go's `encoding/json` (scanner.go), so that a malformed
 * annotation is reported in the words Spiderpool users see: `unexpected end of JSON input`,
 * `invalid character 'x' looking for beginning of value`, `invalid character '}' looking for
 * beginning of object key string`, ... Objects keep every key in document order, duplicates
 * included, because Go decodes them one by one and the last one wins.
 */
import { err, ok, type Result } from "../base/result.js";

/** A parsed JSON value. Objects keep every key in document order, duplicates included. */
export type JsonNode =
  | { readonly t: "null" }
  | { readonly t: "bool"; readonly v: boolean }
  | { readonly t: "number" }
  | { readonly t: "string"; readonly v: string }
  | { readonly t: "array"; readonly items: readonly JsonNode[] }
  | { readonly t: "object"; readonly entries: ReadonlyArray<readonly [string, JsonNode]> };

/** Parses a whole JSON text, or returns Go's syntax error message. */
export function parseJson(text: string): Result<JsonNode, string> {
  let pos = 0;
  const fail = (where: string): { ok: false; error: string } =>
    err(
      pos >= text.length
        ? "unexpected end of JSON input"
        : `invalid character ${quoteChar(text, pos)} ${where}`,
    );
  const skipSpace = (): void => {
    while (pos < text.length && " \t\n\r".includes(text.charAt(pos))) pos++;
  };

  const parseValue = (): Result<JsonNode, string> => {
    skipSpace();
    const c = text.charAt(pos);
    if (c === "{") return parseObject();
    if (c === "[") return parseArray();
    if (c === '"') {
      const s = parseString();
      return s.ok ? ok({ t: "string", v: s.value }) : s;
    }
    if (c === "-" || (c >= "0" && c <= "9")) return parseNumber();
    for (const [word, node] of LITERALS) {
      if (c !== word.charAt(0)) continue;
      for (let i = 1; i < word.length; i++) {
        pos++;
        if (text.charAt(pos) !== word.charAt(i))
          return fail(`in literal ${word} (expecting '${word.charAt(i)}')`);
      }
      pos++;
      return ok(node);
    }
    return fail("looking for beginning of value");
  };

  const parseObject = (): Result<JsonNode, string> => {
    pos++;
    const entries: Array<readonly [string, JsonNode]> = [];
    skipSpace();
    if (text.charAt(pos) === "}") {
      pos++;
      return ok({ t: "object", entries });
    }
    for (;;) {
      skipSpace();
      if (text.charAt(pos) !== '"') return fail("looking for beginning of object key string");
      const key = parseString();
      if (!key.ok) return key;
      skipSpace();
      if (text.charAt(pos) !== ":") return fail("after object key");
      pos++;
      const value = parseValue();
      if (!value.ok) return value;
      entries.push([key.value, value.value]);
      skipSpace();
      const next = text.charAt(pos);
      if (next === "}") {
        pos++;
        return ok({ t: "object", entries });
      }
      if (next !== ",") return fail("after object key:value pair");
      pos++;
    }
  };

  const parseArray = (): Result<JsonNode, string> => {
    pos++;
    const items: JsonNode[] = [];
    skipSpace();
    if (text.charAt(pos) === "]") {
      pos++;
      return ok({ t: "array", items });
    }
    for (;;) {
      const value = parseValue();
      if (!value.ok) return value;
      items.push(value.value);
      skipSpace();
      const next = text.charAt(pos);
      if (next === "]") {
        pos++;
        return ok({ t: "array", items });
      }
      if (next !== ",") return fail("after array element");
      pos++;
    }
  };

  const parseString = (): Result<string, string> => {
    pos++;
    let out = "";
    for (;;) {
      if (pos >= text.length) return fail("");
      const c = text.charAt(pos);
      if (c === '"') {
        pos++;
        return ok(out);
      }
      if (c < " ") return fail("in string literal");
      if (c !== "\\") {
        out += c;
        pos++;
        continue;
      }
      pos++;
      const e = text.charAt(pos);
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        pos++;
      } else if (e === "u") {
        let code = 0;
        for (let i = 0; i < 4; i++) {
          pos++;
          const digit = parseInt(text.charAt(pos), 16);
          if (!/^[0-9a-fA-F]$/.test(text.charAt(pos)))
            return fail("in \\u hexadecimal character escape");
          code = code * 16 + digit;
        }
        out += String.fromCharCode(code);
        pos++;
      } else {
        return fail("in string escape code");
      }
    }
  };

  const parseNumber = (): Result<JsonNode, string> => {
    const digits = (): void => {
      while (text.charAt(pos) >= "0" && text.charAt(pos) <= "9") pos++;
    };
    const isDigit = (): boolean => text.charAt(pos) >= "0" && text.charAt(pos) <= "9";
    if (text.charAt(pos) === "-") {
      pos++;
      if (!isDigit()) return fail("in numeric literal");
    }
    if (text.charAt(pos) === "0") pos++;
    else digits();
    if (text.charAt(pos) === ".") {
      pos++;
      if (!isDigit()) return fail("after decimal point in numeric literal");
      digits();
    }
    if (text.charAt(pos) === "e" || text.charAt(pos) === "E") {
      pos++;
      if (text.charAt(pos) === "+" || text.charAt(pos) === "-") pos++;
      if (!isDigit()) return fail("in exponent of numeric literal");
      digits();
    }
    return ok({ t: "number" });
  };

  const value = parseValue();
  if (!value.ok) return value;
  skipSpace();
  if (pos < text.length) return fail("after top-level value");
  return value;
}

const LITERALS: ReadonlyArray<readonly [string, JsonNode]> = [
  ["true", { t: "bool", v: true }],
  ["false", { t: "bool", v: false }],
  ["null", { t: "null" }],
];

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/**
 * Go's `quoteChar`: the offending byte in single quotes, escaped like `strconv.Quote` would. Go
 * looks at bytes, so a non-ASCII character shows as its first UTF-8 byte (`'\xc3'`).
 */
function quoteChar(text: string, pos: number): string {
  const c = text.charAt(pos);
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const code = c.charCodeAt(0);
  const named: Record<number, string> = {
    7: "\\a",
    8: "\\b",
    9: "\\t",
    10: "\\n",
    11: "\\v",
    12: "\\f",
    13: "\\r",
    92: "\\\\",
  };
  if (named[code] !== undefined) return `'${named[code]}'`;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, "0")}'`;
  if (code < 0x80) return `'${c}'`;
  const firstByte =
    new TextEncoder().encode(String.fromCodePoint(text.codePointAt(pos) ?? code))[0] ?? 0;
  return `'\\x${firstByte.toString(16)}'`;
}
