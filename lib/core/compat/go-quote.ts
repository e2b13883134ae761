/**
 * Go's `strconv.Quote` (the `%q` verb), which apimachinery uses to print string values and names
 * in validation messages (`Invalid value: "10.6.0.0/16"`, `SpiderIPPool.… "pool-a" is invalid`).
 * Reproduced so that our denials read byte for byte like the Kubernetes ones.
 */

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

/**
 * `text` between double quotes with Go's escapes: `\"` and `\\`, the short escapes (`\n`, `\t`,
 * …), `\xhh` for other ASCII controls and DEL, `\uhhhh` / `\Uhhhhhhhh` for non-printable runes.
 * A lone UTF-16 surrogate, which Go could never hold, prints as U+FFFD, as Go's JSON decoder would
 * have turned it into that rune before validation ran.
 */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === "\\") out += `\\${char}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += "\ufffd";
    else if (PRINTABLE.test(char)) out += char;
    else if (SHORT_ESCAPES[char] !== undefined) out += SHORT_ESCAPES[char];
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code < 0x10000) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return `${out}"`;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, "0");
}
