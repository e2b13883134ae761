/**
 * The Node binaries the single executables are made from. The native one is the running node;
 * a foreign-arch one is the `node-linux-<arch>` npm package of exactly the running version (an
 * SEA blob must be made by the Node version that runs it), fetched once with `npm pack` (which
 * checks the registry's integrity hash) and cached outside the repo.
 */
import { execFileSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Node's `process.arch` names for the two targets. */
export type Arch = "x64" | "arm64";

/** ELF `e_machine` values (System V ABI supplements). */
const ELF_MACHINE: Record<number, Arch> = { 0x3e: "x64", 0xb7: "arm64" };

/** `~/.cache/pepr-spiderpool/node-runtime` (honours XDG_CACHE_HOME). */
export function runtimeCacheDir(): string {
  return join(
    process.env.XDG_CACHE_HOME || join(homedir(), ".cache"),
    "pepr-spiderpool",
    "node-runtime",
  );
}

/** Path of a Node binary of the running version for `arch`, downloading it on first use. */
export async function ensureNodeRuntime(arch: Arch): Promise<string> {
  if (arch === process.arch) return realpathSync(process.execPath);
  const version = process.versions.node;
  const pkg = `node-linux-${arch}@${version}`;
  const dir = join(runtimeCacheDir(), `node-linux-${arch}-${version}`);
  const binary = join(dir, "node");
  if (existsSync(binary) && elfMachine(binary) === arch) return binary;

  mkdirSync(runtimeCacheDir(), { recursive: true });
  const tmp = mkdtempSync(join(runtimeCacheDir(), ".download-"));
  try {
    let packed: { filename: string }[];
    try {
      const json = execFileSync("npm", ["pack", pkg, "--json", "--pack-destination", tmp], {
        cwd: tmp,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      packed = JSON.parse(json) as { filename: string }[];
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new Error(
        `cannot obtain the linux-${arch} Node ${version} runtime: npm pack ${pkg} failed${stderr ? `: ${stderr}` : ""}`,
      );
    }
    const tarball = join(tmp, packed[0]?.filename ?? "");
    execFileSync("tar", ["-xzf", tarball, "-C", tmp, "package/bin/node"], { stdio: "pipe" });
    const extracted = join(tmp, "package/bin/node");
    const machine = elfMachine(extracted);
    if (machine !== arch)
      throw new Error(`${pkg}: bin/node is not an ELF for ${arch} (got ${machine ?? "unknown"})`);
    mkdirSync(dir, { recursive: true });
    renameSync(extracted, binary);
    return binary;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The architecture of an ELF executable, or undefined for anything else. */
export function elfMachine(path: string): Arch | undefined {
  const header = Buffer.alloc(20);
  const fd = openSync(path, "r");
  try {
    if (readSync(fd, header, 0, 20, 0) < 20) return undefined;
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return undefined; // "\x7fELF"
  return ELF_MACHINE[header.readUInt16LE(18)];
}
