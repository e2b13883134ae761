import fs from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { repoRoot } from "../cluster/paths.js";
import { exampleText, type ExampleObject } from "./examples.js";

/** One document of a "mistakes" example: the object and the message its `# error:` comment promises. */
export interface Mistake {
  object: ExampleObject;
  yaml: string;
  error: string;
}

/**
 * The documents of a mistakes file under docs/examples. Each must carry a comment line
 * `# error: <text>`; a document without one is a broken example and fails loudly.
 */
export function exampleMistakes(file: string): Mistake[] {
  return exampleText(file)
    .split(/^---$/m)
    .map((yaml, i) => {
      const object = parseDocument(yaml).toJS() as ExampleObject;
      const error = /^# error: (.+)$/m.exec(yaml)?.[1];
      if (!error)
        throw new Error(
          `docs/examples/${file}: document ${i} (${object.metadata?.name}) has no "# error:" comment`,
        );
      return { object, yaml, error };
    });
}

/** The fenced code blocks of a Markdown file under docs/, without their fences. */
export function fencedBlocks(doc: string): string[] {
  const text = fs.readFileSync(path.join(repoRoot, "docs", doc), "utf8");
  return [...text.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map(m => m[1] ?? "");
}
