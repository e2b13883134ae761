/**
 * What the cluster-scale benchmark reads from the processes it measures: CPU seconds and RSS
 * from /proc (agents, the Pepr watcher, kube-apiserver, etcd), and from each agent's own
 * metrics the watch events and bytes it received per kind
 * (`spiderpool_api_watch_events_total`, `spiderpool_api_watch_received_bytes_total`).
 */
import { cpuSeconds, rssKiB } from "./process-usage.js";

export interface Tally {
  events: number;
  bytes: number;
}

/** `kind` → events and bytes, from one agent's metrics text. */
export function parseWatchTallies(text: string): Map<string, Tally> {
  const out = new Map<string, Tally>();
  const re = /^spiderpool_api_watch_(events_total|received_bytes_total)\{kind="([^"]+)"\} (\S+)$/gm;
  for (const m of text.matchAll(re)) {
    const t = out.get(m[2]!) ?? { events: 0, bytes: 0 };
    if (m[1] === "events_total") t.events += Number(m[3]);
    else t.bytes += Number(m[3]);
    out.set(m[2]!, t);
  }
  return out;
}

export async function scrapeAgentTallies(healthPort: number): Promise<Map<string, Tally>> {
  const res = await fetch(`http://127.0.0.1:${healthPort}/metrics`, {
    signal: AbortSignal.timeout(30_000),
  });
  return parseWatchTallies(await res.text());
}

/** Per kind, b − a (kinds only in b count from 0). */
export function tallyDelta(a: Map<string, Tally>, b: Map<string, Tally>): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const [k, v] of b) {
    const w = a.get(k) ?? { events: 0, bytes: 0 };
    out.set(k, { events: v.events - w.events, bytes: v.bytes - w.bytes });
  }
  return out;
}

export interface GroupUsage {
  /** CPU seconds over the phase, summed over the group's processes. */
  cpuSeconds: number;
  /** Largest RSS of one process of the group seen by the sampler (MiB). */
  maxRssMiB: number;
  /** Largest sum of the group's RSS seen (MiB). */
  peakSumRssMiB: number;
}

/** Samples RSS of named process groups every `everyMs`, and their CPU between start and stop. */
export class UsageSampler {
  readonly #groups: Record<string, number[]>;
  readonly #cpu0: Record<string, number> = {};
  readonly #max: Record<string, number> = {};
  readonly #sum: Record<string, number> = {};
  readonly #timer: NodeJS.Timeout;

  constructor(groups: Record<string, number[]>, everyMs = 2000) {
    this.#groups = groups;
    for (const [g, pids] of Object.entries(groups)) {
      this.#cpu0[g] = pids.reduce((s, p) => s + (cpuSeconds(p) || 0), 0);
      this.#max[g] = 0;
      this.#sum[g] = 0;
    }
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), everyMs);
  }

  #sample(): void {
    for (const [g, pids] of Object.entries(this.#groups)) {
      let sum = 0;
      for (const p of pids) {
        const kib = rssKiB(p) ?? 0;
        sum += kib;
        this.#max[g] = Math.max(this.#max[g]!, kib);
      }
      this.#sum[g] = Math.max(this.#sum[g]!, sum);
    }
  }

  stop(): Record<string, GroupUsage> {
    clearInterval(this.#timer);
    this.#sample();
    const out: Record<string, GroupUsage> = {};
    for (const [g, pids] of Object.entries(this.#groups)) {
      const cpu = pids.reduce((s, p) => s + (cpuSeconds(p) || 0), 0) - this.#cpu0[g]!;
      out[g] = {
        cpuSeconds: round(cpu),
        maxRssMiB: round(this.#max[g]! / 1024),
        peakSumRssMiB: round(this.#sum[g]! / 1024),
      };
    }
    return out;
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
