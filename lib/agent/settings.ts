import fs from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { DEFAULT_HOST_DIRS, type HostDirs } from "../cni-plugin/host-dirs.js";
import { gcReleaseDelayMs } from "../core/lifecycle/gc-test-delay.js";
import { parseConfig, type ConfigWarning, type SpiderpoolConfig } from "../schemas/config.js";

/** Everything the agent process needs to start, from its environment and the ConfigMap file. */
export interface AgentSettings {
  nodeName: string;
  namespace: string;
  kubeconfig?: string;
  socketPath: string;
  healthPort: number;
  metricPort: number;
  opsAddress: string;
  logLevel: string;
  clusterNetwork?: string;
  /**
   * The node's plugin log and run directories, the same values the installer writes beside the
   * plugin (lib/cni-plugin/host-dirs.ts, docs/adr/0007-node-plugin-dirs.md): the plugin this agent runs for
   * the exec shim checks netconfs against them.
   */
  pluginDirs: HostDirs;
  config: SpiderpoolConfig;
  /** Keys of `conf.yml` accepted but not acted on: logged once at start. */
  configWarnings: ConfigWarning[];
  /**
   * Test knob only (`SPIDERPOOL_TEST_GC_DELAY_MS`, lib/core/lifecycle/gc-test-delay.ts): how long a release
   * decided after a sandbox check waits before its deletes. 0 unless a test sets it.
   */
  releaseHoldMs: number;
  /**
   * Test knob only (`SPIDERPOOL_TEST_HOST_NETNS`): a network namespace handle that stands for the
   * host when the master of a NIC is read (lib/agent/master-interface.ts); unset on a real node.
   */
  hostNetns?: string;
}

const LEVELS = ["debug", "info", "warn", "error"];

/**
 * Reads Spiderpool's agent environment (docs/reference/configuration.md#agent-environment) and `conf.yml` (path from `--config-path`,
 * `SPIDERPOOL_CONFIG_PATH`, or Spiderpool's default; an absent file means defaults). Every
 * problem is reported, each naming the variable or key and what it accepts.
 */
export function loadAgentSettings(
  env: NodeJS.ProcessEnv,
  argv: string[],
): { ok: true; value: AgentSettings } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const flag = argv.find(a => a.startsWith("--config-path="))?.slice("--config-path=".length);
  const configPath = flag ?? env.SPIDERPOOL_CONFIG_PATH ?? "/tmp/spiderpool/config-map/conf.yml";
  let raw: unknown = {};
  if (fs.existsSync(configPath)) {
    try {
      raw = parseYaml(fs.readFileSync(configPath, "utf8")) ?? {};
    } catch (e) {
      errors.push(`${configPath}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  const config = parseConfig(raw);
  if (!config.ok) errors.push(...config.errors);

  const nodeName = env.SPIDERPOOL_NODE_NAME ?? "";
  if (!nodeName)
    errors.push(
      "SPIDERPOOL_NODE_NAME: required (the node this agent serves; set it from spec.nodeName)",
    );
  const port = (name: string, d: number) => {
    const v = env[name];
    if (v === undefined || v === "") return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      errors.push(`${name}: expected a port number 0-65535 (0 disables), got ${JSON.stringify(v)}`);
    return n;
  };
  const healthPort = port("SPIDERPOOL_HEALTH_PORT", 5710);
  const metricPort = port("SPIDERPOOL_METRIC_HTTP_PORT", 5711);
  const logLevel = (env.SPIDERPOOL_LOG_LEVEL ?? "info").toLowerCase();
  if (!LEVELS.includes(logLevel))
    errors.push(
      `SPIDERPOOL_LOG_LEVEL: expected one of ${LEVELS.join(", ")}, got ${JSON.stringify(env.SPIDERPOOL_LOG_LEVEL)}`,
    );
  const dir = (name: string, d: string) => {
    const v = env[name];
    if (v === undefined || v === "") return d;
    if (!path.isAbsolute(v))
      errors.push(`${name}: expected an absolute path, got ${JSON.stringify(v)}`);
    return path.normalize(v).replace(/(.)\/+$/, "$1");
  };
  const pluginDirs: HostDirs = {
    logDir: dir("SPIDERPOOL_PLUGIN_LOG_DIR", DEFAULT_HOST_DIRS.logDir),
    runDir: dir("SPIDERPOOL_PLUGIN_RUN_DIR", DEFAULT_HOST_DIRS.runDir),
  };
  let releaseHoldMs = 0;
  try {
    releaseHoldMs = gcReleaseDelayMs(env);
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (errors.length || !config.ok) return { ok: false, errors };
  return {
    ok: true,
    value: {
      nodeName,
      namespace: env.SPIDERPOOL_POD_NAMESPACE ?? "kube-system",
      kubeconfig: env.KUBECONFIG || undefined,
      socketPath: env.SPIDERPOOL_IPAM_SOCKET ?? config.value.ipamUnixSocketPath,
      healthPort,
      metricPort,
      opsAddress: env.SPIDERPOOL_OPS_ADDRESS ?? "0.0.0.0",
      logLevel,
      clusterNetwork: env.MULTUS_CLUSTER_NETWORK || undefined,
      pluginDirs,
      config: config.value,
      configWarnings: config.warnings,
      releaseHoldMs,
      ...(env.SPIDERPOOL_TEST_HOST_NETNS ? { hostNetns: env.SPIDERPOOL_TEST_HOST_NETNS } : {}),
    },
  };
}
