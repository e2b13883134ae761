/**
 * Turning a phase's call records into the numbers the report shows: latency percentiles,
 * harness queueing, failures by reason, and the address ledger that counts duplicates. Pure.
 */
import type { CallRecord } from "./storm.js";

export interface LatencyStats {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles (ms, one decimal); zeros for an empty list. */
export function latencyStats(values: number[]): LatencyStats {
  if (!values.length) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  const v = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    p50: r(at(50)),
    p90: r(at(90)),
    p99: r(at(99)),
    max: r(v[v.length - 1]!),
    mean: r(v.reduce((s, x) => s + x, 0) / v.length),
  };
}

export interface CallStats {
  calls: number;
  ok: number;
  failed: number;
  /** Spawn to exit. */
  latency: LatencyStats;
  /** Enqueue to spawn: waiting for the node's slot or the machine gate. */
  queue: LatencyStats;
  failuresByReason: Record<string, number>;
}

export function callStats(records: CallRecord[]): CallStats {
  const failuresByReason: Record<string, number> = {};
  for (const r of records)
    if (r.error)
      failuresByReason[r.reason ?? "unknown"] = (failuresByReason[r.reason ?? "unknown"] ?? 0) + 1;
  const failed = records.filter(r => r.error).length;
  return {
    calls: records.length,
    ok: records.length - failed,
    failed,
    latency: latencyStats(records.map(r => r.endMs - r.startMs)),
    queue: latencyStats(records.map(r => r.startMs - r.enqueuedMs)),
    failuresByReason,
  };
}

/**
 * Who holds which address, as the plugins answered: an ADD that returns an address another
 * live Pod was given (and has not released by a DEL) is a duplicate.
 */
export class AddressLedger {
  readonly #holder = new Map<string, string>();
  readonly #byPod = new Map<string, Set<string>>();
  duplicates: { address: string; pods: [string, string] }[] = [];

  add(pod: string, address: string): void {
    const other = this.#holder.get(address);
    if (other && other !== pod) this.duplicates.push({ address, pods: [other, pod] });
    this.#holder.set(address, pod);
    const s = this.#byPod.get(pod) ?? new Set<string>();
    s.add(address);
    this.#byPod.set(pod, s);
  }

  release(pod: string): void {
    for (const a of this.#byPod.get(pod) ?? [])
      if (this.#holder.get(a) === pod) this.#holder.delete(a);
    this.#byPod.delete(pod);
  }

  /** Applies a phase: ADDs hold, DELs release (phases never mix the two). */
  apply(records: CallRecord[]): number {
    const before = this.duplicates.length;
    for (const r of records) {
      if (r.op === "DEL") this.release(r.pod);
      else if (r.address) this.add(r.pod, r.address);
    }
    return this.duplicates.length - before;
  }

  held(): Map<string, string> {
    return new Map(this.#holder);
  }
}

/** Differences between what the plugins answered and what the system's objects say. */
export function stateMismatches(
  answered: Map<string, string>,
  stored: { address: string; pod: string }[],
): { missing: number; unexpected: number } {
  const storedMap = new Map(stored.map(h => [h.address, h.pod]));
  let missing = 0;
  for (const [a, pod] of answered) if (storedMap.get(a) !== pod) missing++;
  let unexpected = 0;
  for (const [a, pod] of storedMap) if (answered.get(a) !== pod) unexpected++;
  return { missing, unexpected };
}
