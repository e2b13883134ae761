import { loadState } from "../cluster/cluster.js";

export interface Scrape {
  /** The exposition text as served. */
  text: string;
  /** The value of an unlabelled series, 0 when absent. */
  value(name: string): number;
  /** The value of a series with exactly these labels (in the order served), undefined when absent. */
  labelled(name: string, labels: Record<string, string>): number | undefined;
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
  return parseScrape(await res.text());
}

/** `GET /metrics` on the watcher's metrics port (SPIDERPOOL_METRIC_HTTP_PORT, recorded in the cluster state). */
export async function scrapeWatcher(): Promise<Scrape> {
  const watcher = loadState()?.pepr.find(d => d.name === "pepr-watcher") as
    | { metricsPort?: number }
    | undefined;
  if (!watcher?.metricsPort) throw new Error("no metrics port recorded for the watcher");
  const res = await fetch(`http://127.0.0.1:${watcher.metricsPort}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics on the watcher: HTTP ${res.status}`);
  return parseScrape(await res.text());
}

function parseScrape(text: string): Scrape {
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) values.set(m[1]!, Number(m[2]));
  }
  return {
    text,
    types,
    value: name => values.get(name) ?? 0,
    labelled: (name, labels) =>
      values.get(
        `${name}{${Object.entries(labels)
          .map(([k, v]) => `${k}="${v}"`)
          .join(",")}}`,
      ),
  };
}
