/**
 * Builds the `spiderpool` CNI plugin: `tsx cni/build.ts [--target linux-amd64,linux-arm64] [--no-snapshot] [--no-code-cache] [--no-shim]`.
 *
 *   dist/cni/spiderpool.cjs                 esbuild bundle of cni/main.ts (runs with any Node ≥ 20)
 *   dist/cni/linux-amd64/spiderpool-node    Node single-executable application (no Node needed on the host)
 *   dist/cni/linux-arm64/spiderpool-node    same, on the linux-arm64 Node of the same version from npm
 *   dist/cni/linux-<arch>/spiderpool        the exec shim (cni/shim, Go, static): what the runtime
 *                                           runs; it hands the call to the agent, or to spiderpool-node
 *   dist/cni/linux-<arch>/coordinator       the chained conflict/gateway prober (cni/coordinator, Go, static)
 *
 * Incremental: the bundle is rewritten only when its bytes change, and an executable is rebuilt
 * only when its inputs (bundle hash, runtime, postject, snapshot and code-cache flags) differ from the stamp
 * beside it. Prints one line per output with its size.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { ensureNodeRuntime, elfMachine, type Arch } from "./build-runtime.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT_DIR = join(ROOT, "dist/cni");
/** The esbuild output; also what the executables embed. */
export const BUNDLE = join(OUT_DIR, "spiderpool.cjs");

/** The exact postject the build is tested with; anything else is installed on demand. */
export const POSTJECT_VERSION = "1.0.0-alpha.6";
/** Node's SEA fuse: postject flips its trailing `:0` to `:1` when it injects the blob. */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** Executables the build can produce, named as dist/cni/<target>/ (Kubernetes' GOARCH names). */
export const TARGETS = ["linux-amd64", "linux-arm64"] as const;
/** One of TARGETS. */
export type Target = (typeof TARGETS)[number];
const TARGET_ARCH: Record<Target, Arch> = { "linux-amd64": "x64", "linux-arm64": "arm64" };

/** What the plugin bundle may contain: itself, its three schema files, and zod. */
// lib/core's address parser is pure and dependency-free: cheaper at start-up than node:net's isIP.
// lib/log-schema.ts: the plugin's lines share the schema of every other component (docs/usage/logs.md).
const ALLOWED_INPUTS = [
  /^cni\/main\.ts$/,
  /^lib\/cni-plugin\//,
  /^lib\/schemas\/(agent-api|cni-netconf|kube-name)\.ts$/,
  /^lib\/core\/net\/(address|address-errors|ip-family)\.ts$/,
  /^lib\/core\/base\/result\.ts$/,
  /^lib\/log-schema\.ts$/,
  /^node_modules\/zod\//,
];

/** buildCni options; the CLI maps `--target`, `--no-snapshot` and `--no-code-cache` onto them. */
export interface BuildOptions {
  readonly targets?: readonly Target[];
  /**
   * V8 start-up snapshot of the initialised bundle (native target only; a snapshot is made by the
   * building node and only loads into the same build); on by default, see cni/README.md.
   */
  readonly snapshot?: boolean;
  /** V8 code cache in the blob when there is no snapshot (native target only); on by default. */
  readonly codeCache?: boolean;
  /** Output path of the Node executable per target; defaults to dist/cni/<target>/spiderpool-node. */
  readonly outputFor?: (target: Target) => string;
  /** Build the Go executables (exec shim and coordinator) beside each Node executable; on by default. */
  readonly shim?: boolean;
  readonly log?: (line: string) => void;
}

/** Builds the bundle and the requested executables; returns the paths written or kept. */
export async function buildCni(options: BuildOptions = {}): Promise<{
  bundle: string;
  executables: Record<string, string>;
  shims: Record<string, string>;
  coordinators: Record<string, string>;
}> {
  const log = options.log ?? (line => console.log(line));
  // The executable is made from the running Node; before 24 a SEA cannot be told to ignore
  // NODE_OPTIONS, which the runtime's environment hands to every plugin (cni/README.md).
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 24)
    throw new Error(
      `build:cni needs Node >= 24 (the version in .node-version), running ${process.version}: an older SEA honours the runtime's NODE_OPTIONS`,
    );
  const bundleState = await bundle();
  log(outputLine(BUNDLE, bundleState));
  const bundleHash = createHash("sha256").update(readFileSync(BUNDLE)).digest("hex");
  const executables: Record<string, string> = {};
  const shims: Record<string, string> = {};
  const coordinators: Record<string, string> = {};
  for (const target of options.targets ?? TARGETS) {
    const out = options.outputFor?.(target) ?? join(OUT_DIR, target, `${SHIM_NAME}${NODE_SUFFIX}`);
    const state = await singleExecutable(target, out, bundleHash, {
      snapshot: options.snapshot ?? true,
      codeCache: options.codeCache ?? true,
    });
    log(outputLine(out, state));
    executables[target] = out;
    if (options.shim ?? true) {
      const shim = join(dirname(out), SHIM_NAME);
      log(outputLine(shim, buildGo("cni/shim", target, shim)));
      shims[target] = shim;
      const coordinator = join(dirname(out), COORDINATOR_NAME);
      log(outputLine(coordinator, buildGo("cni/coordinator", target, coordinator)));
      coordinators[target] = coordinator;
    }
  }
  return { bundle: BUNDLE, executables, shims, coordinators };
}

/** The runtime runs `spiderpool`; the shim falls back to the file of its own name plus this suffix. */
export const SHIM_NAME = "spiderpool";
export const NODE_SUFFIX = "-node";
/** The chained plugin a network runs as `{"type":"coordinator"}` (cni/coordinator). */
export const COORDINATOR_NAME = "coordinator";
const GOARCH: Record<Target, string> = { "linux-amd64": "amd64", "linux-arm64": "arm64" };

/**
 * `go build` of the Go module in `dir` (cni/shim or cni/coordinator) for `target` (static, no
 * cgo, so one binary runs on any Linux of that arch). Neither module has dependencies, so a fresh
 * clone builds offline. Go's build cache makes an unchanged rebuild cost well under a second.
 */
function buildGo(dir: string, target: Target, out: string): string {
  const work = `${out}.tmp-${process.pid}`;
  try {
    execFileSync("go", ["build", "-trimpath", "-ldflags", "-s -w", "-o", work, "."], {
      cwd: join(ROOT, dir),
      env: {
        ...process.env,
        CGO_ENABLED: "0",
        GOOS: "linux",
        GOARCH: GOARCH[target],
        GOTOOLCHAIN: "local",
      },
      stdio: "pipe",
    });
  } catch (error) {
    rmSync(work, { force: true });
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === "ENOENT")
      throw new Error(
        `building ${dir} needs Go on PATH (Debian: apt-get install golang-go); \`tsx cni/build.ts --no-shim\` builds the Node executable alone`,
      );
    throw new Error(
      `go build of ${dir} for ${target} failed: ${e.stderr?.toString().trim() ?? e.message}`,
    );
  }
  if (elfMachine(work) !== TARGET_ARCH[target])
    throw new Error(`${work}: go build did not produce an ELF for ${target}`);
  if (existsSync(out) && readFileSync(out).equals(readFileSync(work))) {
    rmSync(work, { force: true });
    return "unchanged";
  }
  renameSync(work, out);
  return "built";
}

async function bundle(): Promise<string> {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const result = await build({
    entryPoints: [join(ROOT, "cni/main.ts")],
    absWorkingDir: ROOT,
    // Inputs are checked by path: a symlinked node_modules (a git worktree's) must keep its name.
    preserveSymlinks: true,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    minify: true,
    legalComments: "none",
    write: false,
    metafile: true,
    logLevel: "warning",
    define: { __SPIDERPOOL_CNI_VERSION__: JSON.stringify(pkg.version) },
  });
  // eslint keeps pepr/k8s imports out of cni/ and lib/cni-plugin/ sources; this catches them arriving transitively.
  const stray = Object.keys(result.metafile.inputs).filter(
    input => !ALLOWED_INPUTS.some(re => re.test(input)),
  );
  if (stray.length > 0)
    throw new Error(
      `the CNI bundle may only contain cni/main.ts, lib/cni-plugin/, three lib/schemas files, lib/core\'s address parser, lib/log-schema.ts and zod; found: ${stray.join(", ")}`,
    );
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error("esbuild produced no output");
  if (existsSync(BUNDLE) && readFileSync(BUNDLE).equals(code)) return "unchanged";
  mkdirSync(OUT_DIR, { recursive: true });
  writeAtomically(BUNDLE, code);
  return "built";
}

async function singleExecutable(
  target: Target,
  out: string,
  bundleHash: string,
  wanted: { snapshot: boolean; codeCache: boolean },
): Promise<string> {
  const arch = TARGET_ARCH[target];
  const runtime = await ensureNodeRuntime(arch);
  // Snapshot and code cache are V8 machine-specific: only usable when the blob is made by the same arch.
  const snapshot = wanted.snapshot && arch === process.arch;
  // Node ignores the code cache in a snapshot blob (the snapshot replaces running the bundle).
  const codeCache = !snapshot && wanted.codeCache && arch === process.arch;
  const startup = snapshot ? "snapshot" : codeCache ? "code cache" : "plain";
  const postject = postjectCommand();
  const runtimeStat = statSync(runtime);
  const stamp = JSON.stringify({
    bundleHash,
    runtime,
    size: runtimeStat.size,
    mtime: runtimeStat.mtimeMs,
    node: process.version,
    postject: postject.version,
    startup,
    execArgvExtension: "none",
  });
  const stampFile = `${out}.stamp`;
  if (existsSync(out) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp)
    return describe("unchanged", startup);

  mkdirSync(dirname(out), { recursive: true });
  const work = `${out}.tmp-${process.pid}`;
  const blob = `${work}.blob`;
  const config = `${work}.sea.json`;
  try {
    writeFileSync(
      config,
      JSON.stringify({
        main: BUNDLE,
        output: blob,
        disableExperimentalSEAWarning: true,
        useCodeCache: codeCache,
        useSnapshot: snapshot,
        // The runtime's NODE_OPTIONS (inherited by every CNI plugin it runs) must not load code
        // into the plugin or change its flags (cni/README.md, "Known limits").
        execArgvExtension: "none",
      }),
    );
    // The blob is made by the running node; SEA requires it to match the runtime's version.
    execFileSync(process.execPath, ["--experimental-sea-config", config], { stdio: "pipe" });
    copyFileSync(runtime, work);
    chmodSync(work, 0o755);
    execFileSync(
      postject.command[0]!,
      [...postject.command.slice(1), work, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE],
      { stdio: "pipe" },
    );
    verifyExecutable(work, arch, snapshot);
    renameSync(work, out);
    writeFileSync(stampFile, stamp);
  } finally {
    for (const file of [work, blob, config]) rmSync(file, { force: true });
  }
  return describe("built", startup);
}

/** Checks the result is an ELF for `arch` with the SEA fuse set and the bundle inside; runs VERSION when it can. */
function verifyExecutable(path: string, arch: Arch, snapshot: boolean): void {
  const machine = elfMachine(path);
  if (machine !== arch)
    throw new Error(`${path}: expected an ELF for ${arch}, got ${machine ?? "something else"}`);
  const image = readFileSync(path);
  if (!image.includes(`${SEA_FUSE}:1`))
    throw new Error(`${path}: the SEA fuse is not set, injection failed`);
  // A plain or code-cache blob carries the script source verbatim; a snapshot carries the heap
  // the bundle built, which only the VERSION run below (always possible on the native arch) shows.
  if (!snapshot && !image.includes(readFileSync(BUNDLE).subarray(0, 256)))
    throw new Error(`${path}: the bundle is not inside the executable`);
  const command = runnerFor(arch);
  if (!command) return;
  const [file = path, ...args] = [...command, path];
  const out = execFileSync(file, args, {
    env: { CNI_COMMAND: "VERSION" },
    encoding: "utf8",
    timeout: 30_000,
  });
  if (!out.includes('"supportedVersions"'))
    throw new Error(`${path}: VERSION printed ${JSON.stringify(out)}`);
}

/** How to run an `arch` binary here: natively, under qemu-user when installed, or not at all. */
function runnerFor(arch: Arch): string[] | undefined {
  if (arch === process.arch) return [];
  const sysroot = "/usr/aarch64-linux-gnu"; // Debian's libc6-arm64-cross
  if (arch === "arm64" && process.platform === "linux" && existsSync(sysroot)) {
    for (const qemu of ["/usr/bin/qemu-aarch64", "/usr/bin/qemu-aarch64-static"])
      if (existsSync(qemu)) return [qemu, "-L", sysroot];
  }
  return undefined;
}

/** postject from node_modules when installed (the devDependency); else the pinned version via npm. */
function postjectCommand(): { command: string[]; version: string } {
  try {
    const require = createRequire(join(ROOT, "package.json"));
    const pkgPath = require.resolve("postject/package.json");
    const { version } = JSON.parse(readFileSync(pkgPath, "utf8")) as { version: string };
    return { command: [process.execPath, join(dirname(pkgPath), "dist/cli.js")], version };
  } catch {
    return {
      command: ["npm", "exec", "--yes", `--package=postject@${POSTJECT_VERSION}`, "--", "postject"],
      version: POSTJECT_VERSION,
    };
  }
}

function writeAtomically(path: string, data: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function describe(state: string, startup: string): string {
  return `${state}, ${startup === "plain" ? "without snapshot or code cache" : `with ${startup === "snapshot" ? "start-up snapshot" : "code cache"}`}`;
}

function outputLine(path: string, state: string): string {
  const bytes = statSync(path).size;
  const size =
    bytes >= 1024 * 1024
      ? `${(bytes / 1024 / 1024).toFixed(1)} MiB`
      : `${(bytes / 1024).toFixed(1)} KiB`;
  return `${relative(ROOT, path).padEnd(34)} ${size.padStart(10)}  (${state})`;
}

function parseArgs(argv: string[]): BuildOptions {
  let targets: Target[] | undefined;
  let codeCache = true;
  let snapshot = true;
  let shim = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--no-code-cache") codeCache = false;
    else if (arg === "--no-shim") shim = false;
    else if (arg === "--no-snapshot") snapshot = false;
    else if (arg === "--target" || arg === "--targets") {
      targets = (argv[++i] ?? "").split(",").map(t => {
        if (!(TARGETS as readonly string[]).includes(t))
          throw new Error(`unknown target ${JSON.stringify(t)}; known: ${TARGETS.join(", ")}`);
        return t as Target;
      });
    } else
      throw new Error(
        `unknown argument ${JSON.stringify(arg)}; usage: tsx cni/build.ts [--target ${TARGETS.join(",")}] [--no-snapshot] [--no-code-cache] [--no-shim]`,
      );
  }
  return { targets, codeCache, snapshot, shim };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildCni(parseArgs(process.argv.slice(2))).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
