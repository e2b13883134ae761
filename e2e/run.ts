/**
 * `npm run test:e2e`: brings the real local cluster up, runs every e2e suite against it with
 * mocha, and tears it down again, whatever the outcome. Extra arguments go to mocha
 * (e.g. `npm run test:e2e -- --grep smoke`). With SPIDERPOOL_E2E_REUSE=1 an already running
 * cluster (from `npm run cluster:up`) is used and left running. SPIDERPOOL_E2E_NODES sets the
 * number of simulated nodes, SPIDERPOOL_E2E_REAL_NODES that of real ones (kubelet + containerd),
 * SPIDERPOOL_E2E_INSTALL=deployed gives the real node its agent and the Pepr module from the
 * manifests, SPIDERPOOL_E2E_INSTALL=helm from the Helm chart.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { down, loadState, up } from "./cluster/cluster.js";
import { INSTALL_MODES, type InstallMode } from "./cluster/deployed-install.js";
import { repoRoot } from "./cluster/paths.js";

const say = (l: string) => process.stderr.write(`${l}\n`);

async function main(): Promise<number> {
  const reuse = process.env.SPIDERPOOL_E2E_REUSE === "1" && loadState() !== undefined;
  const started = Date.now();
  const realNodes = Number(process.env.SPIDERPOOL_E2E_REAL_NODES ?? 0);
  if (!Number.isInteger(realNodes) || realNodes < 0)
    throw new Error(
      `SPIDERPOOL_E2E_REAL_NODES must be a whole number, got ${JSON.stringify(process.env.SPIDERPOOL_E2E_REAL_NODES)}`,
    );
  const install = (process.env.SPIDERPOOL_E2E_INSTALL ?? "processes") as InstallMode;
  if (!INSTALL_MODES.includes(install))
    throw new Error(
      `SPIDERPOOL_E2E_INSTALL must be one of ${INSTALL_MODES.join(", ")}, got ${JSON.stringify(install)}`,
    );
  if (!reuse)
    await up({
      nodes: Number(process.env.SPIDERPOOL_E2E_NODES ?? 5),
      realNodes,
      install,
      log: say,
    });
  say(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  try {
    const mocha = path.join(repoRoot, "node_modules/mocha/bin/mocha.js");
    const r = spawnSync(
      process.execPath,
      [mocha, "--config", path.join(repoRoot, "e2e/.mocharc.json"), ...process.argv.slice(2)],
      {
        stdio: "inherit",
        cwd: repoRoot,
      },
    );
    return r.status ?? 1;
  } finally {
    if (!reuse) await down(say);
  }
}

main().then(
  code => process.exit(code),
  (e: Error) => {
    say(`error: ${e.message}`);
    process.exit(1);
  },
);
