import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../cluster/paths.js";

/** The text of an example manifest under docs/examples/, the same file the docs show. */
export function exampleText(relative: string): string {
  return fs.readFileSync(path.join(repoRoot, "docs/examples", relative), "utf8");
}

/** The objects of an example manifest, so tests can read names and annotations from it. */
export function exampleObjects(relative: string): { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: Record<string, unknown> }[] {
  return parseAllDocuments(exampleText(relative))
    .map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> } | null)
    .filter((o): o is NonNullable<typeof o> => o !== null);
}
