/**
 * The small images a real node runs, built here without a registry (oci-build.ts) from Debian's
 * static busybox: the sandbox image and busybox for the suites' pods. Our own components' images
 * are in component-images.ts.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { buildOciImage, fileHash } from "./oci-build.js";
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
const RECIPE = "2";
const BUSYBOX = "/usr/bin/busybox";

/** Debian's static busybox as /bin/busybox with a link per applet, and a root user. */
export function addBusybox(rootfs: string, step: string): void {
  if (!fs.existsSync(BUSYBOX))
    throw new StepError(step, `${BUSYBOX} is missing (Debian package busybox-static)`);
  const bin = path.join(rootfs, "bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync(BUSYBOX, path.join(bin, "busybox"));
  fs.chmodSync(path.join(bin, "busybox"), 0o755);
  const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).split("\n");
  for (const a of applets.filter(x => /^[a-z0-9_.-]+$/.test(x) && x !== "busybox"))
    if (!fs.existsSync(path.join(bin, a))) fs.symlinkSync("busybox", path.join(bin, a));
  fs.writeFileSync(path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  fs.writeFileSync(path.join(rootfs, "etc/group"), "root:x:0:\n");
}

/** The busybox hash, part of every image's inputs that contains it. */
export function busyboxHash(step: string): string {
  if (!fs.existsSync(BUSYBOX))
    throw new StepError(step, `${BUSYBOX} is missing (Debian package busybox-static)`);
  return fileHash(BUSYBOX);
}

/**
 * Returns the path of the image's OCI tarball, building it when the cache has none for the
 * current inputs. `logPath` receives the tools' output.
 */
export function ensureImage(image: LocalImage, logPath: string): string {
  const step = `image ${image.ref}: build`;
  return buildOciImage(
    {
      ref: image.ref,
      inputs: { RECIPE, busybox: busyboxHash(step) },
      config: { cmd: image.cmd, env: ["PATH=/bin"], workdir: "/", user: "0:0" },
      fill: rootfs => addBusybox(rootfs, step),
    },
    logPath,
  );
}
