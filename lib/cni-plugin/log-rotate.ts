/**
 * Size-based rotation of the plugin log, compatible with the files Spiderpool's lumberjack
 * leaves behind (`spiderpool-2006-01-02T15-04-05.000.log` next to `spiderpool.log`, UTC), so
 * switching an existing node over keeps pruning its old backups.
 *
 * Runs only when the file is over its limit, so the common start-up pays one fstat. Several
 * plugin processes may race here; every step tolerates the file having moved already.
 */
import { lstatSync, readdirSync, renameSync, unlinkSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { isBelow } from "./host-dirs.js";
import type { LogFileLimits } from "./netconf.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Moves `path` aside under a timestamped name in its own directory, then prunes backups by count
 * and age. Does nothing unless `path` lies below `logDir` and is a regular file: the netconf names
 * the file, and rotation must never become a way to rename or delete anything else
 * (docs/security.md "What a netconf cannot do").
 */
export function rotateLogFile(
  path: string,
  logDir: string,
  limits: LogFileLimits,
  now: Date = new Date(),
): void {
  if (!isBelow(path, logDir) || !isRegularFile(path)) return;
  const { prefix, ext } = nameParts(path);
  try {
    renameSync(path, join(dirname(path), `${prefix}${stamp(now)}${ext}`));
  } catch {
    return; // another process rotated it first
  }
  pruneBackups(path, logDir, limits, now);
}

/**
 * Deletes backups of `path` (its own name pattern, in its own directory below `logDir`, regular
 * files only) beyond `maxCount` (newest kept) and older than `maxAgeDays`; 0 disables a rule.
 */
export function pruneBackups(
  path: string,
  logDir: string,
  limits: LogFileLimits,
  now: Date = new Date(),
): void {
  if (!isBelow(path, logDir)) return;
  if (limits.maxCount === 0 && limits.maxAgeDays === 0) return;
  const { prefix, ext } = nameParts(path);
  const dir = dirname(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const backups = names
    .map(name => ({ name, time: backupTime(name, prefix, ext) }))
    .filter((b): b is { name: string; time: number } => b.time !== undefined)
    .sort((a, b) => b.time - a.time);
  const cutoff = now.getTime() - limits.maxAgeDays * DAY_MS;
  backups.forEach((backup, index) => {
    const tooMany = limits.maxCount > 0 && index >= limits.maxCount;
    const tooOld = limits.maxAgeDays > 0 && backup.time < cutoff;
    if (!tooMany && !tooOld) return;
    // lstat: a symbolic link carrying a backup's name is not ours to judge by its target.
    if (isRegularFile(join(dir, backup.name))) {
      try {
        unlinkSync(join(dir, backup.name));
      } catch {
        // pruned concurrently
      }
    }
  });
}

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

function nameParts(path: string): { prefix: string; ext: string } {
  const ext = extname(path);
  return { prefix: `${basename(path, ext)}-`, ext };
}

// lumberjack's backupTimeFormat "2006-01-02T15-04-05.000" in UTC.
function stamp(date: Date): string {
  return date.toISOString().replace(/:/g, "-").replace(/Z$/, "");
}

const STAMP = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2}\.\d{3})$/;

function backupTime(name: string, prefix: string, ext: string): number | undefined {
  if (!name.startsWith(prefix) || !name.endsWith(ext)) return undefined;
  const match = STAMP.exec(name.slice(prefix.length, name.length - ext.length));
  if (!match) return undefined;
  const time = Date.parse(`${match[1]}T${match[2]}:${match[3]}:${match[4]}Z`);
  return Number.isNaN(time) ? undefined : time;
}
