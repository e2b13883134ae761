/**
 * The already running local cluster the benchmark drives, found through its directory (what
 * `npm run cluster:up` or the e2e runner wrote): the state file, the admin kubeconfig, the PKI,
 * the Go binaries and our plugin executable. Nothing is started here.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ApiClient } from "../lib/k8s/api-client.js";
import type { ClusterState } from "../e2e/cluster/cluster.js";

export interface ClusterTarget {
  dir: string;
  state: ClusterState;
  kubeconfig: string;
  api: ApiClient;
  /** kubectl of the cluster's pinned build with the admin kubeconfig; returns stdout. */
  kubectl: (args: string[], input?: string) => string;
  /** Our plugin as the simulated nodes run it. */
  ourPlugin: string;
  /** The Go CNI plugins, Whereabouts among them. */
  goPluginDir: string;
  /** Process ids of the components whose CPU the benchmark accounts for. */
  pids: { apiserver?: number; etcd?: number; watcher?: number };
}

export class TargetError extends Error {
  readonly code = "no_cluster";
}

export function openCluster(dir: string): ClusterTarget {
  const stateFile = path.join(dir, "state.json");
  let state: ClusterState;
  try {
    state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as ClusterState;
  } catch (e) {
    throw new TargetError(
      `no running cluster in ${dir}: cannot read ${stateFile} (${(e as Error).message}); start one with SPIDERPOOL_CLUSTER_DIR=${dir} npm run cluster:up`,
    );
  }
  const kubeconfig = path.join(dir, "kubeconfig");
  const ourPlugin = path.join(state.cniBinDir, "spiderpool");
  for (const f of [kubeconfig, ourPlugin, path.join(state.binDir, "kubectl")]) {
    if (!fs.existsSync(f))
      throw new TargetError(`cluster in ${dir} is incomplete: ${f} is missing`);
  }
  const kubectlBin = path.join(state.binDir, "kubectl");
  const kubectl = (args: string[], input?: string) => {
    try {
      return execFileSync(kubectlBin, ["--kubeconfig", kubeconfig, ...args], {
        encoding: "utf8",
        input,
        stdio: ["pipe", "pipe", "pipe"],
      });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(" ")}: ${(err.stderr ?? err.message).trim()}`);
    }
  };
  const pidOf = (name: string) =>
    [...state.control, ...(state.pepr ?? [])].find(d => d.name === name)?.pid;
  return {
    dir,
    state,
    kubeconfig,
    api: ApiClient.fromKubeconfig(kubeconfig, 128),
    kubectl,
    ourPlugin,
    goPluginDir: path.join(state.binDir, "cni"),
    pids: {
      apiserver: pidOf("kube-apiserver"),
      etcd: pidOf("etcd"),
      watcher: pidOf("pepr-watcher"),
    },
  };
}
