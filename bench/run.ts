/**
 * One benchmark run against an already running cluster: register the simulated nodes and their
 * agents, set every system up, run the scenarios and the pool-scale test, tear down what the
 * run made, write the results file and (unless told not to) the report section of
 * docs/benchmarks.md. Imported only after SPIDERPOOL_CLUSTER_DIR is set (bench/main.ts), because
 * the cluster helpers it reuses resolve their paths from it when loaded.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { paths, repoRoot } from "../e2e/cluster/paths.js";
import { BenchNodes } from "./bench-nodes.js";
import { openCluster } from "./cluster-target.js";
import { buildFloorPlugin } from "./floor-build.js";
import { MachineGate } from "./launch-gate.js";
import { machineInfo, versions } from "./machine.js";
import type { BenchOptions, SystemId } from "./options.js";
import { createNamespace } from "./pods.js";
import { runPoolScale, type PoolScaleResult } from "./pool-scale.js";
import { Progress } from "./progress.js";
import { ratiosAgainst } from "./ratios.js";
import { writeReport } from "./report.js";
import type { ResultsFile } from "./results-file.js";
import { runScenarios, seeded } from "./scenarios.js";
import type { PhaseResult, RunEnv } from "./session.js";
import type { CallRecord } from "./storm.js";
import { RuntimeFloor, StaticFloor } from "./system-floors.js";
import { OurSystem } from "./system-ours.js";
import { WhereaboutsSystem } from "./system-whereabouts.js";
import type { BenchSystem } from "./system.js";

export async function runBench(opts: BenchOptions): Promise<ResultsFile> {
  if (path.resolve(paths.state) !== path.join(opts.clusterDir, "state.json")) {
    throw new Error(
      `internal: cluster helpers point at ${paths.state}, the run at ${opts.clusterDir}; set SPIDERPOOL_CLUSTER_DIR before loading bench/run.ts`,
    );
  }
  const progress = new Progress();
  const target = openCluster(opts.clusterDir);
  const runId = crypto.randomBytes(2).toString("hex");
  const workDir = path.join(opts.clusterDir, `bench-${runId}`);
  fs.mkdirSync(workDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  progress.note(
    `run ${runId} (${opts.mode}) on ${opts.clusterDir}: ${opts.pods} pods, ${opts.nodes} nodes, concurrency ${opts.concurrency.join("/")}, systems ${opts.systems.join(",")}`,
  );

  const systems: BenchSystem[] = [];
  for (const id of opts.systems) systems.push(await makeSystem(id, target, runId, workDir));
  const ours = systems.find((s): s is OurSystem => s instanceof OurSystem);

  const namespace = `storm-${runId}`;
  const nodes = new BenchNodes(target.api, runId, opts.nodes);
  const phases: PhaseResult[] = [];
  const records: CallRecord[] = [];
  let podSeq = 0;
  const env: RunEnv = {
    target,
    namespace,
    nodes: nodes.nodes,
    gate: new MachineGate(opts.maxProcs, opts.minFreeMiB),
    progress,
    timeoutMs: opts.processTimeoutMs,
    cpuGroups: () => ({
      apiserver: target.pids.apiserver ? [target.pids.apiserver] : [],
      etcd: target.pids.etcd ? [target.pids.etcd] : [],
      agents: nodes.agentPids(),
      watcher: target.pids.watcher ? [target.pids.watcher] : [],
    }),
    phases,
    records,
    nextPodName: id => `${SHORT[id]}-${++podSeq}`,
  };

  let checks: ResultsFile["scenarioChecks"] = {};
  let poolScale: PoolScaleResult | undefined;
  let failure: Error | undefined;
  try {
    await createNamespace(target.api, namespace);
    progress.note(`registering ${opts.nodes} simulated nodes`);
    await nodes.register();
    if (ours) {
      progress.note(`starting ${opts.nodes} agents`);
      await nodes.startAgents(l => progress.note(l));
    }
    for (const s of systems) await s.setup();
    checks = await runScenarios(env, opts, systems, seeded(opts.seed));
    if (ours && opts.scenarios.includes("scale"))
      poolScale = await runPoolScale(env, opts, ours, () => nodes.agentPids(), progress);
  } catch (e) {
    // Keep what was measured: the results file is written, then the run fails.
    failure = e as Error;
    progress.note(`run failed: ${failure.message}`);
  } finally {
    progress.note("tearing down");
    for (const s of systems)
      await s.teardown().catch((e: Error) => progress.note(`teardown of ${s.id}: ${e.message}`));
    // Pods left Terminating by an interrupted phase would hold the namespace for their hour of grace.
    await target.api
      .request("DELETE", `/api/v1/namespaces/${namespace}/pods`, {
        body: { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0 },
        timeoutMs: 120_000,
      })
      .catch(() => undefined);
    await target.api.delete(`/api/v1/namespaces/${namespace}`).catch(() => undefined);
    await nodes.remove().catch((e: Error) => progress.note(`removing nodes: ${e.message}`));
  }

  const results: ResultsFile = {
    schema: "pepr-spiderpool/storm-bench/v1",
    runId,
    mode: opts.mode,
    startedAt,
    finishedAt: new Date().toISOString(),
    options: {
      pods: opts.pods,
      nodes: opts.nodes,
      concurrency: opts.concurrency,
      sequential: opts.sequential,
      churnRounds: opts.churnRounds,
      scaleAddresses: opts.scaleAddresses,
      scaleSamples: opts.scaleSamples,
      maxProcs: opts.maxProcs,
      minFreeMiB: opts.minFreeMiB,
      processTimeoutMs: opts.processTimeoutMs,
      seed: opts.seed,
      scenarios: opts.scenarios,
    },
    machine,
    loadAverageAtEnd: machineInfo().loadAverage,
    versions: await versions(target, systems),
    systems: systems.map(s => ({ id: s.id, label: s.label, exe: s.exe, version: s.version })),
    scenarioChecks: checks,
    phases,
    ratio_ours_over_whereabouts: ratiosAgainst(phases, "whereabouts"),
    ratio_ours_over_runtime_floor: ratiosAgainst(phases, "runtime-floor"),
    ratio_ours_over_static_floor: ratiosAgainst(phases, "static-floor"),
    ...(poolScale ? { poolScale } : {}),
    ...(failure ? { error: failure.stack ?? failure.message } : {}),
    // 16 of the 64 hex digits identify a sandbox well enough and keep the file a third smaller.
    records: records.map(r => ({ ...r, containerId: r.containerId.slice(0, 16) })),
  };
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  const tmp = `${opts.out}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(results) + "\n");
  fs.renameSync(tmp, opts.out);
  progress.note(`results: ${path.relative(repoRoot, opts.out)}`);
  if (opts.docs && !failure) {
    const written = writeReport(results, opts.out, opts.docs);
    progress.note(`report: ${written.map(f => path.relative(repoRoot, f)).join(", ")}`);
  }
  fs.rmSync(workDir, { recursive: true, force: true });
  target.api.close();
  if (failure) throw failure;
  return results;
}

const SHORT: Record<SystemId, string> = {
  "static-floor": "st",
  "runtime-floor": "rt",
  ours: "ou",
  whereabouts: "wb",
};

async function makeSystem(
  id: SystemId,
  target: ReturnType<typeof openCluster>,
  runId: string,
  workDir: string,
): Promise<BenchSystem> {
  switch (id) {
    case "static-floor":
      return new StaticFloor(target.goPluginDir);
    case "runtime-floor":
      return new RuntimeFloor(await buildFloorPlugin());
    case "ours":
      return new OurSystem(
        target.api,
        target.ourPlugin,
        runId,
        path.join(target.dir, "logs", `bench-${runId}-cni-ours.log`),
        repoRoot,
      );
    case "whereabouts":
      return new WhereaboutsSystem(
        target.api,
        target.goPluginDir,
        path.join(target.state.binDir, "whereabouts-crds"),
        target.dir,
        runId,
        workDir,
      );
  }
}
