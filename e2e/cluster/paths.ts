import { fileURLToPath } from "node:url";
import path from "node:path";

/** Repository root, derived from this file so commands work from any working directory. */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** Everything a local cluster writes lives here (gitignored): PKI, data, logs, state. */
export const clusterDir = process.env.SPIDERPOOL_CLUSTER_DIR ?? path.join(repoRoot, ".cluster");

export const paths = {
  state: path.join(clusterDir, "state.json"),
  pki: path.join(clusterDir, "pki"),
  logs: path.join(clusterDir, "logs"),
  etcdData: path.join(clusterDir, "etcd"),
  kubeconfig: path.join(clusterDir, "kubeconfig"),
  bin: path.join(clusterDir, "bin"),
  nodes: path.join(clusterDir, "nodes"),
  log: (name: string) => path.join(clusterDir, "logs", `${name}.log`),
  nodeDir: (node: string) => path.join(clusterDir, "nodes", node),
};
