import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ApiClient } from "../../lib/k8s/api-client.js";
import { ensureBinaries } from "./binaries.js";
import {
  apiserverArgs,
  waitApiserverReady,
  startApiserver,
  startControllerManager,
  startEtcd,
  startScheduler,
  waitClusterBootstrapped,
  type Ports,
} from "./control-plane.js";
import { isAlive, signalGroup, startDaemon, stopDaemon, type Daemon } from "./daemon.js";
import { createFabric, createNodeNetwork, nodeAddress, nodeNetns } from "./fabric.js";
import { freePort } from "./free-port.js";
import { deleteNetnsWithPrefix, listNetns } from "./netns.js";
import { paths, repoRoot, clusterDir } from "./paths.js";
import { generatePki, writeKubeconfig } from "./pki.js";
import { nodeReady, probe, waitPortClosed, waitUntil } from "./readiness.js";
import { StepError } from "./step-error.js";
import { deployAgent, inCluster, type InstallMode } from "./deployed-install.js";
import { helmInstall } from "./helm-install.js";
import { deployPeprModule } from "./pepr-in-cluster.js";
import {
  buildAgentBundle,
  confPath,
  installCniPlugin,
  installCrds,
  installNodeCoordinator,
  startAgent,
  writeConfig,
  writeSpiderpoolNetwork,
} from "./spiderpool-install.js";
import { admissionReady, peprEnv, startPeprAdmission, startPeprModule } from "./pepr-module.js";
import { startFaultProxy, viaFaultProxy } from "./fault-proxy.js";
import { installIdentities, peprKubeconfig } from "./identities.js";
import {
  checkRealNodePrerequisites,
  realNodeCgroupPrefix,
  startRealNode,
  stopRealNode,
  waitRealNodeReady,
  type RealNode,
} from "./real-node.js";
import {
  mountsBelow,
  recordHost,
  restoreHost,
  unmountBelow,
  type HostRecord,
} from "./host-effects.js";

export interface SimNode {
  name: string;
  index: number;
  address: string;
  netns: string;
  daemon: Daemon;
}

export interface ClusterState {
  id: string;
  /** Prefix of every network namespace this cluster created. */
  netnsPrefix: string;
  binDir: string;
  ports: Ports;
  control: Daemon[];
  nodes: SimNode[];
  /** The spiderpool agent of each node, by node name. */
  agents: Record<string, Daemon>;
  /** The Pepr module's admission and watcher processes; none with `install: deployed` or `helm` (in-cluster). */
  pepr: Daemon[];
  cniBinDir: string;
  /** Nodes run by a real kubelet with containerd (`--real-nodes`); absent in older state files. */
  realNodes?: RealNode[];
  /** How the real nodes got our agent (deployed-install.ts); absent means host processes. */
  install?: InstallMode;
}

export interface UpOptions {
  nodes: number;
  /** Real nodes (kubelet + containerd) beside the simulated ones; 0 when absent. */
  realNodes?: number;
  /** `deployed`/`helm`: the real node's agent comes from the manifests or the chart (deployed-install.ts, helm-install.ts). */
  install?: InstallMode;
  log?: (line: string) => void;
}

export function loadState(): ClusterState | undefined {
  try {
    return JSON.parse(fs.readFileSync(paths.state, "utf8")) as ClusterState;
  } catch {
    return undefined;
  }
}

function saveState(s: ClusterState): void {
  fs.writeFileSync(paths.state, JSON.stringify(s, null, 2));
}

export function adminClient(): ApiClient {
  return ApiClient.fromKubeconfig(paths.kubeconfig);
}

/**
 * Brings up etcd, kube-apiserver, kube-controller-manager, kube-scheduler and N simulated nodes
 * on loopback. Any leftover of an earlier cluster in this checkout is removed first.
 */
export async function up(opts: UpOptions): Promise<ClusterState> {
  try {
    return await bringUp(opts);
  } catch (e) {
    // Whatever started before the failing step is in the state file: stop it and remove the
    // namespaces, so a failed start leaves no process or network namespace behind.
    // A cleanup that fails too is said, not swallowed: something may be left behind.
    const cleanup = await down(opts.log).then(
      () => "",
      (d: Error) => d.message,
    );
    if (cleanup && e instanceof Error) e.message += `; cleaning up failed too: ${cleanup}`;
    throw e;
  }
}

async function bringUp(opts: UpOptions): Promise<ClusterState> {
  const log = opts.log ?? (() => undefined);
  await down();
  fs.mkdirSync(paths.logs, { recursive: true });
  const realCount = opts.realNodes ?? 0;
  if (realCount) checkRealNodePrerequisites(realCount);

  log("building or reusing the Go binaries");
  const binDir = ensureBinaries(log);
  fs.symlinkSync(binDir, paths.bin);

  log("generating certificates");
  generatePki();

  const taken = new Set<number>();
  const ports: Ports = {
    etcd: await freePort(23790, taken),
    api: await freePort(26443, taken),
    kcm: await freePort(30257, taken),
    scheduler: await freePort(30259, taken),
    webhook: await freePort(24443, taken),
  };
  const id = crypto.randomBytes(2).toString("hex");
  const state: ClusterState = {
    id,
    netnsPrefix: `spd${id}`,
    binDir,
    ports,
    control: [],
    nodes: [],
    agents: {},
    cniBinDir: "",
    pepr: [],
    install: opts.install ?? "processes",
  };
  saveState(state);

  log(`starting etcd on :${ports.etcd}`);
  state.control.push(await startEtcd(binDir, ports));
  saveState(state);
  log(`starting kube-apiserver on :${ports.api}`);
  state.control.push(await startApiserver(binDir, ports));
  saveState(state);
  writeKubeconfig(paths.kubeconfig, ports.api, "admin");
  // Agents and the Pepr module reach the apiserver through it; tests can black-hole it.
  registerDaemon(await startFaultProxy(ports.api));
  log("starting kube-controller-manager and kube-scheduler");
  state.control.push(await startControllerManager(binDir, ports));
  saveState(state);
  state.control.push(await startScheduler(binDir, ports));
  saveState(state);
  const api = adminClient();
  await waitClusterBootstrapped(api);
  log("installing CRDs");
  await installCrds(api);
  log("creating the ServiceAccounts, roles and kubeconfigs of the agent and the Pepr module");
  await installIdentities(api);
  log("building the spiderpool CNI plugin and the agent bundle");
  state.cniBinDir = await installCniPlugin();
  await buildAgentBundle();
  writeConfig();
  saveState(state);
  if (!inCluster(state.install)) {
    log("starting the Pepr module (admission and watcher) and registering its webhooks");
    const pepr = await startPeprModule(api, ports);
    state.pepr = [{ ...pepr.admission, apiPath: pepr.apiPath } as Daemon, pepr.watcher];
    saveState(state);
  }

  log(`creating the fabric and ${opts.nodes} simulated nodes with their agents`);
  createFabric(state.netnsPrefix);
  const names = Array.from({ length: opts.nodes }, (_, i) => `node-${i + 1}`);
  for (const [i, name] of names.entries()) {
    writeSpiderpoolNetwork(name);
    state.nodes.push(startNode(state, name, i));
    saveState(state);
  }
  for (const n of state.nodes) await waitNodeReady(api, n);

  const realNames = Array.from({ length: realCount }, (_, k) => `real-${k + 1}`);
  if (realCount) {
    log(`starting ${realCount} real nodes (kubelet, containerd, runc)`);
    // Before the first kubelet runs: what it changes machine-wide is put back at down.
    if (!fs.existsSync(hostRecordPath))
      fs.writeFileSync(hostRecordPath, JSON.stringify(recordHost(), null, 2));
    state.realNodes = [];
    for (const [k, name] of realNames.entries()) {
      const started = Date.now();
      const n = await startRealNode({
        api,
        netnsPrefix: state.netnsPrefix,
        binDir,
        cniBinDir: state.cniBinDir,
        apiPort: ports.api,
        name,
        index: opts.nodes + k,
        k,
        deployed: inCluster(state.install),
        log,
        record: node => {
          const i = state.realNodes!.findIndex(x => x.name === node.name);
          if (i < 0) state.realNodes!.push(node);
          else state.realNodes![i] = node;
          saveState(state);
        },
      });
      const kubeletStarted = Date.now();
      await waitRealNodeReady(api, n);
      const s = (from: number) => ((Date.now() - from) / 1000).toFixed(1);
      log(
        `real node ${name} Ready ${s(started)} s after its start (kubelet: ${s(kubeletStarted)} s)`,
      );
    }
  }
  const hostAgents = inCluster(state.install) ? names : [...names, ...realNames];
  await Promise.all(
    hostAgents.map(async n => {
      state.agents[n] = await startAgent(n);
    }),
  );
  saveState(state);
  if (state.install === "deployed") {
    log("deploying the agent to the real node: kubectl apply -k manifests (DaemonSet)");
    await deployAgent(api, binDir, state.realNodes ?? []);
    // The module's pods take their addresses from the agent just deployed: it comes second.
    await deployPeprModule(api, binDir, state.realNodes![0]!, ports.api, log);
  }
  if (state.install === "helm") {
    log("installing the chart onto the real node: helm install (DaemonSet and Pepr module)");
    await helmInstall(api, binDir, state.realNodes ?? [], ports.api, log);
  }
  api.close();
  return state;
}

/** The conflist every simulated node starts with: the real macvlan plugin on the node uplink. */
export function writeDefaultNetwork(nodeDirPath: string, ipam: Record<string, unknown>): void {
  const netd = path.join(nodeDirPath, "net.d");
  fs.mkdirSync(netd, { recursive: true });
  const conflist = {
    cniVersion: "1.0.0",
    name: "underlay",
    plugins: [
      {
        type: "macvlan",
        master: "eth0",
        mode: "bridge",
        ...(ipam.type === "static" ? { capabilities: { ips: true } } : {}),
        ipam,
      },
    ],
  };
  fs.writeFileSync(path.join(netd, "10-underlay.conflist"), JSON.stringify(conflist, null, 2));
}

function startNode(state: ClusterState, name: string, index: number): SimNode {
  const netns = createNodeNetwork(state.netnsPrefix, name, index);
  const dir = paths.nodeDir(name);
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, "net.d"))) writeDefaultNetwork(dir, { type: "static" });
  const daemon = launchSim(state, name, index, netns);
  return { name, index, address: nodeAddress(index), netns, daemon };
}

function launchSim(
  state: ClusterState,
  name: string,
  index: number,
  netns: string,
  extra: string[] = [],
): Daemon {
  const sim = path.join(repoRoot, "e2e/kubelet-sim/main.ts");
  const args = [
    "--import",
    "tsx",
    sim,
    `--node=${name}`,
    `--index=${index}`,
    `--address=${nodeAddress(index)}`,
    `--kubeconfig=${paths.kubeconfig}`,
    `--node-netns=${netns}`,
    `--netns-prefix=${state.netnsPrefix}`,
    `--cni-bin=${installNodeCoordinator(name, state.cniBinDir)}`,
    `--cni-bin=${state.cniBinDir}`,
    `--cni-bin=${path.join(state.binDir, "cni")}`,
    `--dir=${paths.nodeDir(name)}`,
    ...extra,
  ];
  return startDaemon(
    `kubelet-${name}`,
    process.execPath,
    args,
    { NODE_NO_WARNINGS: "1" },
    `--node=${name}`,
  );
}

async function waitNodeReady(api: ApiClient, n: SimNode): Promise<void> {
  await waitUntil(`node ${n.name}: Ready`, () => nodeReady(api, n.name), 60_000, n.daemon);
}

/** Freezes a node: heartbeats and CNI stop together, as when a machine hangs. */
export function killNode(state: ClusterState, name: string): void {
  signalGroup(nodeOf(state, name).daemon.pid, "SIGSTOP");
}

export function reviveNode(state: ClusterState, name: string): void {
  signalGroup(nodeOf(state, name).daemon.pid, "SIGCONT");
}

/** Kills a node's agent the hard way (kill -9), as a crash would. */
export async function killAgent(state: ClusterState, node: string): Promise<void> {
  const d = state.agents[node];
  if (d) signalGroup(d.pid, "SIGKILL");
  while (d && isAlive(d)) await new Promise(r => setTimeout(r, 50));
}

/**
 * Starts a node's agent again (the DaemonSet restarting its pod). `env` adds variables to its
 * environment (e.g. SPIDERPOOL_TEST_GC_DELAY_MS); the next restart without it drops them again.
 */
export async function restartAgent(
  state: ClusterState,
  node: string,
  opts: { env?: Record<string, string> } = {},
): Promise<void> {
  const d = state.agents[node];
  if (d) await stopDaemon(d);
  state.agents[node] = await startAgent(node, opts.env);
  saveState(state);
}

/**
 * Restarts the simulator process of a node (kubelet restart); its sandboxes survive on disk.
 * `faults` turns on fault injection, e.g. `{ lostDelRatio: 0.1 }`: that share of CNI DELs never runs.
 */
export async function restartNodeProcess(
  state: ClusterState,
  name: string,
  faults: { lostDelRatio?: number } = {},
): Promise<void> {
  const n = nodeOf(state, name);
  await stopDaemon(n.daemon);
  n.daemon = launchSim(
    state,
    name,
    n.index,
    n.netns,
    faults.lostDelRatio ? [`--lost-del-ratio=${faults.lostDelRatio}`] : [],
  );
  saveState(state);
}

/** Restarts kube-apiserver (SIGTERM, then the same flags), as a control-plane upgrade would. */
export async function restartApiserver(state: ClusterState): Promise<void> {
  const i = state.control.findIndex(d => d.name === "kube-apiserver");
  const old = state.control[i];
  if (!old) throw new Error("no kube-apiserver in the cluster state");
  await stopDaemon(old);
  await waitPortClosed(state.ports.api, 30_000);
  // A loaded machine can still hand the new process a port in TIME_WAIT or an etcd that is slow
  // to answer, and it exits; a second or third start succeeds where an operator would retry too.
  for (let attempt = 1; ; attempt++) {
    const d = startDaemon(
      "kube-apiserver",
      path.join(state.binDir, "kube-apiserver"),
      apiserverArgs(state.ports),
    );
    state.control[i] = d;
    saveState(state);
    try {
      await waitApiserverReady(state.ports, d);
      return;
    } catch (e) {
      if (attempt >= 3 || isAlive(d)) throw e;
      process.stderr.write(
        `kube-apiserver restart attempt ${attempt} failed: ${(e as Error).message}\n`,
      );
      await new Promise(r => setTimeout(r, 2000));
    }
  }
}

/**
 * Starts the Pepr watcher process again (its Deployment restarting the pod), with the environment
 * startPeprModule gives it; `kill: true` ends the old one with SIGKILL first, as a crash would.
 * Only the watcher: admission keeps serving throughout. `env` adds variables to its environment
 * (e.g. SPIDERPOOL_TEST_CLOCK_SKEW_MS); the next restart without it drops them again.
 */
export async function restartPeprWatcher(
  state: ClusterState,
  opts: { kill?: boolean; env?: Record<string, string> } = {},
): Promise<void> {
  const i = state.pepr.findIndex(d => d.name === "pepr-watcher");
  const old = state.pepr[i] as (Daemon & { metricsPort?: number }) | undefined;
  if (!old) throw new Error("no pepr-watcher in the cluster state");
  if (opts.kill) {
    signalGroup(old.pid, "SIGKILL");
    while (isAlive(old)) await new Promise(r => setTimeout(r, 50));
  } else await stopDaemon(old);
  const port = await freePort(state.ports.webhook + 1);
  const metricsPort = old.metricsPort ?? (await freePort(24721));
  const pki = (f: string) => path.join(paths.pki, f);
  const d = startDaemon(
    "pepr-watcher",
    process.execPath,
    ["--import", "tsx", path.join(repoRoot, "pepr.ts"), "--role=watcher"],
    {
      ...peprEnv,
      PEPR_API_PATH: crypto.randomBytes(32).toString("hex"),
      SSL_CERT_PATH: pki("webhook.crt"),
      SSL_KEY_PATH: pki("webhook.key"),
      KUBECONFIG: viaFaultProxy(peprKubeconfig()),
      SPIDERPOOL_CONFIG_PATH: confPath,
      LOG_LEVEL: process.env.SPIDERPOOL_LOG_LEVEL ?? "info",
      NODE_NO_WARNINGS: "1",
      PORT: String(port),
      PEPR_WATCH_MODE: "true",
      SPIDERPOOL_METRIC_HTTP_PORT: String(metricsPort),
      SPIDERPOOL_OPS_ADDRESS: "127.0.0.1",
      ...opts.env,
    },
    "--role=watcher",
  );
  state.pepr[i] = { ...d, metricsPort } as Daemon;
  saveState(state);
  await waitUntil(
    "pepr-watcher: /healthz",
    async () => (await probe(`https://localhost:${port}/healthz`, pki("ca.crt"))).status === 200,
    90_000,
    d,
  );
}

/**
 * Stops the Pepr admission process (the webhooks stay registered and now cannot be reached), as
 * a crashed or unscheduled admission Deployment would leave the cluster. {@link startPeprAdmissionAgain}
 * brings it back on the same port and API path.
 */
export async function stopPeprAdmission(state: ClusterState): Promise<void> {
  const d = state.pepr.find(x => x.name === "pepr-admission");
  if (!d) throw new Error("no pepr-admission in the cluster state");
  await stopDaemon(d);
  await waitPortClosed(state.ports.webhook, 10_000);
}

export async function startPeprAdmissionAgain(state: ClusterState): Promise<void> {
  const i = state.pepr.findIndex(x => x.name === "pepr-admission");
  const old = state.pepr[i] as (Daemon & { apiPath?: string }) | undefined;
  if (!old?.apiPath) throw new Error("no pepr-admission (with its API path) in the cluster state");
  if (isAlive(old)) return;
  const d = startPeprAdmission(state.ports.webhook, old.apiPath);
  state.pepr[i] = d;
  saveState(state);
  await admissionReady(d, state.ports.webhook);
}

function nodeOf(state: ClusterState, name: string): SimNode {
  const n = state.nodes.find(x => x.name === name);
  if (!n) throw new Error(`no simulated node ${name}`);
  return n;
}

/**
 * Stops everything this checkout's cluster started, by recorded PID only, and removes its
 * network namespaces and data. Safe to run twice and after a crash.
 */
export async function down(log: (l: string) => void = () => undefined): Promise<void> {
  const state = loadState();
  const problems: string[] = [];
  if (state) {
    // Real nodes first: their containers, shims and mounts go before anything else is removed.
    for (const n of state.realNodes ?? []) problems.push(...(await stopRealNode(n)));
    for (const d of state.nodes.map(n => n.daemon)) {
      signalGroup(d.pid, "SIGCONT"); // a frozen node cannot handle SIGTERM
      await stopDaemon(d);
    }
    for (const d of Object.values(state.agents ?? {})) await stopDaemon(d);
    for (const d of state.pepr ?? []) await stopDaemon(d);
    for (const d of [...state.control].reverse()) await stopDaemon(d);
    for (const d of extraDaemons()) await stopDaemon(d);
    if (fs.existsSync(hostRecordPath)) {
      const restored = restoreHost(
        JSON.parse(fs.readFileSync(hostRecordPath, "utf8")) as HostRecord,
        realNodeCgroupPrefix(state.netnsPrefix),
      );
      problems.push(...restored);
      if (!restored.length) fs.rmSync(hostRecordPath);
    }
    const n = deleteNetnsWithPrefix(state.netnsPrefix);
    if (n) log(`removed ${n} network namespaces`);
    const left = listNetns().filter(ns => ns.startsWith(state.netnsPrefix));
    if (left.length)
      throw new StepError("cluster:down", `network namespaces still present: ${left.join(", ")}`);
    const alive = [
      ...state.control,
      ...state.nodes.map(x => x.daemon),
      ...Object.values(state.agents ?? {}),
      ...(state.pepr ?? []),
      ...(state.realNodes ?? []).flatMap(x => x.daemons),
    ].filter(isAlive);
    if (alive.length)
      throw new StepError(
        "cluster:down",
        `processes still running: ${alive.map(d => `${d.name}(${d.pid})`).join(", ")}`,
      );
  }
  // Removing a directory with something mounted below would delete through the mount.
  if (unmountBelow(clusterDir).length)
    problems.push(`mounts left below ${clusterDir}: ${mountsBelow(clusterDir).join(", ")}`);
  if (problems.length) throw new StepError("cluster:down", problems.join("; "));
  for (const entry of [
    "state.json",
    "etcd",
    "pki",
    "nodes",
    "bin",
    "apiserver",
    "kcm",
    "daemons",
    "kubeconfig",
    "kcm.kubeconfig",
    "scheduler.kubeconfig",
    "scheduler.yaml",
    "cni-bin",
    "conf.yml",
    "fault-proxy",
    "identities",
    "deploy",
  ]) {
    fs.rmSync(path.join(clusterDir, entry), { recursive: true, force: true });
  }
}

/** Daemons that later components (agents, the Pepr module) register beside the control plane. */
function extraDaemons(): Daemon[] {
  const dir = path.join(clusterDir, "daemons");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map(f => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Daemon);
}

/** What the machine looked like before the first real node started (host-effects.ts). */
const hostRecordPath = path.join(clusterDir, "host-effects.json");

export function registerDaemon(d: Daemon): void {
  const dir = path.join(clusterDir, "daemons");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${d.name}.json`), JSON.stringify(d));
}

/** Forgets a registered daemon once its owner has stopped it (e.g. the benchmark's agents). */
export function unregisterDaemon(name: string): void {
  fs.rmSync(path.join(clusterDir, "daemons", `${name}.json`), { force: true });
}

/** Runs the cluster's kubectl with the admin kubeconfig; returns stdout, throws with stderr. */
export function kubectl(args: string[], input?: string): string {
  const state = loadState();
  if (!state) throw new Error("no cluster is up (run npm run cluster:up)");
  try {
    return execFileSync(
      path.join(state.binDir, "kubectl"),
      ["--kubeconfig", paths.kubeconfig, ...args],
      {
        encoding: "utf8",
        input,
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error((err.stderr ?? err.message).trim());
  }
}

export { nodeNetns };
