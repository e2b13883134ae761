/**
 * Builds the runtime-floor plugin (bench/floor-plugin.ts) the way cni/build.ts builds ours: the
 * same esbuild settings, a Node single executable of the running node with V8 code cache, the
 * same postject and SEA fuse. cni/build.ts only exposes its whole pipeline for cni/main.ts, so
 * the SEA step is repeated here with its shared pieces (runtime, postject version) imported.
 * Incremental like ours: rebuilt only when the bundle or the runtime changes.
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
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { POSTJECT_VERSION } from "../cni/build.js";
import { ensureNodeRuntime } from "../cni/build-runtime.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT_DIR = join(ROOT, "dist/bench");
const BUNDLE = join(OUT_DIR, "floor.cjs");
/** The executable's name is the `ipam.type` the harness puts into the floor's netconf. */
export const FLOOR_TYPE = "bench-floor";
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** Builds (or reuses) the floor executable; returns its path. */
export async function buildFloorPlugin(): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, "bench/floor-plugin.ts")],
    absWorkingDir: ROOT,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    minify: true,
    legalComments: "none",
    write: false,
    logLevel: "warning",
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error("esbuild produced no output for the floor plugin");
  mkdirSync(OUT_DIR, { recursive: true });
  if (!existsSync(BUNDLE) || !readFileSync(BUNDLE).equals(code)) writeFileSync(BUNDLE, code);

  const out = join(OUT_DIR, FLOOR_TYPE);
  const runtime = await ensureNodeRuntime(process.arch === "arm64" ? "arm64" : "x64");
  const postject = postjectCli();
  const st = statSync(runtime);
  const stamp = JSON.stringify({
    bundle: createHash("sha256").update(code).digest("hex"),
    runtime,
    size: st.size,
    mtime: st.mtimeMs,
    node: process.version,
    postject: postject.version,
  });
  if (
    existsSync(out) &&
    existsSync(`${out}.stamp`) &&
    readFileSync(`${out}.stamp`, "utf8") === stamp
  )
    return out;

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
        useCodeCache: true,
        useSnapshot: false,
      }),
    );
    execFileSync(process.execPath, ["--experimental-sea-config", config], { stdio: "pipe" });
    copyFileSync(runtime, work);
    chmodSync(work, 0o755);
    execFileSync(
      postject.command[0]!,
      [...postject.command.slice(1), work, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE],
      { stdio: "pipe" },
    );
    const version = execFileSync(work, [], {
      env: { CNI_COMMAND: "VERSION" },
      encoding: "utf8",
      timeout: 30_000,
    });
    if (!version.includes('"supportedVersions"'))
      throw new Error(`${work}: VERSION printed ${JSON.stringify(version)}`);
    renameSync(work, out);
    writeFileSync(`${out}.stamp`, stamp);
  } finally {
    for (const f of [work, blob, config]) rmSync(f, { force: true });
  }
  return out;
}

function postjectCli(): { command: string[]; version: string } {
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
