import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadAgentSettings } from "./settings.js";

const CHART_CONF = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "../schemas/fixtures/spiderpool-v1.2.2-conf.yml",
);

describe("agent settings: conf.yml as Spiderpool's chart renders it (lib/agent/settings.ts)", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-settings-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the chart's file at --config-path gives settings, and the keys for the start-up warning", () => {
    const r = loadAgentSettings({ SPIDERPOOL_NODE_NAME: "node-1" }, [
      `--config-path=${CHART_CONF}`,
    ]);
    assert.ok(r.ok, r.ok ? "" : r.errors.join("\n"));
    assert.equal(r.value.socketPath, "/var/run/spidernet/spiderpool.sock");
    assert.equal(r.value.config.enableStatefulSet, true);
    assert.deepEqual(r.value.configWarnings.map(w => w.key).sort(), [
      "agent.networkResourcePlugin",
      "enableKubevirtStaticIP",
      "iaasNetworkProvider",
      "podResourceInject",
      "tuneSysctlConfig",
    ]);
  });

  it("the chart's file with a feature we lack turned on is refused naming the key, beside other problems", () => {
    const conf = path.join(dir, "conf.yml");
    fs.writeFileSync(
      conf,
      fs
        .readFileSync(CHART_CONF, "utf8")
        .replace("enableCleanOutdatedEndpoint: false", "enableCleanOutdatedEndpoint: true"),
    );
    const r = loadAgentSettings({}, [`--config-path=${conf}`]);
    assert.ok(!r.ok);
    assert.equal(r.errors.length, 2, r.errors.join("\n"));
    assert.match(
      r.errors[0]!,
      /^conf\.yml: enableCleanOutdatedEndpoint: got true, .*set it to false or remove the key$/,
    );
    assert.match(r.errors[1]!, /^SPIDERPOOL_NODE_NAME: required/);
  });

  it("the test-only release hold is 0 unless set, and a bad value is refused naming the variable", () => {
    const ok = loadAgentSettings({ SPIDERPOOL_NODE_NAME: "node-1" }, [
      `--config-path=${CHART_CONF}`,
    ]);
    assert.ok(ok.ok && ok.value.releaseHoldMs === 0);
    const held = loadAgentSettings(
      { SPIDERPOOL_NODE_NAME: "node-1", SPIDERPOOL_TEST_GC_DELAY_MS: "25000" },
      [`--config-path=${CHART_CONF}`],
    );
    assert.ok(held.ok && held.value.releaseHoldMs === 25_000);
    const bad = loadAgentSettings(
      { SPIDERPOOL_NODE_NAME: "node-1", SPIDERPOOL_TEST_GC_DELAY_MS: "25s" },
      [`--config-path=${CHART_CONF}`],
    );
    assert.ok(!bad.ok);
    assert.deepEqual(bad.errors, [
      'SPIDERPOOL_TEST_GC_DELAY_MS: expected a non-negative integer number of milliseconds, got "25s"',
    ]);
  });
});
