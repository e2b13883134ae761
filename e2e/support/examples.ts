import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../cluster/paths.js";

/**
 * The YAML files under docs/examples, which the usage docs quote and the e2e suites apply, so
 * that what a user reads is what was tested.
 */
export const examplesDir = path.join(repoRoot, "docs/examples");

/** A Kubernetes object as written in an example. */
export interface ExampleObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
}

/** The text of `docs/examples/<file>`. */
export function exampleText(file: string): string {
  return fs.readFileSync(path.join(examplesDir, file), "utf8");
}

/** The objects of an example file, in file order. */
export function exampleObjects(file: string): ExampleObject[] {
  return parseAllDocuments(exampleText(file)).map(d => d.toJS() as ExampleObject);
}
