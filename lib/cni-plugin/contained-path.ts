/**
 * Does a path, with its symbolic links followed, stay inside a directory? The netconf names the
 * log file and the socket; netconf.ts checks the text, this checks what the file system makes of
 * it, before anything is created or opened (docs/security.md "What a netconf cannot do").
 *
 * Only root can create entries in the node's log and run directories, so the answer cannot be
 * changed between this check and the open by the netconf's author.
 */
import { realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { cniError, quote, type CniError } from "./cni-error.js";
import { isBelow, type HostDirs } from "./host-dirs.js";
import { LOAD, type PluginConfig } from "./netconf.js";

/**
 * The error for a log file (or, with `socket`, an agent socket) that a symbolic link takes out
 * of the node's directories, or undefined. The socket is checked only where the plugin connects
 * to it: inside the agent the plugin reaches the routes directly.
 */
export function escapeProblem(
  conf: PluginConfig,
  dirs: HostDirs,
  socket: boolean,
): CniError | undefined {
  if (!resolvesBelow(conf.logFilePath, dirs.logDir)) {
    return cniError(
      "invalid_network_config",
      `${LOAD} ipam.log_file_path: leads out of the node's plugin log directory ${dirs.logDir} through a symbolic link, got ${quote(conf.logFilePath)}`,
      "ipam.log_file_path",
    );
  }
  if (socket && !resolvesBelow(conf.socketPath, dirs.runDir)) {
    return cniError(
      "invalid_network_config",
      `${LOAD} ipam.ipam_unix_socket_path: leads out of the node's run directory ${dirs.runDir} through a symbolic link, got ${quote(conf.socketPath)}`,
      "ipam.ipam_unix_socket_path",
    );
  }
  return undefined;
}

/**
 * `path` with every existing component resolved (realpath of the deepest existing ancestor,
 * the missing rest appended): what opening or creating it would touch.
 */
export function resolveExisting(path: string): string {
  const missing: string[] = [];
  let at = path;
  for (;;) {
    try {
      return join(realpathSync(at), ...missing);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a component is a file; what follows cannot be created, and stays where it is.
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
      const parent = dirname(at);
      if (parent === at) return path;
      missing.unshift(basename(at));
      at = parent;
    }
  }
}

/** Whether `path` resolves strictly below `dir` once symbolic links on both are followed. */
export function resolvesBelow(path: string, dir: string): boolean {
  try {
    return isBelow(resolveExisting(path), resolveExisting(dir));
  } catch {
    return false; // unreadable (EACCES, a loop): not provably inside
  }
}
