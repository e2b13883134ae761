import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { CliError } from "./cli-error.js";

/**
 * The one document of a YAML or JSON file the user named (JSON is YAML): a missing file or one
 * that does not parse is a `bad_file` error naming the path (docs/usage/cli.md, exit codes).
 */
export function readDocumentFile(path: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new CliError(
      "bad_file",
      `${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new CliError(
      "bad_file",
      `${path}: not JSON or YAML: ${(e as Error).message.split("\n")[0]}`,
    );
  }
}
