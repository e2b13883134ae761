/**
 * `cluster:up --install deployed`: the Pepr module (admission and watcher) runs in-cluster on the
 * real node, installed as docs/usage/install.md's GitOps path does it: the manifest `npx pepr
 * build` writes, with the workload rules split out by scripts/workload-webhook.ts as `npm run
 * build` does, applied with kubectl, then manifests/pepr. The pods run Pepr 1.1.4's controller
 * image (component-images.ts), authenticate with the module's ServiceAccount, take addresses from
 * a pool of ours (pod-network.ts), and kube-apiserver calls the webhooks through their Service.
 * A kustomize overlay adds only what this machine needs: the Deployments go to the real node
 * (the simulated nodes run no images). README, "Local cluster": real nodes.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { PEPR_NAMESPACE } from "../../scripts/rbac-manifests.js";
import { splitWorkloadWebhookFile } from "../../scripts/workload-webhook.js";
import { deployDir } from "./deployed-install.js";
import { paths, repoRoot } from "./paths.js";
import { openPodNetwork, podPoolYaml, POD_POOL } from "./pod-network.js";
import { waitUntil } from "./readiness.js";
import { REAL_NODE_LABEL, type RealNode } from "./real-node.js";
import { runStep } from "./run-step.js";
import { StepError } from "./step-error.js";

/** Where `pepr build` writes for the local cluster (inside the repository: the build resolves `pepr`). */
const buildDir = "dist/e2e-deploy";
const overlayDir = path.join(deployDir, "pepr");

/** The module's pods: admission (`server`, 2 replicas) and watcher (1), by Pepr's labels. */
export const PEPR_CONTROLLERS = [
  { controller: "admission", replicas: 2 },
  { controller: "watcher", replicas: 1 },
] as const;

export function moduleUuid(): string {
  return (
    JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      pepr: { uuid: string };
    }
  ).pepr.uuid;
}

/** The manifest that was deployed: what the documented uninstall deletes with `kubectl delete -f`. */
export function deployedPeprManifest(dir = overlayDir): string {
  return path.join(dir, `pepr-module-${moduleUuid()}.yaml`);
}

/**
 * `npx pepr build` into dist/e2e-deploy: the module's manifest and its chart (`<uuid>-chart`,
 * which pepr 1.1.4 writes at every build). Pepr exits 0 after a failed type check, so the files
 * decide. Returns the output directory.
 */
export function buildModule(log: string): string {
  const dir = path.join(repoRoot, buildDir);
  const out = path.join(dir, `pepr-module-${moduleUuid()}.yaml`);
  fs.rmSync(dir, { recursive: true, force: true });
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot, "node_modules/pepr/dist/cli.js"), "build", "-o", buildDir],
    {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 400_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NODE_NO_WARNINGS: "1", FORCE_COLOR: "0", NO_COLOR: "1" },
    },
  );
  fs.appendFileSync(log, `$ pepr build -o ${buildDir}\n${r.stdout ?? ""}${r.stderr ?? ""}\n`);
  if (!fs.existsSync(out))
    throw new StepError(
      "deploy: pepr build",
      `wrote no ${out} (exit ${r.status}${r.error ? `, ${r.error.message}` : ""})`,
      log,
    );
  return dir;
}

/** The module's manifest as `npm run build` leaves it: the workload rules in their own entry. */
function builtManifest(log: string): string {
  const out = path.join(buildModule(log), `pepr-module-${moduleUuid()}.yaml`);
  splitWorkloadWebhookFile(out);
  return out;
}

/** The overlay in `dir`: the built manifest as is, its Deployments pinned to the real node. */
export function peprOverlay(manifest: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  // Written out without YAML aliases (the workload split shares one clientConfig between
  // entries), which kustomize's reader need not follow; the objects are the same.
  const docs = parseAllDocuments(fs.readFileSync(manifest, "utf8")).map(d => d.toJS() as unknown);
  fs.writeFileSync(
    deployedPeprManifest(dir),
    docs
      .filter(d => d !== null)
      .map(d => stringify(d, { aliasDuplicateObjects: false }))
      .join("---\n"),
  );
  const ops = [
    { op: "add", path: "/spec/template/spec/nodeSelector", value: { [REAL_NODE_LABEL]: "true" } },
    {
      op: "add",
      path: "/spec/template/spec/tolerations",
      value: [{ key: REAL_NODE_LABEL, operator: "Exists", effect: "NoSchedule" }],
    },
  ];
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: [path.basename(deployedPeprManifest(dir))],
    patches: [
      {
        target: { kind: "Deployment", namespace: PEPR_NAMESPACE },
        patch: JSON.stringify(ops),
      },
    ],
  };
  fs.writeFileSync(path.join(dir, "kustomization.yaml"), stringify(kustomization));
  return dir;
}

/**
 * What the module's pods need before they start, on either in-cluster install: the pod network
 * of the real node, and the pool of the pepr-system namespace, which the namespace names as its
 * default (the agent DaemonSet gives the pods their addresses from it).
 */
export function preparePeprPodNetwork(binDir: string, n: RealNode, apiPort: number): void {
  const log = paths.log("deploy");
  const kubectl = (args: string[]) =>
    runStep(
      "deploy: pool of the pepr-system namespace",
      path.join(binDir, "kubectl"),
      ["--kubeconfig", paths.kubeconfig, ...args],
      log,
    );
  openPodNetwork(n, apiPort);
  const poolFile = path.join(deployDir, "pepr-system-pool.yaml");
  fs.mkdirSync(deployDir, { recursive: true });
  fs.writeFileSync(poolFile, podPoolYaml(n.name));
  kubectl(["apply", "-f", poolFile]);
  kubectl([
    ...["annotate", "--overwrite", "namespace", PEPR_NAMESPACE],
    `ipam.spidernet.io/default-ipv4-ippool=${JSON.stringify([POD_POOL.name])}`,
  ]);
}

/**
 * Installs the module in-cluster and waits until its admission and watcher pods are Ready on
 * the real node. Runs after the agent DaemonSet (deployed-install.ts), which gives the pods their
 * addresses.
 */
export async function deployPeprModule(
  api: ApiClient,
  binDir: string,
  n: RealNode,
  apiPort: number,
  say: (l: string) => void,
): Promise<void> {
  const log = paths.log("deploy");
  const kubectl = (step: string, args: string[]) =>
    runStep(step, path.join(binDir, "kubectl"), ["--kubeconfig", paths.kubeconfig, ...args], log);
  preparePeprPodNetwork(binDir, n, apiPort);
  say("building the Pepr module (npx pepr build)");
  const manifest = builtManifest(log);
  say(
    "deploying the Pepr module in-cluster: kubectl apply the built manifest, then manifests/pepr",
  );
  kubectl("deploy: kubectl apply the Pepr module", [
    ...["apply", "--server-side", "--force-conflicts", "-k", peprOverlay(manifest, overlayDir)],
  ]);
  kubectl("deploy: kubectl apply -k manifests/pepr", [
    ...["apply", "--server-side", "-k", path.join(repoRoot, "manifests/pepr")],
  ]);
  await waitPeprModuleReady(api, n.name);
}

/** Every pod of the module Ready on `node`. */
export async function waitPeprModuleReady(api: ApiClient, node: string): Promise<void> {
  for (const c of PEPR_CONTROLLERS) await waitPeprPodsReady(api, node, c.controller, c.replicas);
}

/** The module's pods of one controller, once `count` of them are Running and Ready on `node`. */
export async function waitPeprPodsReady(
  api: ApiClient,
  node: string,
  controller: string,
  count: number,
): Promise<Pod[]> {
  const step = `deploy: Pepr ${controller} pods Ready on ${node}`;
  let last = "no pod";
  let ready: Pod[] = [];
  try {
    await waitUntil(
      step,
      async () => {
        const l = await api.get<KubeList<Pod>>(`/api/v1/namespaces/${PEPR_NAMESPACE}/pods`, {
          labelSelector: `pepr.dev/controller=${controller}`,
        });
        const live = l.items.filter(p => !p.metadata.deletionTimestamp);
        if (live.length)
          last = JSON.stringify(
            live.map(p => ({ node: p.spec.nodeName, phase: p.status?.phase, c: p.status })),
          ).slice(0, 1500);
        ready = live.filter(
          p =>
            p.spec.nodeName === node &&
            p.status?.phase === "Running" &&
            (p.status.conditions ?? []).some(c => c.type === "Ready" && c.status === "True"),
        );
        return ready.length >= count;
      },
      300_000,
    );
  } catch (e) {
    if (e instanceof StepError) throw new StepError(step, `${e.message}; last seen: ${last}`);
    throw e;
  }
  return ready;
}
