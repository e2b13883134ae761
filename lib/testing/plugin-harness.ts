/**
 * Shared by the cni specs: run the plugin in-process with captured output, or an executable as a
 * runtime would, and judge whether what it printed is a well-formed CNI answer. Not part of the bundle.
 */
import { spawn } from "node:child_process";
import { copyFileSync, linkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { SUPPORTED_CNI_VERSIONS } from "../schemas/cni-netconf.js";
import { HOST_CONFIG_FILE, type HostDirs } from "../cni-plugin/host-dirs.js";
import { runPlugin, type PluginOptions } from "../cni-plugin/plugin.js";
import type { StdinSource } from "../cni-plugin/stdin.js";

/** What one in-process run produced. */
export interface Invocation {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** How many separate stdout writes happened (the runtime expects at most one document). */
  readonly stdoutWrites: number;
  readonly elapsedMs: number;
}

/** What one executable run produced; `code` is null when it was killed. */
export interface Execution {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** Runs `command` with exactly `env` and `stdin`, as a runtime execs a plugin; SIGKILL after `killAfterMs`. */
export function execPlugin(
  command: string[],
  env: Record<string, string>,
  stdin: string | Buffer,
  killAfterMs: number,
): Promise<Execution> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command[0]!, command.slice(1), { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("error", reject);
    child.on("close", code => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, elapsedMs: performance.now() - started });
    });
    child.stdin.on("error", () => undefined); // VERSION exits without reading stdin
    child.stdin.end(stdin);
  });
}

/**
 * Puts `files` (the built executables) into `binDir` with the node's configuration file beside
 * them, as install-cni.sh does; returns the new paths in order. A hard link when the file system
 * allows it (the Node executable is ~100 MiB), else a copy: never a symbolic link, which the
 * executables would resolve back to dist/.
 */
export function installPlugin(files: string[], binDir: string, dirs: HostDirs): string[] {
  writeFileSync(join(binDir, HOST_CONFIG_FILE), JSON.stringify(dirs));
  return files.map(file => {
    const to = join(binDir, basename(file));
    try {
      linkSync(file, to);
    } catch {
      copyFileSync(file, to);
    }
    return to;
  });
}

/** Calls `runPlugin` with `env` and `stdin`; the log goes to `logFile` unless the netconf names one. */
export async function invoke(
  env: Record<string, string | undefined>,
  stdin: StdinSource,
  options: PluginOptions = {},
): Promise<Invocation> {
  let stdout = "";
  let stderr = "";
  let stdoutWrites = 0;
  const started = performance.now();
  const code = await runPlugin(
    {
      env,
      stdin,
      stdout: text => {
        stdoutWrites++;
        stdout += text;
      },
      stderr: text => {
        stderr += text;
      },
    },
    options,
  );
  return { code, stdout, stderr, stdoutWrites, elapsedMs: performance.now() - started };
}

const VERSIONS: readonly string[] = SUPPORTED_CNI_VERSIONS;

/**
 * Returns why `stdout` is not an acceptable answer for `command` with exit `code`, or undefined.
 * Exit 0: an ADD result, a VERSION answer, or nothing. Exit ≠ 0: exactly one error object.
 */
export function outputProblem(
  command: string | undefined,
  code: number,
  stdout: string,
): string | undefined {
  if (code === 0 && stdout === "" && command !== "ADD" && command !== "VERSION") return undefined;
  if (!stdout.endsWith("\n") || stdout.indexOf("\n") !== stdout.length - 1)
    return `stdout is not one line: ${JSON.stringify(stdout)}`;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    return `stdout is not JSON: ${JSON.stringify(stdout)}`;
  }
  if (typeof doc.cniVersion !== "string" || !VERSIONS.includes(doc.cniVersion))
    return `bad cniVersion in ${stdout}`;
  if (code !== 0) return errorProblem(doc);
  if (command === "VERSION") {
    return Array.isArray(doc.supportedVersions) && doc.supportedVersions.includes("1.1.0")
      ? undefined
      : `bad VERSION answer ${stdout}`;
  }
  if (command === "ADD") return resultProblem(doc);
  return `unexpected output for ${command}: ${stdout}`;
}

function errorProblem(doc: Record<string, unknown>): string | undefined {
  const keys = Object.keys(doc).filter(k => !["cniVersion", "code", "msg", "details"].includes(k));
  if (keys.length > 0) return `error object has extra keys ${keys.join(",")}`;
  if (!Number.isInteger(doc.code) || (doc.code as number) < 1)
    return `bad error code ${String(doc.code)}`;
  if (typeof doc.msg !== "string" || doc.msg === "") return "error without msg";
  if (doc.details !== undefined && typeof doc.details !== "string")
    return "details is not a string";
  return undefined;
}

function resultProblem(doc: Record<string, unknown>): string | undefined {
  if (!Array.isArray(doc.ips) || doc.ips.length === 0) return "result without ips";
  const legacy = (doc.cniVersion as string).startsWith("0.");
  for (const ip of doc.ips as Array<Record<string, unknown>>) {
    if (typeof ip.address !== "string" || !ip.address.includes("/"))
      return `bad ips[].address ${JSON.stringify(ip)}`;
    if (legacy !== (ip.version === "4" || ip.version === "6"))
      return `ips[].version wrong for ${String(doc.cniVersion)}`;
  }
  if ("interfaces" in doc) return "an IPAM result must not list interfaces";
  if (typeof doc.dns !== "object" || doc.dns === null) return "result without dns object";
  return undefined;
}
