import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { K8sError } from "../../lib/k8s/k8s-error.js";
import { startDaemon, stopDaemon, type Daemon } from "./daemon.js";
import { freePort } from "./free-port.js";
import { clusterDir, paths, repoRoot } from "./paths.js";
import { waitUntil, probe } from "./readiness.js";
import { COORDINATOR_NAME, NODE_SUFFIX, SHIM_NAME } from "../../cni/build.js";
import { HOST_CONFIG_FILE, type HostDirs } from "../../lib/cni-plugin/host-dirs.js";
import { buildCniPlugin } from "./cni-plugin.js";
import { viaFaultProxy } from "./fault-proxy.js";
import { AGENT_BUNDLE, buildAgent } from "../../scripts/build-agent.js";
import { agentKubeconfig } from "./identities.js";

/** Bundles the agent from the current sources. */
export async function buildAgentBundle(): Promise<void> {
  await buildAgent();
}

/** Where the local cluster keeps the configuration every component reads (ConfigMap `conf.yml`). */
export const confPath = path.join(clusterDir, "conf.yml");

/** CRDs of this project and the NetworkAttachmentDefinition CRD Multus would bring. */
export async function installCrds(api: ApiClient): Promise<void> {
  const files = [
    ...fs
      .readdirSync(path.join(repoRoot, "manifests/crds"))
      .map(f => path.join(repoRoot, "manifests/crds", f)),
    path.join(repoRoot, "manifests/third-party/network-attachment-definitions.yaml"),
  ];
  const names: string[] = [];
  for (const f of files) {
    for (const doc of parseAllDocuments(fs.readFileSync(f, "utf8"))) {
      const crd = doc.toJS() as { metadata: { name: string } };
      names.push(crd.metadata.name);
      await api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).catch(e => {
        if (!(e instanceof K8sError && e.code === "already_exists")) throw e;
      });
    }
  }
  for (const n of names) {
    await waitUntil(
      `CRD ${n}: Established`,
      async () => {
        const c = await api.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`,
        );
        return !!c.status?.conditions?.some(x => x.type === "Established" && x.status === "True");
      },
      30_000,
    );
  }
}

export function writeConfig(extra = ""): void {
  fs.writeFileSync(
    confPath,
    `# conf.yml of ConfigMap spiderpool-conf, as the local cluster runs it
enableIPv4: true
enableIPv6: true
enableStatefulSet: true
enableSpiderSubnet: true
enableAutoPoolForApplication: true
clusterSubnetAutoPoolDefaultRedundantIPNumber: 1
gc:
  scanAllIntervalSeconds: 30
# Short, so the conflict suite sees a quarantined address come back (docs/usage/conflict-detection.md).
coordinator:
  quarantineSeconds: 20
${extra}`,
  );
}

/**
 * The local cluster's plugin log and run directories (docs/adr/0007-node-plugin-dirs.md): what
 * /var/log/spidernet and /var/run/spidernet are on a real node. Every node's socket lies below the
 * run directory (simulated nodes share one file system); netconfs naming anything else are refused.
 */
export const pluginDirs: HostDirs = { logDir: paths.logs, runDir: paths.nodes };

/** The agent's settings for the same directories (lib/agent/settings.ts). */
export const pluginDirsEnv = (): Record<string, string> => ({
  SPIDERPOOL_PLUGIN_LOG_DIR: pluginDirs.logDir,
  SPIDERPOOL_PLUGIN_RUN_DIR: pluginDirs.runDir,
});

export function socketOf(node: string): string {
  return path.join(paths.nodeDir(node), "spiderpool.sock");
}

/**
 * The agent of one simulated node, as its DaemonSet pod would run it; `env` adds variables to its
 * environment (e.g. SPIDERPOOL_TEST_GC_DELAY_MS).
 */
export async function startAgent(node: string, env: Record<string, string> = {}): Promise<Daemon> {
  const healthPort = await freePort(27710);
  const d = startDaemon(
    `agent-${node}`,
    process.execPath,
    // The bundle the DaemonSet runs (scripts/build-agent.ts), built at cluster:up: it starts in a
    // fraction of the time tsx needs, which matters when tests kill and restart agents.
    [AGENT_BUNDLE, `--config-path=${confPath}`, `--agent-node=${node}`],
    {
      SPIDERPOOL_NODE_NAME: node,
      SPIDERPOOL_POD_NAMESPACE: "kube-system",
      SPIDERPOOL_IPAM_SOCKET: socketOf(node),
      SPIDERPOOL_HEALTH_PORT: String(healthPort),
      SPIDERPOOL_METRIC_HTTP_PORT: "0",
      SPIDERPOOL_OPS_ADDRESS: "127.0.0.1",
      SPIDERPOOL_LOG_LEVEL: process.env.SPIDERPOOL_LOG_LEVEL ?? "info",
      KUBECONFIG: viaFaultProxy(agentKubeconfig()),
      NODE_NO_WARNINGS: "1",
      ...pluginDirsEnv(),
      ...env,
    },
    `--agent-node=${node}`,
  );
  await waitUntil(
    `agent ${node}: ready`,
    async () => (await probe(`http://127.0.0.1:${healthPort}/v1/runtime/readiness`)).status === 200,
    60_000,
    d,
  );
  return { ...d, healthPort } as Daemon;
}

export async function stopAgent(d: Daemon): Promise<void> {
  await stopDaemon(d);
}

/**
 * The node's default network: the real macvlan plugin on the uplink, addresses from our IPAM.
 * A real node's containerd 1.6 reads results up to CNI 1.0.0 only, so it gets that version.
 */
export function writeSpiderpoolNetwork(node: string, cniVersion = "1.1.0"): void {
  const netd = path.join(paths.nodeDir(node), "net.d");
  fs.mkdirSync(netd, { recursive: true });
  for (const f of fs.readdirSync(netd)) fs.rmSync(path.join(netd, f));
  const conflist = {
    cniVersion,
    name: "macvlan-underlay",
    plugins: [
      {
        type: "macvlan",
        master: "eth0",
        mode: "bridge",
        ipam: {
          type: "spiderpool",
          ipam_unix_socket_path: socketOf(node),
          log_file_path: path.join(paths.logs, `cni-${node}.log`),
          log_level: "info",
        },
      },
    ],
  };
  fs.writeFileSync(path.join(netd, "10-macvlan.conflist"), JSON.stringify(conflist, null, 2));
}

/**
 * The `coordinator` of one simulated node, in a directory of its own that the node's CNI path
 * lists first. On a real node spiderpool-host.json's `runDir` holds the one agent socket; here
 * every node's socket lies below one shared run directory, and the coordinator (which takes no
 * socket from a netconf) finds `spiderpool.sock` directly in `runDir`: so each node's copy gets
 * its own file naming the node's directory.
 */
export function installNodeCoordinator(node: string, sharedBinDir: string): string {
  const dir = path.join(paths.nodeDir(node), "cni-coordinator");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, HOST_CONFIG_FILE),
    JSON.stringify({ logDir: pluginDirs.logDir, runDir: paths.nodeDir(node) }),
  );
  const tmp = path.join(dir, `.${COORDINATOR_NAME}.tmp-${process.pid}`);
  fs.copyFileSync(path.join(sharedBinDir, COORDINATOR_NAME), tmp);
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, path.join(dir, COORDINATOR_NAME));
  return dir;
}

/**
 * Builds the plugin and puts it first in the CNI path of every node, as install-cni.sh does on a
 * real node: the node's plugin directories (pluginDirs) in spiderpool-host.json first, then
 * `spiderpool` (the exec shim) and `spiderpool-node` beside it (its fallback), and `coordinator`
 * (the chained conflict/gateway prober).
 */
export async function installCniPlugin(log?: (l: string) => void): Promise<string> {
  const dir = path.join(clusterDir, "cni-bin");
  fs.mkdirSync(dir, { recursive: true });
  const built = await buildCniPlugin(log);
  const hostTmp = path.join(dir, `.${HOST_CONFIG_FILE}.tmp-${process.pid}`);
  fs.writeFileSync(hostTmp, JSON.stringify(pluginDirs));
  fs.renameSync(hostTmp, path.join(dir, HOST_CONFIG_FILE));
  for (const [file, name] of [
    [built.node, `${SHIM_NAME}${NODE_SUFFIX}`],
    [built.shim, SHIM_NAME],
    [built.coordinator, COORDINATOR_NAME],
  ] as const) {
    // Written beside and renamed over, so a plugin running right now keeps its file.
    const tmp = path.join(dir, `.${name}.tmp-${process.pid}`);
    fs.copyFileSync(file, tmp);
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, path.join(dir, name));
  }
  return dir;
}
