import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { findCycles, readImportGraph, relativeSpecifiers } from "./import-graph.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

describe("scripts/import-graph", () => {
  it("reads static, type-only, re-export and dynamic relative specifiers, not packages", () => {
    const text = [
      `import { a } from "./a.js";`,
      `import type { B } from "../b.js";`,
      `export { c } from "./c.js";`,
      `import "./side-effect.js";`,
      `const d = await import("./d.js");`,
      `import fs from "node:fs";`,
      `import { z } from "zod";`,
    ].join("\n");
    assert.deepEqual(relativeSpecifiers(text), [
      "./a.js",
      "../b.js",
      "./c.js",
      "./side-effect.js",
      "./d.js",
    ]);
  });

  it("finds a cycle in a small graph and names its files", () => {
    const graph = new Map([
      ["lib/x/address.ts", ["lib/x/address-errors.ts", "lib/x/result.ts"]],
      ["lib/x/address-errors.ts", ["lib/x/address.ts"]],
      ["lib/x/result.ts", []],
      ["lib/x/cidr.ts", ["lib/x/address.ts"]],
    ]);
    assert.deepEqual(findCycles(graph), [
      ["lib/x/address-errors.ts", "lib/x/address.ts", "lib/x/address-errors.ts"],
    ]);
  });

  it("finds a longer cycle once, and none in a diamond", () => {
    const ring = new Map([
      ["c", ["a"]],
      ["a", ["b"]],
      ["b", ["c"]],
    ]);
    assert.deepEqual(findCycles(ring), [["a", "b", "c", "a"]]);
    const diamond = new Map([
      ["top", ["left", "right"]],
      ["left", ["bottom"]],
      ["right", ["bottom"]],
      ["bottom", []],
    ]);
    assert.deepEqual(findCycles(diamond), []);
  });

  it("the tree (lib, capabilities, cni, cli) has no import cycle", () => {
    const graph = readImportGraph(repoRoot);
    assert.ok(graph.has("lib/core/net/address.ts"), "the graph reads the tree");
    const cycles = findCycles(graph).map(c => c.join(" → "));
    assert.deepEqual(cycles, []);
  });
});
