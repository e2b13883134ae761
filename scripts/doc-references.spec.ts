import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkMarkdown,
  checkRepository,
  checkSource,
  headingAnchors,
  type DocFiles,
} from "./doc-references.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** A repository of a few files, for the checks to read. */
function repo(contents: Record<string, string>): DocFiles {
  return { exists: p => p in contents, read: p => contents[p] ?? "" };
}

const pages = repo({
  "docs/reference/admission.md":
    "# Admission\n\n## SpiderIPPool\n\n## Texts shared by the three kinds\n\n```\n# not a heading\n```\n",
  "docs/usage/ippool.md": "# Pool\n",
  "docs/examples/ippool.yaml": "kind: SpiderIPPool\n",
});

describe("scripts/doc-references", () => {
  it("every docs/ reference of the repository resolves, and no section of an absent document is cited", () => {
    assert.deepEqual(checkRepository(root), []);
  });

  it("anchors as GitHub makes them: punctuation dropped, spaces to dashes, repeats numbered, fenced lines skipped", () => {
    const anchors = headingAnchors(
      "# The agent's side\n## Knobs (`conf.yml`, section `gc`)\n## Names\n## Names\n```\n# fenced\n```\n",
    );
    assert.deepEqual(
      [...anchors],
      ["the-agents-side", "knobs-confyml-section-gc", "names", "names-1"],
    );
  });

  it("a source comment citing a missing page or heading is reported with file, line and reason", () => {
    const text = [
      "/** Rules (docs/reference/admission.md#spiderippool). */",
      "// see docs/reference/admision.md",
      "// see docs/reference/admission.md#spidersubnet and docs/examples/ippool.yaml",
    ].join("\n");
    assert.deepEqual(checkSource(pages, "lib/x.ts", text), [
      {
        file: "lib/x.ts",
        line: 2,
        reference: "docs/reference/admision.md",
        problem: "no file docs/reference/admision.md",
      },
      {
        file: "lib/x.ts",
        line: 3,
        reference: "docs/reference/admission.md#spidersubnet",
        problem: "no heading #spidersubnet in docs/reference/admission.md",
      },
    ]);
  });

  it("a citation of a numbered section is reported; RFC sections are not", () => {
    const found = checkSource(
      pages,
      "lib/x.ts",
      "// Defaulting (spec §2.2)\n// pools (§5.3)\n// RFC 5952 §4.2.2 forbids it\n",
    );
    assert.deepEqual(
      found.map(b => b.line),
      [1, 2],
    );
  });

  it("Markdown links resolve relative to the page, anchors included", () => {
    const text = [
      "[pool](../usage/ippool.md), [rules](admission.md#texts-shared-by-the-three-kinds), [here](#admission)",
      "[gone](../usage/pool.md) [bad](admission.md#spidersubnet) [self](#nowhere) [web](https://example.com/x.md)",
      "```",
      "[in a fence](missing.md)",
      "```",
    ].join("\n");
    const found = checkMarkdown(pages, "docs/reference/admission.md", `# Admission\n${text}`);
    assert.deepEqual(
      found.map(b => `${b.line} ${b.reference}: ${b.problem}`),
      [
        "3 ../usage/pool.md: no file docs/usage/pool.md",
        "3 admission.md#spidersubnet: no heading #spidersubnet in docs/reference/admission.md",
        "3 #nowhere: no heading #nowhere in docs/reference/admission.md",
      ],
    );
  });
});
