import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { selectPools } from "../lib/core/selection/pool-selection.js";
import { collectCandidates } from "../lib/core/selection/pool-sources.js";
import type { KubeApi } from "../lib/k8s/api-client.js";
import { loadConfig } from "../lib/k8s/config-source.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import type { Command, GlobalOptions } from "./args.js";
import type { ClusterReads } from "./cluster-reads.js";
import { CliError } from "./cli-error.js";
import { formatExplanation } from "./explain-format.js";
import { awaitingImport } from "./pool-usage.js";
import { selectionInputFor } from "./selection-request.js";

type Explain = Extract<Command, { name: "explain" }>;

/**
 * `spiderpool explain`: gathers what the node's agent would see for this Pod (its Namespace,
 * Node, pools, claims, reserved IPs, top controller, the ConfigMap) and runs the agent's pool
 * selection on it. Nothing is written.
 */
export async function explainCommand(
  api: KubeApi,
  reads: ClusterReads,
  global: GlobalOptions,
  cmd: Explain,
): Promise<string> {
  const pod =
    cmd.target.kind === "file"
      ? podFromFile(cmd.target.path)
      : await reads.pod(cmd.target.namespace, cmd.target.name);
  if (!pod) {
    const t = cmd.target as { namespace: string; name: string };
    throw new CliError("not_found", `Pod ${t.namespace}/${t.name} not found`);
  }
  const nodeName = pod.spec.nodeName || cmd.node;
  if (!nodeName)
    throw new CliError(
      "usage",
      `Pod ${pod.metadata.namespace}/${pod.metadata.name} is not bound to a node yet; say which node to assume with --node NODE`,
    );
  const [node, namespace, pools, claims, reserved, owners] = await Promise.all([
    reads.node(nodeName),
    reads.namespace(pod.metadata.namespace ?? "default"),
    reads.pools(),
    reads.claims(),
    reads.reserved(),
    reads.owners(pod),
  ]);
  if (!node) throw new CliError("not_found", `Node ${JSON.stringify(nodeName)} not found`);
  if (!namespace)
    throw new CliError(
      "not_found",
      `Namespace ${JSON.stringify(pod.metadata.namespace)} not found`,
    );
  // Warnings (keys the components accept but do not act on) are theirs to log; the CLI only needs the switches.
  const { config } = await loadConfig(api, { SPIDERPOOL_NAMESPACE: global.namespace }).catch(
    (e: Error) => {
      throw new CliError("api", `ConfigMap ${global.namespace}/spiderpool-conf: ${e.message}`);
    },
  );
  const input = selectionInputFor({
    pod,
    node: { name: nodeName, labels: node.metadata.labels ?? {} },
    namespace: {
      labels: namespace.metadata.labels ?? {},
      annotations: namespace.metadata.annotations ?? {},
    },
    pools,
    claims,
    reserved,
    owners,
    ifName: cmd.nic,
    netconf: { defaultIPv4IPPool: cmd.defaultIPv4IPPool, defaultIPv6IPPool: cmd.defaultIPv6IPPool },
    config,
    agentNamespace: global.namespace,
    ...(cmd.clusterNetwork ? { clusterNetwork: cmd.clusterNetwork } : {}),
  });
  const candidates = collectCandidates(input);
  return formatExplanation({
    pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
    uid: pod.metadata.uid ?? "",
    node: nodeName,
    nodeAssumed: !pod.spec.nodeName,
    ifName: cmd.nic,
    pools: input.pools,
    result: selectPools(input),
    ...(candidates.ok ? { sources: new Map(candidates.value.map(c => [c.nic, c.source])) } : {}),
    awaitingImport: awaitingImport(pools, claims),
  });
}

/** A Pod manifest from a file (YAML or JSON), for a Pod not created yet. */
export function podFromFile(path: string): Pod {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new CliError(
      "bad_file",
      `${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new CliError(
      "bad_file",
      `${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`,
    );
  }
  const o = doc as Partial<Pod> & { kind?: string };
  if (typeof doc !== "object" || doc === null || o.kind !== "Pod")
    throw new CliError(
      "bad_file",
      `${path}: expected a Pod manifest (kind: Pod), got kind ${JSON.stringify(o?.kind ?? null)}`,
    );
  if (!o.metadata?.name) throw new CliError("bad_file", `${path}: metadata.name is required`);
  return {
    ...o,
    metadata: { ...o.metadata, namespace: o.metadata.namespace ?? "default" },
    spec: o.spec ?? { containers: [] },
  } as Pod;
}
