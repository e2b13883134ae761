/**
 * The CLI's version: package.json's, written into the bundle at build time
 * (scripts/build-cli.ts), read from package.json when run from the repository.
 */
import fs from "node:fs";

declare const SPIDERPOOL_CLI_VERSION: string | undefined;

export function cliVersion(): string {
  if (typeof SPIDERPOOL_CLI_VERSION === "string") return SPIDERPOOL_CLI_VERSION;
  const pkg = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}
