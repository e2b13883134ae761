/**
 * `npx tsx bench/scale-chart.ts bench/results/cluster-*.json`: the chart of
 * docs/concepts/scale.md, one panel per measure, one bar per run (nodes × Pods), written to
 * docs/concepts/scale-curve.svg.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ClusterResults } from "./cluster-run.js";

interface Panel {
  title: string;
  value: (r: ClusterResults) => number;
  target?: number;
}

const create = (r: ClusterResults) => r.phases.find(p => p.name === "create");

const PANELS: Panel[] = [
  { title: "IPAM API requests per ADD", value: r => r.apiRequestsPerAdd, target: 2.5 },
  {
    title: "watch KiB per agent per ADD",
    value: r => (create(r)?.watch.bytesPerAgentPerAdd ?? 0) / 1024,
  },
  {
    title: "largest agent RSS (MiB)",
    value: r => create(r)?.usage.agents?.maxRssMiB ?? 0,
    target: 100,
  },
  { title: "watcher RSS (MiB)", value: r => create(r)?.usage.watcher?.maxRssMiB ?? 0 },
  { title: "ADD p99 (ms)", value: r => r.addP99Ms },
  {
    title: "agent CPU s per ADD (all agents)",
    value: r => {
      const c = create(r);
      return c && c.adds.calls ? (c.usage.agents?.cpuSeconds ?? 0) / c.adds.calls : 0;
    },
  },
];

export function scaleChart(runs: ClusterResults[]): string {
  const sorted = [...runs].sort((a, b) => a.pods - b.pods || a.nodes - b.nodes);
  const pw = 300;
  const ph = 170;
  const cols = 3;
  const rows = Math.ceil(PANELS.length / cols);
  const W = cols * pw;
  const H = rows * ph + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="10">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="8" y="16" font-size="12">bench:cluster, create phase; bars: nodes/Pods; dashed: target</text>`,
  ];
  PANELS.forEach((p, i) => {
    const x0 = (i % cols) * pw + 40;
    const y0 = Math.floor(i / cols) * ph + 30;
    const w = pw - 55;
    const h = ph - 55;
    const vals = sorted.map(p.value);
    const max = Math.max(...vals, p.target ?? 0) * 1.15 || 1;
    out.push(`<text x="${x0}" y="${y0 + 10}" font-size="11">${p.title}</text>`);
    out.push(
      `<line x1="${x0}" y1="${y0 + 15 + h}" x2="${x0 + w}" y2="${y0 + 15 + h}" stroke="#444"/>`,
    );
    const bw = w / Math.max(1, sorted.length);
    sorted.forEach((r, j) => {
      const v = vals[j]!;
      const bh = (v / max) * h;
      const bx = x0 + j * bw + 2;
      const by = y0 + 15 + h - bh;
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${bh.toFixed(1)}" fill="#4a7ab5"/>`,
        `<text x="${(bx + (bw - 4) / 2).toFixed(1)}" y="${(by - 2).toFixed(1)}" text-anchor="middle">${fmt(v)}</text>`,
        `<text x="${(bx + (bw - 4) / 2).toFixed(1)}" y="${y0 + h + 27}" text-anchor="middle">${r.nodes}/${r.pods}</text>`,
      );
    });
    if (p.target !== undefined) {
      const ty = y0 + 15 + h - (p.target / max) * h;
      out.push(
        `<line x1="${x0}" y1="${ty.toFixed(1)}" x2="${x0 + w}" y2="${ty.toFixed(1)}" stroke="#c33" stroke-dasharray="4 3"/>`,
      );
    }
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** The measures of every run as a Markdown table, for docs/concepts/scale.md. */
export function scaleTable(runs: ClusterResults[]): string {
  const rows = [...runs].sort((a, b) => a.pods - b.pods || a.nodes - b.nodes);
  const cols: [string, (r: ClusterResults) => string | number][] = [
    ["nodes", r => r.nodes],
    ["Pods", r => r.pods],
    ["create wall (s)", r => Math.round((create(r)?.wallMs ?? 0) / 1000)],
    ["ADD p50 / p99 (ms)", r => `${Math.round(r.addP50Ms)} / ${Math.round(r.addP99Ms)}`],
    ["IPAM requests per ADD", r => r.apiRequestsPerAdd],
    ["409s", r => r.conflicts409],
    [
      "watch events / KiB per agent per ADD",
      r => {
        const w = create(r)?.watch;
        return w ? `${w.eventsPerAgentPerAdd} / ${(w.bytesPerAgentPerAdd / 1024).toFixed(2)}` : "";
      },
    ],
    [
      "agent RSS idle / max (MiB)",
      r =>
        `${Math.round(r.agentIdleRssMiB)} / ${Math.round(Math.max(...r.phases.map(p => p.usage.agents?.maxRssMiB ?? 0)))}`,
    ],
    [
      "agent CPU ms per ADD (all agents)",
      r => {
        const c = create(r);
        return c && c.adds.calls
          ? Math.round(((c.usage.agents?.cpuSeconds ?? 0) * 1000) / c.adds.calls)
          : "";
      },
    ],
    [
      "watcher RSS max (MiB) / CPU (s)",
      r =>
        `${Math.round(Math.max(...r.phases.map(p => p.usage.watcher?.maxRssMiB ?? 0)))} / ${r.phases.reduce((s, p) => s + (p.usage.watcher?.cpuSeconds ?? 0), 0).toFixed(1)}`,
    ],
    [
      "apiserver RSS max (MiB) / CPU (s)",
      r =>
        `${Math.round(Math.max(...r.phases.map(p => p.usage.apiserver?.maxRssMiB ?? 0)))} / ${r.phases.reduce((s, p) => s + (p.usage.apiserver?.cpuSeconds ?? 0), 0).toFixed(1)}`,
    ],
    [
      "etcd RSS max (MiB) / CPU (s)",
      r =>
        `${Math.round(Math.max(...r.phases.map(p => p.usage.etcd?.maxRssMiB ?? 0)))} / ${r.phases.reduce((s, p) => s + (p.usage.etcd?.cpuSeconds ?? 0), 0).toFixed(1)}`,
    ],
    ["failures", r => r.failures],
    ["duplicates", r => r.duplicates],
    ["leaks", r => r.leaks],
  ];
  const head = `| ${cols.map(c => c[0]).join(" | ")} |`;
  const sep = `|${cols.map(() => "---:").join("|")}|`;
  return (
    [head, sep, ...rows.map(r => `| ${cols.map(c => c[1](r)).join(" | ")} |`)].join("\n") + "\n"
  );
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const files = process.argv.slice(2);
  if (!files.length) {
    process.stderr.write("usage: npx tsx bench/scale-chart.ts bench/results/cluster-*.json\n");
    process.exit(2);
  }
  const runs = files.map(f => JSON.parse(fs.readFileSync(f, "utf8")) as ClusterResults);
  const out = path.join(
    fileURLToPath(new URL("..", import.meta.url)),
    "docs/concepts/scale-curve.svg",
  );
  fs.writeFileSync(out, scaleChart(runs));
  process.stderr.write(`wrote ${out}\n`);
  process.stdout.write(scaleTable(runs));
}
