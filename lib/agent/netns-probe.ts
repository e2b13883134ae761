import fs from "node:fs";
import type { NetnsState } from "../core/lifecycle/sandbox-evidence.js";

/** statfs type of nsfs, the file system network namespace handles live on (linux/magic.h). */
const NSFS_MAGIC = 0x6e736673;

/**
 * The inode of the network namespace at `path`, or null when the path is not one this process
 * can see as a namespace (then nothing can later be confirmed about it). `/run/netns/<name>`
 * and `/proc/<pid>/ns/net` are both namespace handles on nsfs.
 */
export function netnsInode(path: string): number | null {
  if (!path) return null;
  try {
    if (fs.statfsSync(path).type !== NSFS_MAGIC) return null;
    return fs.statSync(path).ino;
  } catch {
    return null;
  }
}

/**
 * Whether the namespace recorded as (`path`, `inode`) still exists. Absent when the path is gone
 * (ENOENT, ENOTDIR, or /proc/<pid> of an exited process: ESRCH), is a plain file left after the
 * runtime unmounted it, or is another namespace now (the path was reused). Anything else — a
 * namespace never seen, a permission error — is unknown, which keeps the address.
 */
export function probeNetns(path: string, inode: number | null): NetnsState {
  if (inode === null || !path) return "unknown";
  try {
    if (fs.statfsSync(path).type !== NSFS_MAGIC) return "absent";
    return fs.statSync(path).ino === inode ? "present" : "absent";
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" || code === "ESRCH" ? "absent" : "unknown";
  }
}
