/**
 * The report's chart, drawn by hand as SVG: per storm, the number of Pods holding an address
 * against seconds since the storm's first call, one line per system. The time axis is
 * logarithmic so that a system finishing in one second and one needing ten minutes both stay
 * readable in the same panel. Pure: data in, markup out.
 */
export interface Series {
  label: string;
  color: string;
  /** Seconds since the storm started at which each successful ADD returned. */
  times: number[];
}

export interface Panel {
  title: string;
  pods: number;
  series: Series[];
}

const W = 470;
const H = 270;
const M = { l: 52, r: 14, t: 28, b: 38 };
const MAX_POINTS = 240;

export const SYSTEM_COLORS: Record<string, string> = {
  ours: "#d62728",
  whereabouts: "#1f77b4",
  "runtime-floor": "#2ca02c",
  "static-floor": "#7f7f7f",
};

export function timelineSvg(panels: Panel[], columns = 2): string {
  const rows = Math.ceil(panels.length / columns);
  const legendH = 30;
  const width = W * Math.min(columns, panels.length);
  const height = H * rows + legendH;
  const all = panels.flatMap(p => p.series.flatMap(s => s.times)).filter(t => t > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(1e-3, Math.min(...all, 1)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 1))));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
  ];
  const legend = panels[0]?.series ?? [];
  let x = 12;
  for (const s of legend) {
    parts.push(
      `<line x1="${x}" y1="15" x2="${x + 22}" y2="15" stroke="${s.color}" stroke-width="2.5"/>`,
      `<text x="${x + 28}" y="19">${esc(s.label)}</text>`,
    );
    x += 28 + s.label.length * 6.5 + 24; // about 6.5 px a character at 11 px sans-serif
  }
  panels.forEach((p, i) =>
    parts.push(panel(p, (i % columns) * W, legendH + Math.floor(i / columns) * H, lo, hi)),
  );
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

function panel(p: Panel, ox: number, oy: number, lo: number, hi: number): string {
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const x = (t: number) =>
    ox +
    M.l +
    ((Math.log10(Math.max(t, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * pw;
  const y = (n: number) => oy + M.t + ph - (n / Math.max(1, p.pods)) * ph;
  const out: string[] = [
    `<g>`,
    `<text x="${ox + M.l}" y="${oy + 16}" font-weight="bold">${esc(p.title)}</text>`,
  ];
  out.push(
    `<rect x="${ox + M.l}" y="${oy + M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  );
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const xx = x(d).toFixed(1);
    out.push(`<line x1="${xx}" y1="${oy + M.t}" x2="${xx}" y2="${oy + M.t + ph}" stroke="#eee"/>`);
    out.push(
      `<text x="${xx}" y="${oy + M.t + ph + 14}" text-anchor="middle">${fmtSeconds(d)}</text>`,
    );
  }
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const yy = y(f * p.pods).toFixed(1);
    out.push(`<line x1="${ox + M.l}" y1="${yy}" x2="${ox + M.l + pw}" y2="${yy}" stroke="#eee"/>`);
    out.push(
      `<text x="${ox + M.l - 6}" y="${(Number(yy) + 4).toFixed(1)}" text-anchor="end">${Math.round(f * p.pods)}</text>`,
    );
  }
  out.push(
    `<text x="${ox + M.l + pw / 2}" y="${oy + H - 6}" text-anchor="middle">seconds since the storm started (log scale)</text>`,
  );
  out.push(
    `<text transform="translate(${ox + 13},${oy + M.t + ph / 2}) rotate(-90)" text-anchor="middle">pods holding an address</text>`,
  );
  for (const s of p.series) {
    const t = [...s.times].sort((a, b) => a - b);
    if (!t.length) continue;
    const step = Math.max(1, Math.ceil(t.length / MAX_POINTS));
    const pts: string[] = [`${x(t[0]!).toFixed(1)},${y(0).toFixed(1)}`];
    for (let i = 0; i < t.length; i += step)
      pts.push(`${x(t[i]!).toFixed(1)},${y(i + 1).toFixed(1)}`);
    pts.push(`${x(t[t.length - 1]!).toFixed(1)},${y(t.length).toFixed(1)}`);
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(" ")}"/>`,
    );
  }
  out.push("</g>");
  return out.join("\n");
}

export function fmtSeconds(s: number): string {
  return s >= 1 ? `${Math.round(s)} s` : `${Number(s.toPrecision(1))} s`;
}

function esc(t: string): string {
  return t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
