/**
 * `npm run demo`: a local cluster (reused when one is up), a sample Deployment and StatefulSet,
 * and a table of where each pod runs and which address it holds. The cluster stays up for
 * exploring with kubectl; `npm run cluster:down` removes it.
 */
import fs from "node:fs";
import path from "node:path";
import { adminClient, loadState, up } from "./cluster/cluster.js";
import { paths, repoRoot } from "./cluster/paths.js";
import { apply, listPods, waitRunning } from "./support/kube.js";

const say = (l: string) => process.stderr.write(`${l}\n`);

async function main(): Promise<void> {
  if (!loadState()) await up({ nodes: 3, log: say });
  const api = adminClient();
  const file = path.join(repoRoot, "manifests/samples/demo.yaml");
  say(`applying ${path.relative(repoRoot, file)}`);
  apply(fs.readFileSync(file, "utf8"));
  await waitRunning(api, "demo", "app=demo-web", 3, 120_000);
  await waitRunning(api, "demo", "app=demo-db", 2, 120_000);
  const pods = await listPods(api, "demo");
  const rows = pods
    .filter(p => !p.metadata.deletionTimestamp)
    .map(p => [
      p.metadata.name,
      p.spec.nodeName ?? "",
      (p.status?.podIPs ?? []).map(x => x.ip).join(","),
    ]);
  const header = ["POD", "NODE", "IP"];
  const width = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(width[i]!)).join("  ");
  process.stdout.write(
    [line(header), ...rows.sort((a, b) => a[0]!.localeCompare(b[0]!)).map(line)].join("\n") + "\n",
  );
  say(`\nkubectl --kubeconfig ${paths.kubeconfig} get pods -n demo -o wide   # explore`);
  say("npm run cluster:down                                                 # remove the cluster");
  api.close();
}

main().catch((e: Error) => {
  say(`error: ${e.message}`);
  process.exit(1);
});
