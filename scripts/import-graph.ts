/**
 * The graph of relative imports between the shipped TypeScript files (specs left out) and the
 * cycles in it. Imports point down only (docs/architecture.md#where-things-happen); a cycle means
 * two files each need the other, so neither can be read, tested or moved alone.
 * `scripts/import-graph.spec.ts` fails on any cycle of the tree.
 */
import fs from "node:fs";
import path from "node:path";

/** The folders whose shipped files must form an acyclic graph. */
export const CHECKED_ROOTS = ["lib", "capabilities", "cni", "cli"];

/** Repo path → the repo paths it imports (relative specifiers only, type-only ones included). */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** `from "x"`, `import "x"`, `import("x")`. */
const SPECIFIER = /(?:\bfrom\s+|\bimport\s+|\bimport\(\s*)["']([^"']+)["']/g;

/** The relative specifiers of one file's text. */
export function relativeSpecifiers(text: string): string[] {
  return [...text.matchAll(SPECIFIER)]
    .map(m => m[1] ?? "")
    .filter(s => s.startsWith("./") || s.startsWith("../"));
}

/** Reads the graph of every non-spec `.ts` file below `roots`, as repo paths. */
export function readImportGraph(
  repoRoot: string,
  roots: readonly string[] = CHECKED_ROOTS,
): ImportGraph {
  const graph = new Map<string, string[]>();
  const visit = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
      const repoPath = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") visit(repoPath);
      } else if (entry.name.endsWith(".ts") && !/\.spec(-support)?\.ts$/.test(entry.name)) {
        const text = fs.readFileSync(path.join(repoRoot, repoPath), "utf8");
        const targets = relativeSpecifiers(text).map(spec =>
          path.posix.normalize(`${path.posix.dirname(repoPath)}/${spec}`).replace(/\.js$/, ".ts"),
        );
        graph.set(repoPath, [...new Set(targets)]);
      }
    }
  };
  for (const root of roots) if (fs.existsSync(path.join(repoRoot, root))) visit(root);
  return graph;
}

/**
 * Every elementary cycle found by a depth-first search, each once, as the list of files from its
 * smallest path round to it again (`a → b → a` is `["a", "b", "a"]`).
 */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const walk = (node: string): void => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      const seen = state.get(next);
      if (seen === "open") {
        const loop = stack.slice(stack.indexOf(next));
        const start = loop.indexOf([...loop].sort()[0] ?? next);
        const canonical = [...loop.slice(start), ...loop.slice(0, start)];
        cycles.set(canonical.join(" "), [...canonical, canonical[0] ?? next]);
      } else if (seen === undefined) {
        walk(next);
      }
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) walk(node);
  return [...cycles.values()];
}
