// `pepr build` (pepr 1.1.4) prints esbuild's per-file size listing (~400 lines) on every run and
// exits 0 even when type checking failed and nothing was written. This wrapper keeps the build
// quiet: on success one line per output plus any warning block; on failure the whole output.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const uuid = JSON.parse(fs.readFileSync("package.json", "utf8")).pepr.uuid;
const outputs = [`dist/pepr-module-${uuid}.yaml`, `dist/pepr-${uuid}.cjs`];
// `-z chart` (npm run build) also writes the module's Helm chart, the subchart of ours
// (scripts/build-chart.ts): one build, so the chart and the manifest carry the same certificates.
const args = process.argv.slice(2);
const zarf = args.findIndex(a => a === "-z" || a === "--zarf");
if (zarf >= 0 && args[zarf + 1] === "chart") {
  fs.rmSync(`dist/${uuid}-chart`, { recursive: true, force: true });
  outputs.push(`dist/${uuid}-chart/Chart.yaml`);
}
for (const f of outputs) fs.rmSync(f, { force: true });

const run = spawnSync("npx", ["pepr", "build", ...args], {
  encoding: "utf8",
  env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
  maxBuffer: 64 * 1024 * 1024,
});
const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
const missing = outputs.filter(f => !fs.existsSync(f));
if (run.status !== 0 || missing.length) {
  process.stderr.write(output);
  process.stderr.write(
    `pepr build: ${run.status !== 0 ? `exit code ${run.status}` : `produced no ${missing.join(", ")}`}\n`,
  );
  process.exit(1);
}

// esbuild's warning blocks start with "▲ [WARNING]" and end at the next blank-line pair.
const warnings = output.split(/\n(?=▲ \[WARNING\])/).filter(b => b.startsWith("▲ [WARNING]"));
for (const w of warnings) process.stderr.write(`${w.split("\n\n\n")[0].trimEnd()}\n\n`);
for (const f of outputs)
  process.stdout.write(`${f.padEnd(40)} ${(fs.statSync(f).size / 1024).toFixed(1)} KiB\n`);
