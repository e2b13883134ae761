import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { ConfigError, loadConfig } from "../../lib/k8s/config-source.js";
import { AGENT_BUNDLE } from "../../scripts/build-agent.js";
import { adminClient } from "../cluster/cluster.js";
import { repoRoot } from "../cluster/paths.js";
import { createNamespace, deleteNamespace } from "../support/kube.js";
import { startProbeAgent, type ProbeAgent } from "../support/probe-agent.js";
import { agentKubeconfig } from "../cluster/identities.js";
import { LEVELS } from "../../lib/log-schema.js";

const CHART_CONF = path.join(repoRoot, "lib/schemas/fixtures/spiderpool-v1.2.2-conf.yml");
const NOT_ACTED_ON = [
  "agent.networkResourcePlugin",
  "enableKubevirtStaticIP",
  "iaasNetworkProvider",
  "podResourceInject",
  "tuneSysctlConfig",
];

/**
 * ConfigMap `spiderpool-conf` as Spiderpool's v1.2.2 chart renders it, against the real control
 * plane: the Pepr pods' read path (through the API) and the built agent (its mounted file) both
 * take it, with one warning naming the keys this project does not act on
 * (docs/usage/configuration.md).
 */
describe("config: Spiderpool's chart-rendered spiderpool-conf", function () {
  const ns = `config-${Date.now().toString(36)}`;
  let api: ApiClient;

  before(async () => {
    api = adminClient();
    await createNamespace(api, ns);
  });
  after(async () => {
    await deleteNamespace(api, ns);
    api.close();
  });

  it("read through the API as the watcher and admission read it: loads, with the warning's keys; an IaaS URL is refused by name", async () => {
    const text = fs.readFileSync(CHART_CONF, "utf8");
    await api.create(`/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "spiderpool-conf", namespace: ns },
      data: { clusterNetwork: "", "conf.yml": text },
    });
    const { config, warnings } = await loadConfig(api, { SPIDERPOOL_NAMESPACE: ns });
    assert.equal(config.enableStatefulSet, true);
    assert.deepEqual(warnings.map(w => w.key).sort(), NOT_ACTED_ON);

    await api.patch(`/api/v1/namespaces/${ns}/configmaps/spiderpool-conf`, {
      data: { "conf.yml": text.replace('serverUrl: ""', 'serverUrl: "http://iaas.example:8080"') },
    });
    await assert.rejects(loadConfig(api, { SPIDERPOOL_NAMESPACE: ns }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(
        e.message,
        /^conf\.yml: iaasNetworkProvider\.serverUrl: got "http:\/\/iaas\.example:8080", .*; set it to "" or remove iaasNetworkProvider$/,
      );
      return true;
    });
  });

  it("the built agent syncs its caches and reports ready with that file, after one warning naming the keys", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-chart-conf-"));
    let agent: ProbeAgent | undefined;
    try {
      agent = await startProbeAgent({
        bundle: AGENT_BUNDLE,
        conf: CHART_CONF,
        kubeconfig: agentKubeconfig(),
        node: "config-probe-node",
        dir,
        what: "agent on the chart's conf.yml: ready",
      });
      const stderr = agent.stderr();
      const warnings = stderr
        .split("\n")
        .filter(l => l.startsWith("{"))
        .map(l => JSON.parse(l) as { level: number; msg: string; keys?: string[] })
        .filter(l => l.level === LEVELS.warn && l.msg.startsWith("conf.yml: "));
      assert.equal(warnings.length, 1, `one configuration warning, got:\n${stderr}`);
      assert.deepEqual([...(warnings[0]!.keys ?? [])].sort(), NOT_ACTED_ON);
    } finally {
      agent?.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
