import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** What a container runtime knows about one attachment of one pod sandbox. */
export interface Attachment {
  containerId: string;
  netns: string; // path, e.g. /run/netns/<name>
  ifname: string;
  podNamespace: string;
  podName: string;
  podUid: string;
  /** runtimeConfig values offered to plugins that declare the matching capability. */
  runtimeConfig?: Record<string, unknown>;
}

export interface Conflist {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
}

export class CniError extends Error {
  readonly code: number;
  readonly plugin: string;
  constructor(plugin: string, code: number, msg: string) {
    super(msg);
    this.name = "CniError";
    this.plugin = plugin;
    this.code = code;
  }
}

/**
 * Executes CNI plugin chains the way libcni does for a CRI runtime: ADD runs the plugins in
 * order, feeding each the previous result; DEL runs them in reverse with the cached result.
 * Plugins run inside the node's network namespace (`ip netns exec`), where the node uplink is.
 */
export class CniRuntime {
  constructor(
    private readonly binDirs: string[],
    private readonly nodeNetns: string,
    private readonly timeoutMs = 120_000,
  ) {}

  async add(list: Conflist, a: Attachment): Promise<Record<string, unknown>> {
    let prev: Record<string, unknown> | undefined;
    for (const plugin of list.plugins) prev = await this.#exec("ADD", list, plugin, a, prev);
    return prev ?? {};
  }

  async del(list: Conflist, a: Attachment, cached?: Record<string, unknown>): Promise<void> {
    for (const plugin of [...list.plugins].reverse())
      await this.#exec("DEL", list, plugin, a, cached);
  }

  /** CNI 1.1 GC: the runtime names every attachment it still has; plugins release the rest. */
  async gc(list: Conflist, valid: { containerID: string; ifname: string }[]): Promise<void> {
    for (const plugin of list.plugins) {
      const conf = {
        ...plugin,
        cniVersion: list.cniVersion,
        name: list.name,
        "cni.dev/valid-attachments": valid,
      };
      await this.#run("GC", String(plugin.type), conf, { CNI_PATH: this.binDirs.join(":") });
    }
  }

  async #exec(
    command: "ADD" | "DEL",
    list: Conflist,
    plugin: Record<string, unknown>,
    a: Attachment,
    prevResult: Record<string, unknown> | undefined,
  ): Promise<Record<string, unknown>> {
    const conf: Record<string, unknown> = {
      ...plugin,
      cniVersion: list.cniVersion,
      name: list.name,
    };
    const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
    const rc = Object.fromEntries(Object.entries(a.runtimeConfig ?? {}).filter(([k]) => caps[k]));
    if (Object.keys(rc).length) conf.runtimeConfig = rc;
    if (prevResult && Object.keys(prevResult).length) conf.prevResult = prevResult;
    const env = {
      CNI_COMMAND: command,
      CNI_CONTAINERID: a.containerId,
      CNI_NETNS: a.netns,
      CNI_IFNAME: a.ifname,
      CNI_PATH: this.binDirs.join(":"),
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${a.podNamespace};K8S_POD_NAME=${a.podName};K8S_POD_INFRA_CONTAINER_ID=${a.containerId};K8S_POD_UID=${a.podUid}`,
    };
    const out = await this.#run(command, String(plugin.type), conf, env);
    return command === "ADD" ? (JSON.parse(out || "{}") as Record<string, unknown>) : {};
  }

  #run(command: string, type: string, conf: unknown, env: Record<string, string>): Promise<string> {
    const exe = this.#find(type);
    return new Promise((resolve, reject) => {
      const child = spawn("ip", ["netns", "exec", this.nodeNetns, exe], {
        env: {
          PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
          CNI_COMMAND: command,
          ...env,
        },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), this.timeoutMs);
      child.stdout.on("data", c => (stdout += c));
      child.stderr.on("data", c => (stderr += c));
      child.on("error", e => (clearTimeout(timer), reject(new CniError(type, 999, e.message))));
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve(stdout);
        let msg = signal
          ? `plugin killed by ${signal} (deadline ${this.timeoutMs} ms)`
          : stderr.trim() || `exit code ${code}`;
        let cniCode = 999;
        try {
          const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
          cniCode = e.code ?? 999;
          msg = e.details ? `${e.msg}: ${e.details}` : (e.msg ?? msg);
        } catch {
          // not a CNI error object: keep stderr
        }
        reject(new CniError(type, cniCode, msg));
      });
      child.stdin.on("error", () => undefined);
      child.stdin.end(JSON.stringify(conf));
    });
  }

  #find(type: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(type))
      throw new CniError(type, 7, `invalid plugin type ${JSON.stringify(type)}`);
    // The first directory holding the executable wins, as in libcni's FindInPath.
    for (const dir of this.binDirs) {
      const p = path.join(dir, type);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        return p;
      } catch {
        // not here; try the next directory
      }
    }
    throw new CniError(
      type,
      7,
      `failed to find plugin "${type}" in path [${this.binDirs.join(" ")}]`,
    );
  }
}
