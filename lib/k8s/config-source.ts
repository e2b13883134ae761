import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { parseConfig, type ConfigWarning, type SpiderpoolConfig } from "../schemas/config.js";
import type { KubeApi } from "./api-client.js";
import { K8sError } from "./k8s-error.js";

/** Name of the one ConfigMap every component reads, and its key (Spiderpool's). */
export const CONFIGMAP_NAME = "spiderpool-conf";
export const CONFIGMAP_KEY = "conf.yml";

export class ConfigError extends Error {
  readonly code = "invalid_config";
  constructor(readonly problems: string[]) {
    super(problems.join(" | "));
    this.name = "ConfigError";
  }
}

/**
 * The configuration: from the file at `SPIDERPOOL_CONFIG_PATH` when set (the agent mounts the
 * ConfigMap; the local cluster writes the file), else from ConfigMap `spiderpool-conf` in
 * `SPIDERPOOL_NAMESPACE` (the Pepr pods read it through the API, as Pepr cannot mount it).
 * Absent everywhere: the defaults. Unusable: a ConfigError naming each key. The caller logs
 * `warnings` (keys accepted but not acted on) once, with configWarningLine.
 */
export async function loadConfig(
  api: KubeApi,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ config: SpiderpoolConfig; warnings: ConfigWarning[] }> {
  let text: string | undefined;
  const file = env.SPIDERPOOL_CONFIG_PATH;
  if (file && fs.existsSync(file)) text = fs.readFileSync(file, "utf8");
  else if (!file) {
    const ns = env.SPIDERPOOL_NAMESPACE ?? "spiderpool";
    try {
      const cm = await api.get<{ data?: Record<string, string> }>(
        `/api/v1/namespaces/${ns}/configmaps/${CONFIGMAP_NAME}`,
      );
      text = cm.data?.[CONFIGMAP_KEY];
    } catch (e) {
      if (!(e instanceof K8sError && e.code === "not_found")) throw e;
    }
  }
  let raw: unknown = {};
  if (text !== undefined) {
    try {
      raw = parseYaml(text) ?? {};
    } catch (e) {
      throw new ConfigError([`conf.yml: not valid YAML: ${(e as Error).message.split("\n")[0]}`]);
    }
  }
  const r = parseConfig(raw);
  if (!r.ok) throw new ConfigError(r.errors);
  return { config: r.value, warnings: r.warnings };
}
