/**
 * `npm run cluster:up -- --nodes N [--real-nodes M] [--install processes|deployed|helm]` and `npm run cluster:down`. Failures print one line naming
 * the step and the log to read.
 */
import { parseArgs } from "node:util";
import { down, up } from "./cluster.js";
import { inCluster, INSTALL_MODES, type InstallMode } from "./deployed-install.js";
import { paths } from "./paths.js";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    nodes: { type: "string", default: "3" },
    "real-nodes": { type: "string", default: "0" },
    install: { type: "string", default: "processes" },
  },
});

const say = (l: string) => process.stderr.write(`${l}\n`);

async function main(): Promise<void> {
  const cmd = positionals[0];
  if (cmd === "up") {
    const nodes = Number(values.nodes);
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50)
      throw new Error(`--nodes must be an integer 1..50, got ${JSON.stringify(values.nodes)}`);
    const realNodes = Number(values["real-nodes"]);
    if (!Number.isInteger(realNodes) || realNodes < 0 || realNodes > 8)
      throw new Error(
        `--real-nodes must be an integer 0..8, got ${JSON.stringify(values["real-nodes"])}`,
      );
    const install = values.install as InstallMode;
    if (!INSTALL_MODES.includes(install))
      throw new Error(
        `--install must be one of ${INSTALL_MODES.join(", ")}, got ${JSON.stringify(values.install)}`,
      );
    if (inCluster(install) && realNodes !== 1)
      throw new Error(`--install ${install} needs --real-nodes 1, got ${realNodes}`);
    const s = await up({ nodes, realNodes, install, log: say });
    say(
      `cluster up: API https://127.0.0.1:${s.ports.api}, ${s.nodes.length} simulated and ${s.realNodes?.length ?? 0} real nodes; kubeconfig ${paths.kubeconfig}`,
    );
    say(`try: kubectl --kubeconfig ${paths.kubeconfig} get nodes`);
  } else if (cmd === "down") {
    await down(say);
    say("cluster down");
  } else {
    throw new Error(`unknown command ${JSON.stringify(cmd)}; use up or down`);
  }
}

main().catch((e: Error) => {
  say(`error: ${e.message}`);
  process.exit(1);
});
