import assert from "node:assert/strict";
import { loadAgentSettings } from "./settings.js";

/** The agent's copy of the node's plugin directories (docs/adr/0007-node-plugin-dirs.md). */
describe("agent settings: SPIDERPOOL_PLUGIN_LOG_DIR / SPIDERPOOL_PLUGIN_RUN_DIR", () => {
  const base = { SPIDERPOOL_NODE_NAME: "node-1", SPIDERPOOL_CONFIG_PATH: "/nonexistent/conf.yml" };

  it("defaults to Spiderpool's directories, as the installer does", () => {
    const r = loadAgentSettings(base, []);
    assert.deepEqual(r.ok && r.value.pluginDirs, {
      logDir: "/var/log/spidernet",
      runDir: "/var/run/spidernet",
    });
  });
  it("takes both from the environment, normalised", () => {
    const r = loadAgentSettings(
      { ...base, SPIDERPOOL_PLUGIN_LOG_DIR: "/srv/logs/", SPIDERPOOL_PLUGIN_RUN_DIR: "/run//sp" },
      [],
    );
    assert.deepEqual(r.ok && r.value.pluginDirs, { logDir: "/srv/logs", runDir: "/run/sp" });
  });
  it("refuses a relative directory naming the variable and value", () => {
    const r = loadAgentSettings({ ...base, SPIDERPOOL_PLUGIN_RUN_DIR: "run" }, []);
    assert.deepEqual(r, {
      ok: false,
      errors: ['SPIDERPOOL_PLUGIN_RUN_DIR: expected an absolute path, got "run"'],
    });
  });
});
