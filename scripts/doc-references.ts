/**
 * Finds the references to documentation that comments and pages make, and the ones that do not
 * resolve inside this repository: a `docs/...` path that names no file, an `#anchor` that names
 * no heading of its page, and citations of numbered sections of a document the repository does
 * not hold (a section sign followed by a number, as the shared behaviour spec used to be cited).
 * Comments cite pages of `docs/` so a reader can follow them (docs/reference/README.md);
 * `scripts/doc-references.spec.ts` runs this over the tree.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** One reference that does not resolve, with where it was found. */
export interface BrokenReference {
  readonly file: string;
  readonly line: number;
  readonly reference: string;
  readonly problem: string;
}

/** Source files whose comments are checked; Markdown pages are checked link by link. */
export const SOURCE_EXTENSIONS = [".ts", ".mjs", ".go", ".yaml", ".sh"];

/** The spec of this checker, whose fixtures are broken on purpose. */
const OWN_FIXTURES = "scripts/doc-references.spec.ts";

/** The file system a check reads: the real one, or a map of paths to contents in specs. */
export interface DocFiles {
  exists(repoPath: string): boolean;
  read(repoPath: string): string;
}

/** `docs/...` paths in source text, with an optional `#anchor`; template pieces (`${`) never match. */
const SOURCE_REF = /(?<![\w./-])docs\/[\w./-]*\w\.(?:md|yaml|svg)(?:#[\w-]+)?/g;
/** Markdown link targets `](target)`. */
const MD_LINK = /\]\(([^)\s]+)\)/g;
/** A section sign cited as a section number, except RFC sections (`RFC 5952 §4.2.2`), which are public. */
const SECTION_CITE = /(?<!RFC \d+ )§\s*\d/;

/**
 * GitHub's anchor for a heading: lower case, everything but letters, digits, spaces, `-` and `_`
 * removed, spaces turned into `-`; a repeated heading gets `-1`, `-2`, ...
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Why `target` (a repository path with an optional `#anchor`) does not resolve, or undefined. */
function resolveProblem(files: DocFiles, target: string): string | undefined {
  const [file, anchor] = target.split("#", 2) as [string, string | undefined];
  if (!files.exists(file)) return `no file ${file}`;
  if (anchor === undefined || !file.endsWith(".md")) return undefined;
  return headingAnchors(files.read(file)).has(anchor)
    ? undefined
    : `no heading #${anchor} in ${file}`;
}

/** Broken `docs/...` references and section citations in one source file (paths from the repository root). */
export function checkSource(files: DocFiles, file: string, text: string): BrokenReference[] {
  const out: BrokenReference[] = [];
  text.split("\n").forEach((line, i) => {
    if (SECTION_CITE.test(line))
      out.push({
        file,
        line: i + 1,
        reference: line.trim(),
        problem: "cites a section of a document this repository does not hold",
      });
    for (const m of line.matchAll(SOURCE_REF)) {
      const problem = resolveProblem(files, m[0]);
      if (problem) out.push({ file, line: i + 1, reference: m[0], problem });
    }
  });
  return out;
}

/** Broken relative links and section citations in one Markdown page (links relative to the page). */
export function checkMarkdown(files: DocFiles, file: string, text: string): BrokenReference[] {
  const out: BrokenReference[] = [];
  const own = headingAnchors(text);
  let fenced = false;
  text.split("\n").forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) return;
    if (SECTION_CITE.test(line))
      out.push({
        file,
        line: i + 1,
        reference: line.trim(),
        problem: "cites a section of a document this repository does not hold",
      });
    for (const m of line.matchAll(MD_LINK)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue;
      if (target.startsWith("#")) {
        if (!own.has(target.slice(1)))
          out.push({
            file,
            line: i + 1,
            reference: target,
            problem: `no heading ${target} in ${file}`,
          });
        continue;
      }
      const [rel, anchor] = target.split("#", 2) as [string, string | undefined];
      const resolved = path.posix
        .normalize(path.posix.join(path.posix.dirname(file), rel))
        .replace(/\/$/, "");
      const problem = resolveProblem(
        files,
        anchor === undefined ? resolved : `${resolved}#${anchor}`,
      );
      if (problem) out.push({ file, line: i + 1, reference: target, problem });
    }
  });
  return out;
}

/** Every broken reference in the tracked files of the repository at `root`. */
export function checkRepository(root: string): BrokenReference[] {
  const tracked = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    { cwd: root, encoding: "utf8" },
  )
    .split("\0")
    .filter(
      f =>
        f !== "" &&
        f !== OWN_FIXTURES &&
        !f.startsWith("node_modules/") &&
        fs.existsSync(path.join(root, f)),
    );
  const files: DocFiles = {
    exists: p => fs.existsSync(path.join(root, p)),
    read: p => fs.readFileSync(path.join(root, p), "utf8"),
  };
  return tracked.flatMap(f => {
    if (f.endsWith(".md")) return checkMarkdown(files, f, files.read(f));
    if (SOURCE_EXTENSIONS.some(e => f.endsWith(e))) return checkSource(files, f, files.read(f));
    return [];
  });
}
