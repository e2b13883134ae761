/**
 * The container images a real node runs, built here without a registry: an OCI layout made with
 * umoci from Debian's static busybox, archived as a tarball that `ctr images import` reads. The
 * tarballs are cached under ~/.cache/pepr-spiderpool/images, keyed by everything that goes in
 * (the busybox binary's hash, the image's name and recipe), so a second cluster:up reuses them.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runStep as run } from "./run-step.js";
import { StepError } from "./step-error.js";

export interface LocalImage {
  /** The full name pods and containerd's sandbox_image use, e.g. registry.k8s.io/pause:3.10. */
  readonly ref: string;
  /** The process the image runs when a pod gives no command. */
  readonly cmd: readonly string[];
}

/**
 * The sandbox image: containerd kills the sandbox with SIGKILL, so a sleeping busybox does what
 * the pause binary does for a pod whose containers do not share its PID namespace.
 */
export const PAUSE_IMAGE: LocalImage = {
  ref: "registry.k8s.io/pause:3.10",
  cmd: ["/bin/sleep", "2147483647"],
};

/** A small image with `ip`, `ping` and `arping`, for pods the suites exec into. */
export const BUSYBOX_IMAGE: LocalImage = { ref: "busybox:1.36", cmd: ["/bin/sh"] };

export const LOCAL_IMAGES: readonly LocalImage[] = [PAUSE_IMAGE, BUSYBOX_IMAGE];

/**
 * The name the kubelet asks the runtime for: a reference without a registry host is Docker Hub's
 * (`busybox:1.36` is `docker.io/library/busybox:1.36`), and containerd's CRI matches that form only.
 */
export function normalizedRef(ref: string): string {
  const first = ref.split("/")[0] ?? "";
  const hasHost = ref.includes("/") && (/[.:]/.test(first) || first === "localhost");
  if (hasHost) return ref;
  return ref.includes("/") ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

/** Bumped when the way an image is put together changes, so older cached tarballs are not used. */
const RECIPE = "1";
const BUSYBOX = "/usr/bin/busybox";

function cacheDir(): string {
  return path.join(
    process.env.SPIDERPOOL_CACHE ?? path.join(os.homedir(), ".cache/pepr-spiderpool"),
    "images",
  );
}

/**
 * Returns the path of the image's OCI tarball, building it when the cache has none for the
 * current inputs. `logPath` receives the tools' output.
 */
export function ensureImage(image: LocalImage, logPath: string): string {
  const step = `image ${image.ref}: build`;
  if (!fs.existsSync(BUSYBOX))
    throw new StepError(step, `${BUSYBOX} is missing (Debian package busybox-static)`);
  const key = crypto
    .createHash("sha256")
    .update(fs.readFileSync(BUSYBOX))
    .update(JSON.stringify({ RECIPE, image }))
    .digest("hex")
    .slice(0, 16);
  const name = image.ref.replace(/[^a-zA-Z0-9.-]/g, "_");
  const tarball = path.join(cacheDir(), `${name}-${key}.tar`);
  if (fs.existsSync(tarball)) return tarball;

  fs.mkdirSync(cacheDir(), { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheDir(), `.build-${name}-`));
  try {
    const tag = image.ref.slice(image.ref.lastIndexOf(":") + 1);
    const layout = path.join(work, "oci");
    const bundle = path.join(work, "bundle");
    run(step, "umoci", ["init", "--layout", layout], logPath);
    run(step, "umoci", ["new", "--image", `${layout}:${tag}`], logPath);
    run(step, "umoci", ["unpack", "--rootless", "--image", `${layout}:${tag}`, bundle], logPath);
    const bin = path.join(bundle, "rootfs", "bin");
    fs.mkdirSync(bin, { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(bin, "busybox"));
    fs.chmodSync(path.join(bin, "busybox"), 0o755);
    const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).split("\n");
    for (const a of applets.filter(x => /^[a-z0-9_.-]+$/.test(x) && x !== "busybox"))
      fs.symlinkSync("busybox", path.join(bin, a));
    for (const d of ["etc", "tmp", "proc", "sys", "dev"])
      fs.mkdirSync(path.join(bundle, "rootfs", d), { recursive: true });
    fs.writeFileSync(path.join(bundle, "rootfs/etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    fs.writeFileSync(path.join(bundle, "rootfs/etc/group"), "root:x:0:\n");
    run(step, "umoci", ["repack", "--image", `${layout}:${tag}`, bundle], logPath);
    const config = [
      "config",
      "--image",
      `${layout}:${tag}`,
      "--config.env",
      "PATH=/bin",
      "--config.workingdir",
      "/",
      "--config.user",
      "0:0",
    ];
    for (const c of image.cmd) config.push("--config.cmd", c);
    run(step, "umoci", config, logPath);
    run(step, "umoci", ["gc", "--layout", layout], logPath);
    const tmp = `${tarball}.tmp-${process.pid}`;
    run(step, "tar", ["-cf", tmp, "-C", layout, "."], logPath);
    fs.renameSync(tmp, tarball);
    return tarball;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
