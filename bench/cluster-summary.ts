/**
 * Pure summaries of the cluster-scale benchmark: percentiles of the CNI calls, the IPAM share of
 * the API server's request counters, and per-agent watch cost per ADD.
 */
import { splitKey, type Counters } from "./api-requests.js";
import type { KubeletCall } from "./cluster-kubelet.js";
import type { Tally } from "./cluster-usage.js";

const IPAM_GROUPS = new Set(["ipam.pepr-spiderpool.io", "spiderpool.spidernet.io"]);

export interface CallSummary {
  calls: number;
  failed: number;
  /** Spawn to exit of the plugin process (ms). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Queued (the Pod seen bound or Terminating) to exit (ms). */
  queuedP50Ms: number;
  queuedP99Ms: number;
  failuresByReason: Record<string, number>;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 10) / 10;
}

export function summarizeCalls(calls: KubeletCall[]): CallSummary {
  const service = calls.map(c => c.endMs - c.startMs).sort((a, b) => a - b);
  const queued = calls.map(c => c.endMs - c.queuedMs).sort((a, b) => a - b);
  const failuresByReason: Record<string, number> = {};
  for (const c of calls) {
    if (c.ok) continue;
    const reason = (c.error ?? "unknown").split(":")[0]!;
    failuresByReason[reason] = (failuresByReason[reason] ?? 0) + 1;
  }
  return {
    calls: calls.length,
    failed: calls.filter(c => !c.ok).length,
    p50Ms: percentile(service, 50),
    p99Ms: percentile(service, 99),
    maxMs: percentile(service, 100),
    queuedP50Ms: percentile(queued, 50),
    queuedP99Ms: percentile(queued, 99),
    failuresByReason,
  };
}

export interface IpamRequests {
  total: number;
  byVerb: Record<string, number>;
  byResource: Record<string, number>;
  conflicts409: number;
}

/**
 * The IPAM share of a counter delta. Pods are created by the controller-manager, bound by the
 * scheduler and finalized by the harness while the agents work, so of the core kinds only reads
 * count (an agent reads a Pod it has not seen yet); every verb of the IPAM groups counts.
 */
export function ipamRequests(d: Counters): IpamRequests {
  const out: IpamRequests = { total: 0, byVerb: {}, byResource: {}, conflicts409: 0 };
  for (const [key, n] of [...d].sort(([a], [b]) => a.localeCompare(b))) {
    const k = splitKey(key);
    if (k.verb === "WATCH" || k.verb === "CONNECT") continue;
    const ipam = IPAM_GROUPS.has(k.group);
    const read =
      k.group === "core" &&
      (k.verb === "GET" || k.verb === "LIST") &&
      ["pods", "namespaces", "nodes"].includes(k.resource);
    if (!ipam && !read) continue;
    out.total += n;
    out.byVerb[k.verb] = (out.byVerb[k.verb] ?? 0) + n;
    const r = `${k.verb} ${ipam ? `${k.group}/` : ""}${k.resource}`;
    out.byResource[r] = (out.byResource[r] ?? 0) + n;
    if (k.code === "409") out.conflicts409 += n;
  }
  return out;
}

export interface WatchCost {
  /** Mean over agents, per ADD of the whole cluster in the phase. */
  eventsPerAgentPerAdd: number;
  bytesPerAgentPerAdd: number;
  /** The agent that received most. */
  maxBytesPerAgentPerAdd: number;
  /** Mean over agents, per ADD, by watched kind. */
  byKind: Record<string, { events: number; bytes: number }>;
}

export function watchCost(perAgent: Map<string, Tally>[], adds: number): WatchCost {
  const byKind: Record<string, { events: number; bytes: number }> = {};
  let events = 0;
  let bytes = 0;
  let maxBytes = 0;
  for (const a of perAgent) {
    let agentBytes = 0;
    for (const [kind, t] of a) {
      const k = (byKind[kind] ??= { events: 0, bytes: 0 });
      k.events += t.events;
      k.bytes += t.bytes;
      events += t.events;
      bytes += t.bytes;
      agentBytes += t.bytes;
    }
    maxBytes = Math.max(maxBytes, agentBytes);
  }
  const per = (x: number) =>
    perAgent.length && adds ? Math.round((x / perAgent.length / adds) * 100) / 100 : 0;
  for (const k of Object.keys(byKind))
    byKind[k] = { events: per(byKind[k]!.events), bytes: per(byKind[k]!.bytes) };
  return {
    eventsPerAgentPerAdd: per(events),
    bytesPerAgentPerAdd: per(bytes),
    maxBytesPerAgentPerAdd: adds ? Math.round((maxBytes / adds) * 100) / 100 : 0,
    byKind,
  };
}
