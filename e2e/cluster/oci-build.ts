/**
 * One container image built without a registry or a container engine: an empty OCI layout made
 * with umoci, a root filesystem filled by the caller, one layer, the image config, archived as a
 * tarball that `ctr images import` reads. Tarballs are cached under
 * ~/.cache/pepr-spiderpool/images, keyed by what the caller says goes in, so an unchanged image
 * is not built twice.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runStep as run } from "./run-step.js";

export interface ImageConfig {
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  /** `uid:gid`. */
  readonly user: string;
  readonly workdir: string;
  readonly env: readonly string[];
}

export interface ImageRecipe {
  /** The full name, e.g. ghcr.io/defenseunicorns/pepr/controller:v1.1.4. */
  readonly ref: string;
  /** Everything the root filesystem is made of (file hashes, versions, the recipe's revision). */
  readonly inputs: unknown;
  readonly config: ImageConfig;
  /** Writes the files into `rootfs` (an existing, empty directory). */
  readonly fill: (rootfs: string) => void;
}

export function imageCacheDir(): string {
  return path.join(
    process.env.SPIDERPOOL_CACHE ?? path.join(os.homedir(), ".cache/pepr-spiderpool"),
    "images",
  );
}

/** The tarball's path, built when the cache has none for these inputs. */
export function buildOciImage(recipe: ImageRecipe, logPath: string): string {
  const step = `image ${recipe.ref}: build`;
  const key = crypto
    .createHash("sha256")
    .update(JSON.stringify({ inputs: recipe.inputs, config: recipe.config, ref: recipe.ref }))
    .digest("hex")
    .slice(0, 16);
  const name = recipe.ref.replace(/[^a-zA-Z0-9.-]/g, "_");
  const dir = imageCacheDir();
  const tarball = path.join(dir, `${name}-${key}.tar`);
  if (fs.existsSync(tarball)) return tarball;

  fs.mkdirSync(dir, { recursive: true });
  const work = fs.mkdtempSync(path.join(dir, `.build-${name}-`));
  try {
    const tag = recipe.ref.slice(recipe.ref.lastIndexOf(":") + 1);
    const layout = path.join(work, "oci");
    const bundle = path.join(work, "bundle");
    const image = `${layout}:${tag}`;
    run(step, "umoci", ["init", "--layout", layout], logPath);
    run(step, "umoci", ["new", "--image", image], logPath);
    // Not rootless: the files keep the owners `fill` gives them (the controller's 65532).
    run(step, "umoci", ["unpack", "--image", image, bundle], logPath);
    const rootfs = path.join(bundle, "rootfs");
    for (const d of ["etc", "tmp", "proc", "sys", "dev"])
      fs.mkdirSync(path.join(rootfs, d), { recursive: true });
    fs.chmodSync(path.join(rootfs, "tmp"), 0o1777);
    recipe.fill(rootfs);
    run(step, "umoci", ["repack", "--image", image, bundle], logPath);
    const c = recipe.config;
    const args = ["config", "--image", image, "--config.user", c.user];
    args.push("--config.workingdir", c.workdir);
    for (const e of c.env) args.push("--config.env", e);
    for (const e of c.entrypoint ?? []) args.push("--config.entrypoint", e);
    for (const e of c.cmd ?? []) args.push("--config.cmd", e);
    run(step, "umoci", args, logPath);
    run(step, "umoci", ["gc", "--layout", layout], logPath);
    const tmp = `${tarball}.tmp-${process.pid}`;
    run(step, "tar", ["-cf", tmp, "-C", layout, "."], logPath);
    fs.renameSync(tmp, tarball);
    return tarball;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** A file's SHA-256, for an image's inputs. */
export function fileHash(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}
