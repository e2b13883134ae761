/**
 * The node's own settings for the plugin: the directory its log files live in and the run
 * directory that holds the agent's socket. They come from whoever installed the plugin (root),
 * never from the netconf, which any NetworkAttachmentDefinition author writes
 * (docs/adr/0007-node-plugin-dirs.md, docs/security.md "What a netconf cannot do").
 *
 * The installer writes them to HOST_CONFIG_FILE beside the executables in the CNI bin directory
 * (only root can write there); the exec shim and the Node executable read that file, the agent
 * takes the same values from its own environment (lib/agent/settings.ts).
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join, normalize, sep } from "node:path";
import { fail, quote, type Outcome } from "./cni-error.js";

/** Where the plugin may write its logs and find the agent's socket; absolute, normalised paths. */
export interface HostDirs {
  readonly logDir: string;
  readonly runDir: string;
}

/** Spiderpool's directories, used when the node has no HOST_CONFIG_FILE. */
export const DEFAULT_HOST_DIRS: HostDirs = {
  logDir: "/var/log/spidernet",
  runDir: "/var/run/spidernet",
};

/** The node-level file beside `spiderpool` and `spiderpool-node`; cni/shim/main.go reads the same name. */
export const HOST_CONFIG_FILE = "spiderpool-host.json";

/** The log file and socket a netconf gets when it names none. */
export const defaultLogFile = (dirs: HostDirs): string => join(dirs.logDir, "spiderpool.log");
export const defaultSocket = (dirs: HostDirs): string => join(dirs.runDir, "spiderpool.sock");

const KEYS = ["logDir", "runDir"] as const;

/** The file's JSON → HostDirs; each key optional (default above), unknown keys and relative paths refused. */
export function parseHostDirs(text: string, file: string): Outcome<HostDirs> {
  const problem = (what: string) =>
    fail("invalid_environment", `node plugin configuration ${file}: ${what}`, file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return problem(`not JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json))
    return problem("expected a JSON object");
  const unknown = Object.keys(json).filter(k => !(KEYS as readonly string[]).includes(k));
  if (unknown.length > 0)
    return problem(`unknown key ${quote(unknown[0])}, expected ${KEYS.join(" or ")}`);
  const dirs: Record<string, string> = { ...DEFAULT_HOST_DIRS };
  for (const key of KEYS) {
    const value = (json as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== "string" || !isAbsolute(value))
      return problem(`${key}: expected an absolute path, got ${quote(value)}`);
    dirs[key] = normalize(value).replace(/(.)\/+$/, "$1");
  }
  return { ok: true, value: dirs as unknown as HostDirs };
}

/** Reads HOST_CONFIG_FILE in `binDir`; an absent file means the defaults. */
export function readHostDirs(binDir: string): Outcome<HostDirs> {
  const file = join(binDir, HOST_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { ok: true, value: DEFAULT_HOST_DIRS };
    return fail(
      "invalid_environment",
      `node plugin configuration ${file}: ${(error as Error).message}`,
      file,
    );
  }
  return parseHostDirs(text, file);
}

/** `path` (absolute, normalised) names something strictly below `dir`: a lexical test, no file system. */
export function isBelow(path: string, dir: string): boolean {
  const root = dir.endsWith(sep) ? dir : `${dir}${sep}`;
  return path.startsWith(root) && path.length > root.length;
}
