/**
 * `cluster:up --install deployed`: the real node gets the agent as a user's cluster does, from the
 * DaemonSet of manifests/ applied with kubectl, running the agent image cluster:up loaded into
 * the node; the agent authenticates with its ServiceAccount's token. A kustomize overlay over
 * manifests/ changes only what this machine needs: the DaemonSet's host directories are the real
 * node's own (its CNI directory, its socket directory, the cluster's log directory), not the
 * machine's /opt/cni/bin and /var/run, and it stays off the simulated nodes, whose agents remain
 * host processes. README, "Local cluster": real nodes.
 */
import fs from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { clusterDir, paths, repoRoot } from "./paths.js";
import type { RealNode } from "./real-node.js";
import { REAL_NODE_LABEL } from "./real-node.js";
import { waitUntil } from "./readiness.js";
import { runStep } from "./run-step.js";
import { socketOf } from "./spiderpool-install.js";
import { StepError } from "./step-error.js";

/**
 * How our components reach the real nodes: host processes (the default), the manifests
 * (`deployed`, this file) or the Helm chart (`helm`, helm-install.ts). Both of the latter run the
 * agent DaemonSet and the Pepr module in-cluster on the one real node.
 */
export const INSTALL_MODES = ["processes", "deployed", "helm"] as const;
export type InstallMode = (typeof INSTALL_MODES)[number];

/** Whether `mode` runs the real node's agent and the Pepr module in-cluster. */
export function inCluster(mode: InstallMode | undefined): boolean {
  return mode === "deployed" || mode === "helm";
}

export const deployDir = path.join(clusterDir, "deploy");

/** The agent DaemonSet's selector label (manifests/agent/daemonset.yaml). */
export const AGENT_POD_SELECTOR = "app.kubernetes.io/name=spiderpool-agent";

/** Where containerd keeps the pods' network namespaces (netns_mounts_under_state_dir). */
export function containerdNetnsDir(n: RealNode): string {
  return path.join(n.layout.dir, "containerd", "state", "netns");
}

/**
 * The overlay: manifests/ with the DaemonSet's host paths pointing into the real node's
 * directory. Container paths equal host paths, because the plugin (run by containerd on the
 * host) checks the netconf's socket and log paths against the directories the installer writes.
 */
export function agentOverlay(n: RealNode): string {
  const runDir = path.dirname(socketOf(n.name));
  const logDir = paths.logs;
  const dirs = [
    { name: "SPIDERPOOL_PLUGIN_LOG_DIR", value: logDir },
    { name: "SPIDERPOOL_PLUGIN_RUN_DIR", value: runDir },
  ];
  const patch = {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "spiderpool-agent", namespace: "kube-system" },
    spec: {
      template: {
        spec: {
          nodeSelector: { [REAL_NODE_LABEL]: "true" },
          initContainers: [{ name: "install-cni", env: dirs }],
          containers: [
            {
              name: "agent",
              env: [...dirs, { name: "SPIDERPOOL_IPAM_SOCKET", value: socketOf(n.name) }],
              volumeMounts: [
                { name: "spidernet-run", mountPath: runDir },
                { name: "spidernet-log", mountPath: logDir },
              ],
            },
          ],
          volumes: [
            { name: "cni-bin", hostPath: { path: n.layout.cniBinDir } },
            { name: "spidernet-run", hostPath: { path: runDir } },
            { name: "spidernet-log", hostPath: { path: logDir } },
            { name: "netns", hostPath: { path: containerdNetnsDir(n) } },
          ],
        },
      },
    },
  };
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: [path.relative(deployDir, path.join(repoRoot, "manifests"))],
    patches: [{ path: "agent-node-dirs.yaml" }],
  };
  fs.mkdirSync(deployDir, { recursive: true });
  fs.writeFileSync(path.join(deployDir, "agent-node-dirs.yaml"), stringify(patch));
  fs.writeFileSync(path.join(deployDir, "kustomization.yaml"), stringify(kustomization));
  return deployDir;
}

/**
 * The one real node an in-cluster install targets (the DaemonSet or the chart's values name that
 * node's directories), with the agent's socket directory and containerd's netns directory made.
 */
export function theRealNode(realNodes: RealNode[], mode: InstallMode): RealNode {
  const [n] = realNodes;
  if (realNodes.length !== 1 || !n)
    throw new StepError(
      "deploy",
      `--install ${mode} takes exactly one real node (its DaemonSet names that node's directories), got ${realNodes.length}`,
    );
  fs.mkdirSync(path.dirname(socketOf(n.name)), { recursive: true });
  fs.mkdirSync(containerdNetnsDir(n), { recursive: true });
  return n;
}

/**
 * Applies the manifests through the overlay with the cluster's kubectl, as the README's kustomize
 * path does, and waits until the agent pod on each real node is Ready.
 */
export async function deployAgent(
  api: ApiClient,
  binDir: string,
  realNodes: RealNode[],
): Promise<void> {
  const n = theRealNode(realNodes, "deployed");
  const dir = agentOverlay(n);
  const log = paths.log("deploy");
  runStep(
    "deploy: kubectl apply -k manifests (real node overlay)",
    path.join(binDir, "kubectl"),
    ["--kubeconfig", paths.kubeconfig, "apply", "--server-side", "--force-conflicts", "-k", dir],
    log,
  );
  await waitAgentPodReady(api, n.name);
}

/**
 * The agent pod on `node`, once it is Running and Ready (the DaemonSet's own readiness). A
 * timeout names what the pod last looked like: its phase and its containers' states.
 */
export async function waitAgentPodReady(api: ApiClient, node: string): Promise<Pod> {
  const step = `deploy: agent pod Ready on ${node}`;
  let last = "no pod";
  let found: Pod | undefined;
  try {
    await waitUntil(
      step,
      async () => {
        const l = await api.get<KubeList<Pod>>("/api/v1/namespaces/kube-system/pods", {
          labelSelector: AGENT_POD_SELECTOR,
          fieldSelector: `spec.nodeName=${node}`,
        });
        const live = l.items.filter(p => !p.metadata.deletionTimestamp);
        if (live.length) last = JSON.stringify(live.map(p => p.status));
        found = live.find(
          p =>
            p.status?.phase === "Running" &&
            (p.status.conditions ?? []).some(c => c.type === "Ready" && c.status === "True"),
        );
        return found !== undefined;
      },
      180_000,
    );
  } catch (e) {
    if (e instanceof StepError) throw new StepError(step, `${e.message}; last seen: ${last}`);
    throw e;
  }
  return found!;
}
