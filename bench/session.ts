/**
 * One system on one address window, from an empty pool to everything released: the primitives
 * the scenarios are written in. Each timed storm is bracketed by untimed Pod work (create before
 * ADD; mark Terminating before DEL, finalize after) and by API-counter and CPU snapshots, and
 * its answers go through the session's ledger (duplicates) and, for systems with state, are
 * compared with what the system's own objects say.
 */
import type { ClusterTarget } from "./cluster-target.js";
import { AddressBook, type AddressWindow } from "./address-window.js";
import {
  delta,
  etcdDbBytes,
  scrapeRequests,
  summarize,
  type RequestSummary,
} from "./api-requests.js";
import type { BenchNode } from "./bench-nodes.js";
import type { MachineGate, MachineGateStats } from "./launch-gate.js";
import type { SystemId } from "./options.js";
import { AddressLedger, callStats, stateMismatches, type CallStats } from "./phase-summary.js";
import { createPods, finalize, markTerminating, type BenchPod } from "./pods.js";
import { cpuDelta, sampleCpu, type CpuSample } from "./process-usage.js";
import type { Progress } from "./progress.js";
import { newContainerId, runStorm, type Call, type CallRecord } from "./storm.js";
import type { BenchSystem } from "./system.js";

export interface PhaseResult {
  system: SystemId;
  scenario: string;
  label: string;
  op: "ADD" | "DEL";
  perNode: number | "sequential";
  window: string;
  /** Run clock (ms) of the first spawn, for the timeline. */
  startedMs: number;
  wallMs: number;
  stats: CallStats;
  requests: RequestSummary;
  duplicates: number;
  /** ADD phases of systems with state: answers vs the system's objects. */
  state?: { missing: number; unexpected: number; held: number };
  /** After everything was released: addresses still held, and other leftovers. */
  leaks?: number;
  leftovers?: Record<string, number | string>;
  cpuSeconds: CpuSample;
  etcdDbDeltaBytes?: number;
  gate: MachineGateStats;
  peakPluginRssKiB: number;
  maxProcessHwmKiB: number;
}

export interface RunEnv {
  target: ClusterTarget;
  namespace: string;
  nodes: BenchNode[];
  gate: MachineGate;
  progress: Progress;
  timeoutMs: number;
  cpuGroups: () => Record<string, number[]>;
  phases: PhaseResult[];
  records: CallRecord[];
  /** Unique Pod names over the whole run. */
  nextPodName: (system: SystemId) => string;
}

export interface LivePod {
  pod: BenchPod;
  node: BenchNode;
  containerId: string;
  address?: string;
}

export class Session {
  readonly ledger = new AddressLedger();
  readonly live: LivePod[] = [];
  readonly #book: AddressBook | undefined;

  constructor(
    private readonly env: RunEnv,
    readonly system: BenchSystem,
    readonly window: AddressWindow,
  ) {
    this.#book = system.precomputed ? new AddressBook(window) : undefined;
  }

  async open(): Promise<void> {
    await this.system.resetWindow(this.window);
  }

  /** Creates `count` Pods spread over the nodes, then times one ADD each. */
  async addPods(
    count: number,
    scenario: string,
    label: string,
    perNode: number | "sequential",
  ): Promise<PhaseResult> {
    const wanted = Array.from({ length: count }, (_, i) => {
      const node = this.env.nodes[i % this.env.nodes.length]!;
      return { name: this.env.nextPodName(this.system.id), node: node.name };
    });
    const pods = await createPods(
      this.env.target.api,
      this.env.namespace,
      label
        .replace(/[^a-z0-9]+/gi, "-")
        .toLowerCase()
        .slice(0, 60),
      wanted,
    );
    // Let every watcher (agents, our GC) see the Pods first, as it would long before a kubelet's
    // ADD (scheduling, image pulls); the agents' watches lag on this loaded machine.
    await sleep(2000 + 5 * count);
    const calls = pods.map(pod => this.#addCall(pod));
    return this.addCalls(calls, scenario, label, perNode);
  }

  #addCall(pod: BenchPod): Call {
    const node = this.env.nodes.find(n => n.name === pod.node)!;
    return { op: "ADD", pod, node, containerId: newContainerId(), address: this.#book?.take() };
  }

  /** ADD for Pods that already exist (a retry after a failure gets a new sandbox). */
  retryAdd(p: LivePod, scenario: string, label: string): Promise<PhaseResult> {
    const i = this.live.indexOf(p);
    if (i >= 0) this.live.splice(i, 1);
    return this.addCalls([this.#addCall(p.pod)], scenario, label, "sequential");
  }

  async addCalls(
    calls: Call[],
    scenario: string,
    label: string,
    perNode: number | "sequential",
  ): Promise<PhaseResult> {
    const r = await this.#timed(calls, scenario, label, perNode);
    for (const rec of r.records) {
      const c = calls.find(x => x.containerId === rec.containerId)!;
      if (!rec.address && c.address) this.#book?.release(c.address);
      this.live.push({
        pod: c.pod,
        node: c.node,
        containerId: c.containerId,
        address: rec.address,
      });
    }
    const phase = r.phase;
    if (!this.system.precomputed) {
      const held = await this.system.holdings(this.window);
      phase.state = { ...stateMismatches(this.ledger.held(), held), held: held.length };
    }
    return phase;
  }

  /** Marks the Pods Terminating, times one DEL each for the sandbox its ADD made, finalizes them. */
  async deletePods(
    victims: LivePod[],
    scenario: string,
    label: string,
    perNode: number | "sequential",
  ): Promise<PhaseResult> {
    await markTerminating(
      this.env.target.api,
      victims.map(v => v.pod),
    );
    const calls: Call[] = victims.map(v => ({
      op: "DEL",
      pod: v.pod,
      node: v.node,
      containerId: v.containerId,
      address: v.address,
    }));
    const r = await this.#timed(calls, scenario, label, perNode);
    await finalize(
      this.env.target.api,
      victims.map(v => v.pod),
    );
    for (const v of victims) {
      const i = this.live.indexOf(v);
      if (i >= 0) this.live.splice(i, 1);
      if (v.address) this.#book?.release(v.address);
    }
    return r.phase;
  }

  /** DEL of one sandbox of a Pod that lives on (the runtime cleaning up after a failed ADD). */
  async delSandbox(p: LivePod, scenario: string, label: string): Promise<PhaseResult> {
    const call: Call = {
      op: "DEL",
      pod: p.pod,
      node: p.node,
      containerId: p.containerId,
      address: p.address,
    };
    return (await this.#timed([call], scenario, label, "sequential")).phase;
  }

  /** After everything was released: what the system still holds. */
  async auditEmpty(phase: PhaseResult): Promise<void> {
    if (this.system.precomputed) {
      phase.leaks = this.#book?.held ?? 0;
      return;
    }
    phase.leaks = (await this.system.holdings(this.window)).length;
    phase.leftovers = await this.system.leftovers(this.window);
  }

  async #timed(
    calls: Call[],
    scenario: string,
    label: string,
    perNode: number | "sequential",
  ): Promise<{ phase: PhaseResult; records: CallRecord[] }> {
    const { env } = this;
    const before = await scrapeRequests(env.target.api);
    const cpu0 = sampleCpu(env.cpuGroups());
    const db0 = await etcdDbBytes(env.target.state.ports.etcd);
    env.gate.takeStats();
    const storm = await runStorm(calls, {
      system: this.system,
      window: this.window,
      phase: `${label} [${this.system.id}]`,
      perNode,
      gate: env.gate,
      timeoutMs: env.timeoutMs,
      cniPath: env.target.goPluginDir,
      progress: env.progress,
    });
    const cpu1 = sampleCpu(env.cpuGroups());
    const after = await scrapeRequests(env.target.api);
    const db1 = await etcdDbBytes(env.target.state.ports.etcd);
    for (const r of storm.records) r.phase = label;
    env.records.push(...storm.records);
    const duplicates = this.ledger.apply(storm.records);
    const phase: PhaseResult = {
      system: this.system.id,
      scenario,
      label,
      op: calls[0]?.op ?? "ADD",
      perNode,
      window: this.window.id,
      startedMs: storm.records.length ? Math.min(...storm.records.map(r => r.startMs)) : 0,
      wallMs: storm.wallMs,
      stats: callStats(storm.records),
      requests: summarize(delta(before, after)),
      duplicates,
      cpuSeconds: cpuDelta(cpu0, cpu1),
      ...(db0 !== undefined && db1 !== undefined ? { etcdDbDeltaBytes: db1 - db0 } : {}),
      gate: env.gate.takeStats(),
      peakPluginRssKiB: storm.peakPluginRssKiB,
      maxProcessHwmKiB: storm.maxProcessHwmKiB,
    };
    env.phases.push(phase);
    return { phase, records: storm.records };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}
