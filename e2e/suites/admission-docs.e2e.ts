import assert from "node:assert/strict";
import { fencedBlocks } from "../support/example-mistakes.js";
import { exampleText } from "../support/examples.js";

/**
 * The admission suites apply the files under docs/examples; the usage docs quote them. This
 * keeps the two identical, so a reader sees exactly what was tested.
 */
describe("admission: the usage docs quote the examples the suites apply", () => {
  const quoted: [string, string[]][] = [
    ["usage/ippool.md", ["ippool.yaml", "ippool-ipv6.yaml", "ippool-mistakes.yaml"]],
    ["usage/subnet.md", ["subnet.yaml", "subnet-mistakes.yaml"]],
    ["usage/reserved-ip.md", ["reserved-ip.yaml", "reserved-ip-mistakes.yaml"]],
    ["usage/multus-config.md", ["multus-config.yaml", "multus-config-mistakes.yaml"]],
  ];
  for (const [doc, examples] of quoted) {
    for (const example of examples) {
      it(`docs/${doc} quotes docs/examples/${example} verbatim`, () => {
        assert.ok(
          fencedBlocks(doc).includes(exampleText(example)),
          `docs/${doc} has no code block identical to docs/examples/${example}`,
        );
      });
    }
  }
});
