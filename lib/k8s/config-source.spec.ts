import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ApiClient } from "./api-client.js";
import { ConfigError, loadConfig } from "./config-source.js";

const CHART_CONF = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "../schemas/fixtures/spiderpool-v1.2.2-conf.yml",
);

/** With SPIDERPOOL_CONFIG_PATH set the file is the source: any API call is a bug. */
const noApi = new Proxy(
  {},
  { get: () => () => assert.fail("loadConfig called the API although a file was named") },
) as ApiClient;

describe("loadConfig from a file, as the watcher and admission read it (lib/k8s/config-source.ts)", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-source-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("Spiderpool's chart-rendered file gives the configuration and the keys for the one warning", async () => {
    const { config, warnings } = await loadConfig(noApi, { SPIDERPOOL_CONFIG_PATH: CHART_CONF });
    assert.equal(config.enableSpiderSubnet, true);
    assert.deepEqual(warnings.map(w => w.key).sort(), [
      "agent.networkResourcePlugin",
      "enableKubevirtStaticIP",
      "iaasNetworkProvider",
      "podResourceInject",
      "tuneSysctlConfig",
    ]);
  });

  it("a feature we lack turned on is a ConfigError naming the key", async () => {
    const conf = path.join(dir, "conf.yml");
    fs.writeFileSync(
      conf,
      fs.readFileSync(CHART_CONF, "utf8").replace('serverUrl: ""', 'serverUrl: "http://iaas:8080"'),
    );
    await assert.rejects(loadConfig(noApi, { SPIDERPOOL_CONFIG_PATH: conf }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, "invalid_config");
      assert.deepEqual(e.problems.length, 1);
      assert.match(
        e.problems[0]!,
        /^conf\.yml: iaasNetworkProvider\.serverUrl: got "http:\/\/iaas:8080", /,
      );
      return true;
    });
  });
});
