import { selectPools } from "../lib/core/selection/pool-selection.js";
import { collectCandidates } from "../lib/core/selection/pool-sources.js";
import type { OwnerLookup } from "../lib/core/selection/top-controller.js";
import type { KubeApi } from "../lib/k8s/api-client.js";
import { loadConfig } from "../lib/k8s/config-source.js";
import type { Pod } from "../lib/k8s/core-kinds.js";
import type { Command, GlobalOptions } from "./args.js";
import type { ClusterReads } from "./cluster-reads.js";
import { CliError } from "./cli-error.js";
import { readDocumentFile } from "./document-file.js";
import { formatExplanation } from "./explain-format.js";
import type { CommandResult } from "./output.js";
import { awaitingImport } from "./pool-usage.js";
import { selectionInputFor } from "./selection-request.js";

type Explain = Extract<Command, { name: "explain" }>;

/** A Pod to explain: one that exists, one from a file, or a workload's Pod template. */
export interface Subject {
  readonly pod: Pod;
  readonly origin: "pod" | "file" | "template";
  /** `deployment/NAME` or `statefulset/NAME` when the Pod is (or would be) one of its. */
  readonly workload?: string;
  /** Replaces the owner lookup for a template Pod, whose ReplicaSet does not exist. */
  readonly owners?: OwnerLookup;
}

/**
 * `spiderpool explain`: gathers what the node's agent would see for the Pod (its Namespace,
 * Node, pools, claims, reserved IPs, top controller, the ConfigMap) and runs the agent's pool
 * selection on it. For a Deployment or StatefulSet, each of its Pods (what they got), or its Pod
 * template when it has none (what they would get). Nothing is written.
 */
export async function explainCommand(
  api: KubeApi,
  reads: ClusterReads,
  global: GlobalOptions,
  cmd: Explain,
): Promise<CommandResult> {
  const subjects = await explainSubjects(reads, cmd);
  const [pools, claims, reserved] = await Promise.all([
    reads.pools(),
    reads.claims(),
    reads.reserved(),
  ]);
  // Warnings (keys the components accept but do not act on) are theirs to log; the CLI only needs the switches.
  const { config } = await loadConfig(api, { SPIDERPOOL_NAMESPACE: global.agentNamespace }).catch(
    (e: Error) => {
      throw new CliError("api", `ConfigMap ${global.agentNamespace}/spiderpool-conf: ${e.message}`);
    },
  );
  const items: { text: string; doc: Record<string, unknown> }[] = [];
  for (const subject of subjects) {
    const { pod } = subject;
    const nodeName = pod.spec.nodeName || cmd.node;
    if (!nodeName)
      throw new CliError(
        "usage",
        `${subject.origin === "template" ? `the Pod template of ${subject.workload}` : `Pod ${pod.metadata.namespace}/${pod.metadata.name}`} is not bound to a node yet; say which node to assume with --node NODE`,
      );
    const [node, namespace, owners] = await Promise.all([
      reads.node(nodeName),
      reads.namespace(pod.metadata.namespace ?? "default"),
      subject.owners ?? reads.owners(pod),
    ]);
    if (!node) throw new CliError("not_found", `Node ${JSON.stringify(nodeName)} not found`);
    if (!namespace)
      throw new CliError(
        "not_found",
        `Namespace ${JSON.stringify(pod.metadata.namespace)} not found`,
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
      netconf: {
        defaultIPv4IPPool: cmd.defaultIPv4IPPool,
        defaultIPv6IPPool: cmd.defaultIPv6IPPool,
      },
      config,
      agentNamespace: global.agentNamespace,
      ...(cmd.clusterNetwork ? { clusterNetwork: cmd.clusterNetwork } : {}),
    });
    const candidates = collectCandidates(input);
    const result = selectPools(input);
    const text = formatExplanation({
      pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
      uid: pod.metadata.uid ?? "",
      node: nodeName,
      nodeAssumed: !pod.spec.nodeName,
      ifName: cmd.nic,
      pools: input.pools,
      result,
      ...(candidates.ok ? { sources: new Map(candidates.value.map(c => [c.nic, c.source])) } : {}),
      awaitingImport: awaitingImport(pools, claims),
    });
    const head =
      subject.origin === "template"
        ? `${subject.workload} has no Pods: its Pod template, as ${pod.metadata.name} would be\n`
        : "";
    items.push({
      text: head + text,
      doc: {
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        uid: pod.metadata.uid ?? "",
        origin: subject.origin,
        ...(subject.workload ? { workload: subject.workload } : {}),
        node: nodeName,
        nodeAssumed: !pod.spec.nodeName,
        interface: cmd.nic,
        ok: result.ok,
        ...(result.ok ? { nics: result.value } : { error: result.error }),
        result:
          text
            .split("\n")
            .at(-1)
            ?.replace(/^result: /, "") ?? "",
      },
    });
  }
  return {
    kind: "ExplanationList",
    body: { items: items.map(i => i.doc) },
    table: () => items.map(i => i.text).join("\n\n"),
  };
}

export async function explainSubjects(reads: ClusterReads, cmd: Explain): Promise<Subject[]> {
  const t = cmd.target;
  if (t.kind === "file") return [{ pod: podFromFile(t.path), origin: "file" }];
  // run.ts fills in the context's namespace; `default` is kubectl's own fallback.
  const ns = t.namespace ?? "default";
  if (t.kind === "pod") {
    const pod = await reads.pod(ns, t.name);
    if (!pod) throw new CliError("not_found", `Pod ${ns}/${t.name} not found`);
    return [{ pod, origin: "pod" }];
  }
  const kindName = t.kind === "deployment" ? "Deployment" : "StatefulSet";
  const workload = await reads.workload(t.kind, ns, t.name);
  if (!workload) throw new CliError("not_found", `${kindName} ${ns}/${t.name} not found`);
  const ref = `${t.kind}/${t.name}`;
  const uid = workload.metadata.uid ?? "";
  const controlledBy = (
    o: { metadata: { ownerReferences?: { controller?: boolean; uid: string }[] } },
    uids: ReadonlySet<string>,
  ) => (o.metadata.ownerReferences ?? []).some(r => r.controller && uids.has(r.uid));
  const owners =
    t.kind === "deployment"
      ? new Set(
          (await reads.replicaSets(ns))
            .filter(rs => controlledBy(rs, new Set([uid])))
            .map(rs => rs.metadata.uid ?? ""),
        )
      : new Set([uid]);
  const pods = (await reads.pods(ns))
    .filter(p => controlledBy(p, owners))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  if (pods.length) return pods.map(pod => ({ pod, origin: "pod" as const, workload: ref }));

  // No Pods yet: the template, owned as the controller would own it, so the top controller (and
  // with it auto pools and StatefulSet rules) is what the real Pods will have.
  const tpl = workload.spec.template;
  const controller = { apiVersion: "apps/v1", kind: kindName, name: t.name, uid, controller: true };
  const replicaSet = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    name: `${t.name}-template`,
    uid: "",
    controller: true,
  };
  const pod: Pod = {
    metadata: {
      ...tpl.metadata,
      namespace: ns,
      name: t.kind === "statefulset" ? `${t.name}-0` : `${t.name}-template`,
      ownerReferences: [t.kind === "statefulset" ? controller : replicaSet],
    },
    spec: { ...tpl.spec },
  };
  return [
    {
      pod,
      origin: "template",
      workload: ref,
      ...(t.kind === "deployment"
        ? {
            owners: (kind: string, namespace: string, name: string) =>
              kind === "ReplicaSet" && namespace === ns && name === replicaSet.name
                ? { uid: "", ownerReferences: [controller] }
                : undefined,
          }
        : {}),
    },
  ];
}

/** A Pod manifest from a file (YAML or JSON), for a Pod not created yet. */
export function podFromFile(path: string): Pod {
  const doc = readDocumentFile(path);
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
