import type { ClusterReads } from "./cluster-reads.js";
import { checkFindings, type Finding } from "./check-findings.js";
import type { CommandResult } from "./output.js";
import { statefulSetWantsPod } from "./release-command.js";
import { table } from "./table.js";

/** `spiderpool check [-n NS]`: the leak report; exit 1 when there are findings. Writes nothing. */
export async function checkCommand(
  reads: ClusterReads,
  namespace: string | undefined,
): Promise<CommandResult> {
  const [pools, claims, pods] = await Promise.all([
    reads.pools(),
    reads.claims(),
    reads.pods(namespace),
  ]);
  const present = new Map(pods.map(p => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const statefulSetWants = new Set<string>();
  for (const c of claims) {
    if (!c.spec.static || (namespace && c.spec.podNamespace !== namespace)) continue;
    const pod = present.get(`${c.spec.podNamespace}/${c.spec.podName}`);
    if (pod && pod.metadata.uid === c.spec.podUID) continue; // its own Pod decides
    if (await statefulSetWantsPod(reads, c.spec.podNamespace, c.spec.podName))
      statefulSetWants.add(c.metadata.name);
  }
  const items = checkFindings({
    pools,
    claims,
    pods,
    statefulSetWants,
    ...(namespace ? { namespace } : {}),
  });
  const scope = namespace ? `namespace ${namespace}` : "all namespaces";
  return {
    kind: "CheckReport",
    body: { ...(namespace ? { namespace } : {}), items },
    exit: items.length ? 1 : 0,
    table: () =>
      items.length
        ? [
            table(["TYPE", "ADDRESS", "POOL", "POD", "NODE", "REASON"], items.map(row)),
            "",
            `${items.length} finding(s) in ${scope}; save with -o json and free the leaked claims with release --from-report FILE`,
          ].join("\n")
        : `no findings: ${claims.length} claim(s), ${pods.length} Pod(s), ${pools.length} pool(s) checked in ${scope}`,
  };
}

function row(f: Finding): string[] {
  switch (f.type) {
    case "LeakedClaim":
    case "UnclaimedPodAddress":
      return [f.type, f.address, f.pool, f.pod, f.node, f.reason];
    case "PoolStatusMismatch":
      return [f.type, "", f.pool, "", "", f.reason];
  }
}
