/**
 * API requests per phase, from kube-apiserver's own counter `apiserver_request_total`
 * (scraped with `GET /metrics` before and after; no restart, no audit policy needed). The
 * counter has no user or namespace label, so requests are attributed by resource: the IPAM
 * groups of both systems, Leases (except PATCH: the simulated kubelets renew node Leases by
 * merge patch, Whereabouts never patches its Lease), and Pods/Namespaces (our agent reads the
 * Pod on DEL). Watches are long-running and not counted. During a timed phase nothing else
 * writes these resources; the harness makes its own Pod writes between phases.
 */
import type { ApiClient } from "../lib/k8s/api-client.js";

export type Counters = Map<string, number>;

export interface RequestKey {
  verb: string;
  group: string;
  resource: string;
  code: string;
}

const IPAM_GROUPS = new Set([
  "ipam.pepr-spiderpool.io",
  "spiderpool.spidernet.io",
  "whereabouts.cni.cncf.io",
]);

/** Parses the text exposition format; returns `verb group resource[/sub] code` → count. */
export function parseRequestCounters(text: string): Counters {
  const out: Counters = new Map();
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const close = line.lastIndexOf("}");
    const labels: Record<string, string> = {};
    for (const m of line.slice(line.indexOf("{") + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[m[1]!] = m[2]!;
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(" ")[0],
    );
    if (!Number.isFinite(value)) continue;
    const resource = labels.subresource
      ? `${labels.resource}/${labels.subresource}`
      : (labels.resource ?? "");
    const key = [labels.verb ?? "", labels.group || "core", resource, labels.code ?? ""].join(" ");
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

export function splitKey(key: string): RequestKey {
  const [verb = "", group = "", resource = "", code = ""] = key.split(" ");
  return { verb, group, resource, code };
}

/** Whether a counter belongs to IPAM work (see the module comment). */
export function isIpamRequest(k: RequestKey): boolean {
  if (k.verb === "WATCH" || k.verb === "CONNECT") return false;
  if (IPAM_GROUPS.has(k.group)) return true;
  if (k.group === "coordination.k8s.io" && k.resource === "leases") return k.verb !== "PATCH";
  if (k.group === "core" && (k.resource === "pods" || k.resource === "namespaces")) return true;
  return false;
}

export function delta(before: Counters, after: Counters): Counters {
  const out: Counters = new Map();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

export interface RequestSummary {
  total: number;
  byVerb: Record<string, number>;
  /** `VERB group/resource` → count */
  byResource: Record<string, number>;
  byCode: Record<string, number>;
}

export function summarize(d: Counters): RequestSummary {
  const s: RequestSummary = { total: 0, byVerb: {}, byResource: {}, byCode: {} };
  for (const [key, n] of [...d].sort(([a], [b]) => a.localeCompare(b))) {
    const k = splitKey(key);
    if (!isIpamRequest(k)) continue;
    s.total += n;
    s.byVerb[k.verb] = (s.byVerb[k.verb] ?? 0) + n;
    const r = `${k.verb} ${k.group === "core" ? "" : `${k.group}/`}${k.resource}`;
    s.byResource[r] = (s.byResource[r] ?? 0) + n;
    s.byCode[k.code] = (s.byCode[k.code] ?? 0) + n;
  }
  return s;
}

export async function scrapeRequests(api: ApiClient): Promise<Counters> {
  const text = await api.request<string>("GET", "/metrics", { timeoutMs: 60_000 });
  return parseRequestCounters(String(text));
}

/** etcd's database size (bytes), from its plain-HTTP metrics endpoint. */
export async function etcdDbBytes(etcdPort: number): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${etcdPort}/metrics`)).text();
    const m = /^etcd_mvcc_db_total_size_in_bytes (\S+)/m.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
