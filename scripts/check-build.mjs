// `pepr build` exits 0 even when type checking failed and nothing was written (pepr 1.1.4), so
// the build script verifies its outputs exist.
import fs from "node:fs";
const uuid = JSON.parse(fs.readFileSync("package.json", "utf8")).pepr.uuid;
const expected = [`dist/pepr-module-${uuid}.yaml`];
const missing = expected.filter(f => !fs.existsSync(f));
if (missing.length) {
  console.error(`build: pepr build produced no ${missing.join(", ")}`);
  process.exit(1);
}
