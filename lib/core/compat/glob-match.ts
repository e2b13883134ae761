/**
 * Go's `path/filepath.Match` on Linux, which Spiderpool uses to expand wildcard pool names in
 * annotations and CNI configs (docs/reference/allocation.md#wildcards): `*` matches any run of characters except `/`, `?` one
 * character except `/`, `[abc]`, `[a-z]` and `[^a-z]` one character of (or not of) a class, and
 * `\` escapes the next character.
 *
 * A malformed pattern (`[`, `[a-`, `[]a]`, a trailing `\`) is an error, and since Go 1.16 it is an
 * error whatever the name, because the rest of the pattern is still checked after a mismatch.
 */
import { err, ok, type Result } from "../base/result.js";

/** The only failure of a match: Go's `filepath.ErrBadPattern`. */
export interface BadPatternError {
  readonly code: "bad_pattern";
  /** `syntax error in pattern`, Go's text. */
  readonly message: string;
  readonly pattern: string;
}

/**
 * Whether a pool name is to be treated as a glob (Spiderpool's `HasWildcardInStr`): it contains
 * `*` or `?`, or both `[` and `]`. `pool[` alone is a literal name.
 */
export function hasWildcard(name: string): boolean {
  return name.includes("*") || name.includes("?") || (name.includes("[") && name.includes("]"));
}

/** Whether `name` matches the whole of `pattern`. Characters are compared as Unicode code points. */
export function globMatch(pattern: string, name: string): Result<boolean, BadPatternError> {
  const matched = matchAll([...pattern], [...name]);
  if (matched === BAD)
    return err({ code: "bad_pattern", message: "syntax error in pattern", pattern });
  return ok(matched);
}

const BAD = Symbol("bad pattern");
type Chars = readonly string[];
type ChunkMatch = { ok: true; rest: Chars } | { ok: false; bad: boolean };

function matchAll(initialPattern: Chars, initialName: Chars): boolean | typeof BAD {
  let pattern = initialPattern;
  let name = initialName;
  pattern: while (pattern.length > 0) {
    const scanned = scanChunk(pattern);
    pattern = scanned.rest;
    const { star, chunk } = scanned;
    // A trailing star matches the rest of the name unless it crosses a directory separator.
    if (star && chunk.length === 0) return !name.includes("/");
    const here = matchChunk(chunk, name);
    // The last chunk must consume the whole name, or a later star could still rescue the match.
    if (here.ok && (here.rest.length === 0 || pattern.length > 0)) {
      name = here.rest;
      continue;
    }
    if (!here.ok && here.bad) return BAD;
    if (star) {
      for (let i = 0; i < name.length && name[i] !== "/"; i++) {
        const skipped = matchChunk(chunk, name.slice(i + 1));
        if (skipped.ok) {
          if (pattern.length === 0 && skipped.rest.length > 0) continue;
          name = skipped.rest;
          continue pattern;
        }
        if (skipped.bad) return BAD;
      }
    }
    // No match; still report a malformed remainder, as Go does.
    while (pattern.length > 0) {
      const next = scanChunk(pattern);
      pattern = next.rest;
      const probe = matchChunk(next.chunk, []);
      if (!probe.ok && probe.bad) return BAD;
    }
    return false;
  }
  return name.length === 0;
}

/** Splits off leading stars and the following run up to the next star outside a class. */
function scanChunk(input: Chars): { star: boolean; chunk: Chars; rest: Chars } {
  let pattern = input;
  let star = false;
  while (pattern.length > 0 && pattern[0] === "*") {
    pattern = pattern.slice(1);
    star = true;
  }
  let inRange = false;
  let i = 0;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case "\\":
        if (i + 1 < pattern.length) i++;
        break;
      case "[":
        inRange = true;
        break;
      case "]":
        inRange = false;
        break;
      case "*":
        if (!inRange) break scan;
        break;
    }
  }
  return { star, chunk: pattern.slice(0, i), rest: pattern.slice(i) };
}

/**
 * Matches a star-free chunk against the start of `input`. After a mismatch the chunk is still
 * walked to the end so that syntax errors are found whatever the name.
 */
function matchChunk(initialChunk: Chars, input: Chars): ChunkMatch {
  let chunk = initialChunk;
  let s = input;
  let failed = false;
  while (chunk.length > 0) {
    if (!failed && s.length === 0) failed = true;
    const head = chunk[0];
    if (head === "[") {
      const r = failed ? -1 : codePoint(s[0]);
      if (!failed) s = s.slice(1);
      chunk = chunk.slice(1);
      let negated = false;
      if (chunk[0] === "^") {
        negated = true;
        chunk = chunk.slice(1);
      }
      let matched = false;
      let ranges = 0;
      for (;;) {
        if (chunk[0] === "]" && ranges > 0) {
          chunk = chunk.slice(1);
          break;
        }
        const lo = classChar(chunk);
        if (lo === undefined) return { ok: false, bad: true };
        chunk = lo.rest;
        let hi = lo.code;
        if (chunk[0] === "-") {
          const upper = classChar(chunk.slice(1));
          if (upper === undefined) return { ok: false, bad: true };
          hi = upper.code;
          chunk = upper.rest;
        }
        if (lo.code <= r && r <= hi) matched = true;
        ranges++;
      }
      if (matched === negated) failed = true;
    } else if (head === "?") {
      if (!failed) {
        if (s[0] === "/") failed = true;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
    } else {
      if (head === "\\") {
        chunk = chunk.slice(1);
        if (chunk.length === 0) return { ok: false, bad: true };
      }
      if (!failed) {
        if (chunk[0] !== s[0]) failed = true;
        s = s.slice(1);
      }
      chunk = chunk.slice(1);
    }
  }
  return failed ? { ok: false, bad: false } : { ok: true, rest: s };
}

/** Go's `getEsc`: one possibly escaped class character, which must be followed by more pattern. */
function classChar(chunk: Chars): { code: number; rest: Chars } | undefined {
  let rest = chunk;
  if (rest.length === 0 || rest[0] === "-" || rest[0] === "]") return undefined;
  if (rest[0] === "\\") {
    rest = rest.slice(1);
    if (rest.length === 0) return undefined;
  }
  const code = codePoint(rest[0]);
  rest = rest.slice(1);
  if (rest.length === 0) return undefined;
  return { code, rest };
}

function codePoint(char: string | undefined): number {
  return char?.codePointAt(0) ?? -1;
}
