import { loadState } from "../cluster/cluster.js";

export interface Scrape {
  /** The exposition text as served. */
  text: string;
  /** The value of an unlabelled series, 0 when absent. */
  value(name: string): number;
  /** Metric families declared with `# TYPE`, name → type. */
  types: Map<string, string>;
}

/** `GET /metrics` on a node's agent ops port (SPIDERPOOL_HEALTH_PORT, recorded in the cluster state). */
export async function scrapeAgent(node: string): Promise<Scrape> {
  const agent = loadState()?.agents[node] as { healthPort?: number } | undefined;
  if (!agent?.healthPort) throw new Error(`no health port recorded for the agent of ${node}`);
  const res = await fetch(`http://127.0.0.1:${agent.healthPort}/metrics`);
  if (res.status !== 200)
    throw new Error(`GET /metrics on the agent of ${node}: HTTP ${res.status}`);
  const text = await res.text();
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (m) values.set(m[1]!, Number(m[2]));
  }
  return { text, types, value: name => values.get(name) ?? 0 };
}
