/**
 * The shape of bench/results/<timestamp>.json: everything the report is generated from, plus
 * every plugin call as a raw record (its `containerId` cut to the first 16 hex digits).
 */
import type { MachineInfo } from "./machine.js";
import type { ScenarioId, SystemId } from "./options.js";
import type { PoolScaleResult } from "./pool-scale.js";
import type { RatioTable } from "./ratios.js";
import type { ScenarioChecks } from "./scenarios.js";
import type { PhaseResult } from "./session.js";
import type { CallRecord } from "./storm.js";

export interface ResultsFile {
  schema: "pepr-spiderpool/storm-bench/v1";
  runId: string;
  mode: "quick" | "medium" | "full";
  startedAt: string;
  finishedAt: string;
  options: {
    pods: number;
    nodes: number;
    concurrency: number[];
    sequential: number;
    churnRounds: number;
    scaleAddresses: number;
    scaleSamples: number;
    maxProcs: number;
    minFreeMiB: number;
    processTimeoutMs: number;
    seed: number;
    scenarios: ScenarioId[];
  };
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  versions: Record<string, string>;
  systems: { id: SystemId; label: string; exe: string; version: string }[];
  scenarioChecks: Partial<Record<SystemId, ScenarioChecks>>;
  phases: PhaseResult[];
  ratio_ours_over_whereabouts: RatioTable;
  ratio_ours_over_runtime_floor: RatioTable;
  ratio_ours_over_static_floor: RatioTable;
  poolScale?: PoolScaleResult;
  /** Set when the run stopped early; what was measured before is still here. */
  error?: string;
  records: CallRecord[];
}
