/**
 * The per-node agent: watches the cluster, serves the allocation endpoint on the unix socket,
 * probes and metrics on TCP. One line on stderr and exit 2 for a configuration it cannot use.
 */
import v8 from "node:v8";
import { readMaster } from "./master-interface.js";
import { ApiClient } from "../k8s/api-client.js";
import { configWarningLine } from "../schemas/config.js";
import { createLogger } from "../logger.js";
import { Allocator } from "./allocator.js";
import { loadAgentSettings } from "./settings.js";
import { ClusterView } from "./cluster-view.js";
import { AgentMetrics } from "./metrics.js";
import { OwnerCache } from "./owner-cache.js";
import { ClaimAuditor } from "./claim-auditor.js";
import { Releaser } from "./releaser.js";
import { SandboxRecords } from "./sandbox-records.js";
import { SandboxSweep } from "./sandbox-sweep.js";
import { CoordinatorDefaults } from "./coordinator-defaults.js";
import { CoordinatorService } from "./coordinator-service.js";
import { CoordinatorFieldWarnings } from "./coordinator-warnings.js";
import { isQuarantined } from "../core/lifecycle/quarantine.js";
import { createAgentServer, createOpsServer, listenOnSocket } from "./server.js";

async function main(): Promise<void> {
  // V8 sizes a process's heap for speed: left alone, an agent's heap grew to twice what it held
  // (54 MiB for 25 with 1,000 Pods on 10 nodes: watch decoding and each ADD's interval sets are
  // short-lived garbage) and its RSS kept the high-water mark, on every node. Favouring size makes
  // V8 collect before it grows the heap, for some 15 % more agent CPU
  // (docs/concepts/scale.md#agent-memory). It caps nothing: an agent holding more gets the heap.
  v8.setFlagsFromString("--optimize-for-size");
  const settings = loadAgentSettings(process.env, process.argv.slice(2));
  if (!settings.ok) {
    process.stderr.write(`spiderpool-agent: refusing to start: ${settings.errors.join(" | ")}\n`);
    process.exit(2);
  }
  const s = settings.value;
  const log = createLogger("agent", s.logLevel).child({ node: s.nodeName });
  if (s.configWarnings.length)
    log.warn(configWarningLine(s.configWarnings), { keys: s.configWarnings.map(w => w.key) });
  if (s.releaseHoldMs)
    log.warn(
      "SPIDERPOOL_TEST_GC_DELAY_MS is set: every release after a sandbox check waits this long after its decision (a test knob, never for production)",
      { delayMs: s.releaseHoldMs },
    );
  if (s.hostNetns)
    log.warn(
      "SPIDERPOOL_TEST_HOST_NETNS is set: the masters of match_master_subnet are read in that network namespace (a test knob, never for production)",
      { netns: s.hostNetns },
    );
  const api = ApiClient.fromKubeconfig(s.kubeconfig);
  const metrics = new AgentMetrics().watchApi(api.activity);
  const view = new ClusterView(api, s.nodeName, log).start();
  let ready = false;
  const allocator = new Allocator({
    api,
    view,
    owners: new OwnerCache(api),
    config: s.config,
    metrics,
    log,
    agentNamespace: s.namespace,
    clusterNetwork: s.clusterNetwork,
    readMaster: source => readMaster(source, s.hostNetns ? { hostNetns: s.hostNetns } : {}),
  });
  const defaults = new CoordinatorDefaults(api, log).start();
  const coordinator = new CoordinatorService({
    api,
    view,
    config: s.config,
    metrics,
    log,
    defaults,
    warnings: new CoordinatorFieldWarnings(api, log),
  });
  metrics.watchClaims(
    () => view.allClaims().filter(c => isQuarantined(c.spec)).length,
    () => view.allClaims().length,
  );

  for (const port of new Set([s.healthPort, s.metricPort].filter(p => p > 0))) {
    createOpsServer(metrics.registry, () => ready).listen(port, s.opsAddress);
  }
  await view.synced();
  // The sandboxes served by earlier runs, before any ADD (docs/adr/0008-sandbox-confirmation.md).
  const records = new SandboxRecords(s.pluginDirs.runDir, s.nodeName, log, () =>
    api.clock.now(),
  ).load();
  allocator.records = records;
  const releaser = new Releaser({
    api,
    view,
    config: s.config,
    log,
    records,
    releaseHoldMs: s.releaseHoldMs,
  });

  const server = createAgentServer({
    allocator,
    releaser,
    coordinator,
    metrics,
    log,
    api,
    ready: () => ready,
    pluginDirs: s.pluginDirs,
  });
  await listenOnSocket(server, s.socketPath);
  ready = true;
  log.info("agent ready", {
    socket: s.socketPath,
    pools: view.pools.list().length,
    claims: view.allClaims().length,
    sandboxRecords: records.size,
  });
  const auditor = new ClaimAuditor({ api, view, records, config: s.config, metrics, log }).start(
    s.config.agent.claimAuditIntervalSeconds * 1000,
  );
  const sweep = s.config.gc.enabled
    ? new SandboxSweep({
        view,
        records,
        releaser,
        metrics,
        log,
        unknownRecordTtlMs: s.config.gc.readyNodeReleaseAfterSeconds * 1000,
      }).start(s.config.agent.sandboxCheckIntervalSeconds * 1000)
    : undefined;

  const stop = () => {
    log.info("agent stopping");
    server.close();
    sweep?.stop();
    auditor.stop();
    view.stop();
    defaults.stop();
    api.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: Error) => {
  process.stderr.write(`spiderpool-agent: fatal: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
