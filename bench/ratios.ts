/**
 * Ours against each other system, phase by phase (same label, same run): wall time and ADD/DEL
 * latency percentiles as ours ÷ theirs, so below 1 means ours is faster. Pure.
 */
import type { PhaseResult } from "./session.js";
import type { SystemId } from "./options.js";

export interface Ratio {
  wall: number;
  p50: number;
  p99: number;
}

export type RatioTable = Record<string, Ratio>;

const r2 = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : NaN);

/** Every reported phase both systems ran (warm-ups and single-call steps left out). */
export function ratiosAgainst(phases: PhaseResult[], other: SystemId): RatioTable {
  const out: RatioTable = {};
  for (const mine of phases.filter(p => p.system === "ours" && isCompared(p))) {
    const theirs = phases.find(p => p.system === other && p.label === mine.label);
    if (!theirs) continue;
    out[mine.label] = {
      wall: r2(mine.wallMs, theirs.wallMs),
      p50: r2(mine.stats.latency.p50, theirs.stats.latency.p50),
      p99: r2(mine.stats.latency.p99, theirs.stats.latency.p99),
    };
  }
  return out;
}

export function isCompared(p: PhaseResult): boolean {
  return /^(S1|S2|S3|S4)\b|^S6 refill/.test(p.label);
}
