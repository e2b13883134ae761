/**
 * `cluster:up --install helm`: the real node gets the agent DaemonSet and the in-cluster Pepr
 * module from the Helm chart, installed with the commands of docs/usage/helm.md: the chart built
 * as `npm run build` builds it (dist/chart/spiderpool, from this source's `pepr build`), then
 * `helm install` with the image values the document names, plus one values file with what only
 * this machine needs: the node's own directories, its label, and the images cluster:up loaded
 * into it. The local cluster has already applied the CRDs and the components' identities (the
 * simulated nodes' agents run as host processes under them), so the install is the document's
 * move from the kustomize path, `--take-ownership --force-conflicts`. README, "Local cluster".
 */
import fs from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { assembleChart, CHART_OUT } from "../../scripts/build-chart.js";
import { agentImageRef, peprControllerRef } from "./component-images.js";
import {
  containerdNetnsDir,
  deployDir,
  theRealNode,
  waitAgentPodReady,
} from "./deployed-install.js";
import { paths } from "./paths.js";
import {
  buildModule,
  moduleUuid,
  preparePeprPodNetwork,
  waitPeprModuleReady,
} from "./pepr-in-cluster.js";
import { REAL_NODE_LABEL, type RealNode } from "./real-node.js";
import { runStep } from "./run-step.js";
import { socketOf } from "./spiderpool-install.js";
import { StepError } from "./step-error.js";

/** The release name and namespace of docs/usage/helm.md. */
export const HELM_RELEASE = { name: "spiderpool", namespace: "kube-system" } as const;

/** The chart the install used: what the suite upgrades. */
export const HELM_CHART = CHART_OUT;

/** `registry`, `repository` and `tag` of an image reference `registry/repository:tag`. */
export function imageParts(ref: string): { registry: string; repository: string; tag: string } {
  const m = /^([^/]+)\/([^:]+):([^:/]+)$/.exec(ref);
  if (!m) throw new StepError("deploy: helm values", `image ${ref} is not registry/repository:tag`);
  return { registry: m[1]!, repository: m[2]!, tag: m[3]! };
}

/**
 * The values only the local real node needs: its directories (container paths equal host
 * paths, as the overlay of deployed-install.ts has them), the agent on the real node alone (the
 * simulated nodes' agents stay host processes), the Pepr pods there too, past its taint, and the
 * tag of the agent image loaded into it.
 */
export function localNodeValues(n: RealNode): Record<string, unknown> {
  const onRealNode = {
    nodeSelector: { [REAL_NODE_LABEL]: "true" },
    tolerations: [{ key: REAL_NODE_LABEL, operator: "Exists", effect: "NoSchedule" }],
  };
  return {
    global: { cniBinHostPath: n.layout.cniBinDir, ipamUNIXSocketHostPath: socketOf(n.name) },
    spiderpoolAgent: {
      image: { tag: imageParts(agentImageRef()).tag },
      hostPaths: { pluginLogDir: paths.logs, netnsDir: containerdNetnsDir(n) },
      nodeSelector: onRealNode.nodeSelector,
    },
    pepr: {
      admission: { image: peprControllerRef(), ...onRealNode },
      watcher: { image: peprControllerRef(), ...onRealNode },
    },
  };
}

/** helm's arguments against this cluster, in the release's namespace. */
export function helmArgs(...args: string[]): string[] {
  return [...args, "-n", HELM_RELEASE.namespace, "--kubeconfig", paths.kubeconfig];
}

/**
 * Builds the chart, installs it and waits until the agent pod and the module's pods are Ready on
 * the real node. The module's pods start without an address until the agent runs; the kubelet
 * retries their sandboxes.
 */
export async function helmInstall(
  api: ApiClient,
  binDir: string,
  realNodes: RealNode[],
  apiPort: number,
  say: (l: string) => void,
): Promise<void> {
  const n = theRealNode(realNodes, "helm");
  const log = paths.log("deploy");
  preparePeprPodNetwork(binDir, n, apiPort);

  say("building the chart (npx pepr build, then npm run chart's assembly into dist/chart)");
  const peprChart = path.join(buildModule(log), `${moduleUuid()}-chart`);
  let chart: string;
  try {
    chart = assembleChart({ peprChart });
  } catch (e) {
    throw new StepError("deploy: npm run chart", (e as Error).message, log);
  }
  const values = path.join(deployDir, "helm-local-node.yaml");
  fs.writeFileSync(values, stringify(localNodeValues(n), { aliasDuplicateObjects: false }));

  const agent = imageParts(agentImageRef());
  say(`helm install ${HELM_RELEASE.name} ${path.relative(process.cwd(), chart)} -f ${values}`);
  runStep(
    "deploy: helm install",
    path.join(binDir, "helm"),
    helmArgs(
      ...["install", HELM_RELEASE.name, chart],
      ...["--set", `spiderpoolAgent.image.registry=${agent.registry}`],
      ...["--set", `spiderpoolAgent.image.repository=${agent.repository}`],
      ...["-f", values, "--take-ownership", "--force-conflicts"],
    ),
    log,
  );
  await waitAgentPodReady(api, n.name);
  await waitPeprModuleReady(api, n.name);
}
