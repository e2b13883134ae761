/**
 * A real node of the local cluster: Debian's containerd and runc and a kubelet built from the
 * same Kubernetes module as the control plane, both started with `nsenter --net=` in the node's
 * own network namespace (`ip netns exec` would remount /sys and hide the cgroup mounts from the
 * kubelet). The namespace has two links: `eth0` on the fabric bridge the simulated nodes share,
 * which the pods' macvlan interfaces hang off, and `mgmt0`, a veth to the root namespace with
 * private addresses, over which the kubelet reaches kube-apiserver (through a relay, since the
 * API server listens on loopback only) and the API server reaches the kubelet (logs, exec).
 * Nothing is attached to the machine's own uplink. README, "Local cluster": real nodes.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { COORDINATOR_NAME, NODE_SUFFIX, SHIM_NAME } from "../../cni/build.js";
import { HOST_CONFIG_FILE } from "../../lib/cni-plugin/host-dirs.js";
import { isAlive, signalGroup, startDaemon, stopDaemon, type Daemon } from "./daemon.js";
import { createNodeNetwork, nodeAddress } from "./fabric.js";
import { ensureImage, LOCAL_IMAGES, normalizedRef, PAUSE_IMAGE } from "./images.js";
import {
  agentImageRef,
  buildAgentImage,
  buildPeprControllerImage,
  peprControllerRef,
} from "./component-images.js";
import { ip } from "./netns.js";
import { paths, repoRoot } from "./paths.js";
import { issueLeaf } from "./pki.js";
import { containerdConfig, kubeletConfig, realNodeLayout } from "./real-node-config.js";
import type { RealNodeLayout } from "./real-node-config.js";
import { unmountBelow } from "./host-effects.js";
import { nodeReady, waitUntil } from "./readiness.js";
import { runStep } from "./run-step.js";
import { StepError } from "./step-error.js";
import { pluginDirs, socketOf, writeSpiderpoolNetwork } from "./spiderpool-install.js";

/** The label every real node carries, and the taint that keeps other suites' pods off it. */
export const REAL_NODE_LABEL = "pepr-spiderpool.io/real-node";

export interface RealNode {
  name: string;
  /** Position among all nodes: the fabric address continues the simulated nodes' numbering. */
  index: number;
  /** The node's address on the fabric (`eth0`). */
  address: string;
  /** Its management address (`mgmt0`): InternalIP, where the kubelet serves. */
  nodeIP: string;
  netns: string;
  layout: RealNodeLayout;
  /** Started in this order: relay, containerd, kubelet; stopped in reverse. */
  daemons: Daemon[];
}

/** The `kubernetes` Service's ClusterIP: the first of --service-cluster-ip-range (control-plane.ts). */
export const KUBERNETES_SERVICE_IP = "10.0.0.1";

/** The management /30 of the k-th real node: root side .1, node side .2. */
const MGMT_NET = "10.255.255";
function mgmtAddresses(k: number): { host: string; node: string } {
  return { host: `${MGMT_NET}.${4 * k + 1}`, node: `${MGMT_NET}.${4 * k + 2}` };
}

/** The root namespace's end of a real node's management link, where its API relay listens. */
export function mgmtHostAddress(n: RealNode): string {
  const octets = n.nodeIP.split(".");
  return [...octets.slice(0, 3), String(Number(octets[3]) - 1)].join(".");
}

/** The programs a real node needs, with the Debian package that has each. */
const TOOLS: [string, string][] = [
  ["containerd", "containerd"],
  ["containerd-shim-runc-v2", "containerd"],
  ["ctr", "containerd"],
  ["runc", "runc"],
  ["umoci", "umoci"],
  ["nsenter", "util-linux"],
];

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").filter(Boolean)) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Fails before anything starts when a program is missing or the management range is taken. */
export function checkRealNodePrerequisites(count: number): void {
  for (const [cmd, pkg] of TOOLS)
    if (!which(cmd))
      throw new StepError(
        "real nodes: find programs",
        `${cmd} is not on PATH (Debian package ${pkg}; .ci/run installs it)`,
      );
  if (count > 60) throw new StepError("real nodes", `at most 60 real nodes, asked for ${count}`);
  const routes = ip("-4", "route", "show", "table", "all");
  if (routes.split("\n").some(l => l.startsWith(`${MGMT_NET}.`) || l.startsWith("10.255.255.0")))
    throw new StepError(
      "real nodes: management addresses",
      `this machine already routes ${MGMT_NET}.0/24, which real nodes use for their management links`,
    );
}

const cgroupPrefix = (netnsPrefix: string) => `${netnsPrefix}-`;
export { cgroupPrefix as realNodeCgroupPrefix };

/**
 * Brings up one real node and waits until it is Ready. `k` counts real nodes from 0; `record` is
 * called whenever a process starts, so a failure part-way leaves state that `stopRealNode` can
 * clean up.
 */
export async function startRealNode(opts: {
  api: ApiClient;
  netnsPrefix: string;
  binDir: string;
  cniBinDir: string;
  apiPort: number;
  name: string;
  index: number;
  k: number;
  /** The agent comes from the DaemonSet (deployed-install.ts): its installer puts the plugin in. */
  deployed: boolean;
  record: (n: RealNode) => void;
  log: (l: string) => void;
}): Promise<RealNode> {
  const { name, index } = opts;
  const dir = paths.nodeDir(name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const layout = realNodeLayout(dir, name, `/${cgroupPrefix(opts.netnsPrefix)}${name}`);
  const mgmt = mgmtAddresses(opts.k);
  const node: RealNode = {
    name,
    index,
    address: nodeAddress(index),
    nodeIP: mgmt.node,
    netns: "",
    layout,
    daemons: [],
  };
  const stepLog = paths.log(`real-node-${name}`);
  // Fresh logs, so the tail a failed step shows is this start's, not an earlier cluster's.
  for (const l of ["real-node", "containerd", "kubelet", "apiserver-relay"])
    fs.rmSync(paths.log(`${l}-${name}`), { force: true });

  // Network: eth0 on the fabric like a simulated node, and the management veth.
  node.netns = createNodeNetwork(opts.netnsPrefix, name, index);
  opts.record(node);
  const hostLink = `${opts.netnsPrefix}m${opts.k}`.slice(0, 15);
  const step = `real node ${name}: network`;
  runStep(
    step,
    "ip",
    ["link", "add", hostLink, "type", "veth", "peer", "name", "mgmt0", "netns", node.netns],
    stepLog,
  );
  runStep(step, "ip", ["addr", "add", `${mgmt.host}/30`, "dev", hostLink], stepLog);
  runStep(step, "ip", ["link", "set", hostLink, "up"], stepLog);
  runStep(
    step,
    "ip",
    ["-n", node.netns, "addr", "add", `${mgmt.node}/30`, "dev", "mgmt0"],
    stepLog,
  );
  runStep(step, "ip", ["-n", node.netns, "link", "set", "mgmt0", "up"], stepLog);
  // In place of kube-proxy, for the one Service in-cluster clients need: the node's
  // host-network pods (the agent of `--install deployed`) reach `kubernetes` at its ClusterIP,
  // which leads to the relay below. The rule lives and dies with the node's namespace.
  // The route first: the output path looks one up before the nat table rewrites the address.
  runStep(
    step,
    "ip",
    ["-n", node.netns, "route", "add", `${KUBERNETES_SERVICE_IP}/32`, "via", mgmt.host],
    stepLog,
  );
  runStep(
    step,
    "ip",
    [
      ...["netns", "exec", node.netns, "iptables", "-t", "nat", "-A", "OUTPUT"],
      ...["-d", `${KUBERNETES_SERVICE_IP}/32`, "-p", "tcp", "--dport", "443"],
      ...["-j", "DNAT", "--to-destination", `${mgmt.host}:${opts.apiPort}`],
    ],
    stepLog,
  );

  // Identities: the node's client certificate (system:node:<name>, as the Node authorizer and
  // NodeRestriction expect) and the kubelet's serving certificate for its management address.
  issueLeaf({
    name: `kubelet-${name}-client`,
    subject: `/O=system:nodes/CN=system:node:${name}`,
    usage: "clientAuth",
  });
  issueLeaf({
    name: `kubelet-${name}`,
    subject: `/CN=${name}`,
    usage: "serverAuth",
    san: `DNS:${name},IP:${mgmt.node}`,
  });
  const pki = (f: string) => path.join(paths.pki, f);
  const kubeconfig = path.join(dir, "kubelet.kubeconfig");
  fs.writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: spiderpool-e2e
  cluster:
    server: https://${mgmt.host}:${opts.apiPort}
    certificate-authority: ${pki("ca.crt")}
    tls-server-name: localhost
users:
- name: system:node:${name}
  user:
    client-certificate: ${pki(`kubelet-${name}-client.crt`)}
    client-key: ${pki(`kubelet-${name}-client.key`)}
contexts:
- name: spiderpool-e2e
  context:
    cluster: spiderpool-e2e
    user: system:node:${name}
current-context: spiderpool-e2e
`,
    { mode: 0o600 },
  );

  const relay = startDaemon(
    `apiserver-relay-${name}`,
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(repoRoot, "e2e/cluster/tcp-relay.ts"),
      `--listen=${mgmt.host}:${opts.apiPort}`,
      `--target=127.0.0.1:${opts.apiPort}`,
    ],
    { NODE_NO_WARNINGS: "1" },
    `--listen=${mgmt.host}:`,
  );
  node.daemons.push(relay);
  opts.record(node);

  installNodeCni(layout, opts.deployed ? undefined : opts.cniBinDir, path.join(opts.binDir, "cni"));
  writeSpiderpoolNetwork(name, "1.0.0");

  if (opts.deployed) {
    // The agent pod reads the pods' network namespaces with HostToContainer propagation, which
    // needs a shared mount under the directory; the machine's / may be private. Unmounted with
    // everything else below the node's directory at stop.
    const netnsDir = path.join(dir, "containerd", "state", "netns");
    fs.mkdirSync(netnsDir, { recursive: true });
    runStep(
      `real node ${name}: pod netns directory`,
      "mount",
      ["--bind", netnsDir, netnsDir],
      stepLog,
    );
    runStep(
      `real node ${name}: pod netns directory`,
      "mount",
      ["--make-shared", netnsDir],
      stepLog,
    );
  }

  // containerd, in the node's namespace, with every directory below the node's.
  const containerdToml = path.join(dir, "containerd.toml");
  fs.writeFileSync(containerdToml, containerdConfig(layout, PAUSE_IMAGE.ref, which("runc")!));
  const nsPath = `/run/netns/${node.netns}`;
  const containerd = startDaemon(
    `containerd-${name}`,
    "nsenter",
    [`--net=${nsPath}`, "--", "containerd", "--config", containerdToml],
    {},
    containerdToml,
  );
  node.daemons.push(containerd);
  opts.record(node);
  await execDone(containerd, "containerd");
  await waitUntil(
    `real node ${name}: containerd`,
    async () => {
      execFileSync("ctr", ["-a", layout.socket, "version"], { stdio: "ignore", timeout: 5000 });
      return true;
    },
    30_000,
    containerd,
  );

  for (const image of nodeImages(opts.cniBinDir, stepLog))
    importImage(node, image.ref, image.tarball);

  // The kubelet, in the same namespace, its pods below the node's own cgroup.
  for (const h of cgroupHierarchies())
    fs.mkdirSync(path.join(h, layout.cgroupRoot), { recursive: true });
  const resolvConf = path.join(dir, "resolv.conf");
  fs.writeFileSync(resolvConf, "options ndots:1\n");
  const kubeletYaml = path.join(dir, "kubelet.yaml");
  const patch = process.env.SPIDERPOOL_REAL_NODE_KUBELET_CONFIG;
  const config = {
    ...(JSON.parse(
      kubeletConfig(layout, {
        nodeIP: mgmt.node,
        clientCAFile: pki("ca.crt"),
        tlsCertFile: pki(`kubelet-${name}.crt`),
        tlsPrivateKeyFile: pki(`kubelet-${name}.key`),
        resolvConf,
        taints: [{ key: REAL_NODE_LABEL, value: "true", effect: "NoSchedule" }],
      }),
    ) as Record<string, unknown>),
    // Experiments and the bad-input checks override settings here (JSON, merged at the top).
    ...kubeletPatch(patch),
  };
  fs.writeFileSync(kubeletYaml, JSON.stringify(config, null, 2));
  const kubelet = startDaemon(
    `kubelet-${name}`,
    "nsenter",
    [
      `--net=${nsPath}`,
      "--",
      path.join(opts.binDir, "kubelet"),
      `--config=${kubeletYaml}`,
      `--kubeconfig=${kubeconfig}`,
      `--container-runtime-endpoint=unix://${layout.socket}`,
      `--root-dir=${layout.kubeletRoot}`,
      `--cert-dir=${path.join(layout.kubeletRoot, "pki")}`,
      `--hostname-override=${name}`,
      `--node-ip=${mgmt.node}`,
      `--node-labels=${REAL_NODE_LABEL}=true`,
      "--v=2",
    ],
    {},
    kubeletYaml,
  );
  node.daemons.push(kubelet);
  opts.record(node);
  await execDone(kubelet, "kubelet");
  return node;
}

/**
 * Loads an image tarball into the node's containerd under `ref`, in the namespace CRI reads (a
 * new tag for an upgrade, too). A failure names the step with the tail of ctr's output.
 */
export function importImage(n: RealNode, ref: string, tarball: string): void {
  const step = `real node ${n.name}: import image ${ref}`;
  const log = paths.log(`real-node-${n.name}`);
  const full = normalizedRef(ref);
  const ctr = (args: string[]) =>
    runStep(step, "ctr", ["-a", n.layout.socket, "-n", "k8s.io", ...args], log);
  ctr(["images", "import", "--base-name", full.slice(0, full.lastIndexOf(":")), tarball]);
  if (!ctr(["images", "ls", "-q"]).split("\n").includes(full))
    throw new StepError(step, `containerd lists no image named ${full} after the import`, log);
}

/**
 * Every image a real node holds, as `ctr images import` takes them: the sandbox and busybox
 * images, and our components' (the agent's, Pepr's controller), so pods of the DaemonSet and
 * of `pepr deploy` start without a registry. Built once, then taken from the cache.
 */
function nodeImages(cniBinDir: string, log: string): { ref: string; tarball: string }[] {
  return [
    ...LOCAL_IMAGES.map(i => ({ ref: i.ref, tarball: ensureImage(i, log) })),
    { ref: agentImageRef(), tarball: buildAgentImage(cniBinDir, log) },
    { ref: peprControllerRef(), tarball: buildPeprControllerImage(log) },
  ];
}

/** SPIDERPOOL_REAL_NODE_KUBELET_CONFIG: a JSON object of KubeletConfiguration fields. */
function kubeletPatch(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new StepError(
      "real nodes: SPIDERPOOL_REAL_NODE_KUBELET_CONFIG",
      `not JSON: ${(e as Error).message}`,
    );
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new StepError(
      "real nodes: SPIDERPOOL_REAL_NODE_KUBELET_CONFIG",
      `must be a JSON object, got ${text}`,
    );
  return v as Record<string, unknown>;
}

/**
 * Waits until nsenter has replaced itself with `program`. While the kernel runs that exec, the
 * process's command line reads empty for a moment, and a liveness check (which looks for the
 * daemon's marker there) would take the node for dead.
 */
async function execDone(d: Daemon, program: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    let exe: string;
    try {
      exe = fs.readlinkSync(`/proc/${d.pid}/exe`);
    } catch {
      return; // gone: the caller's wait reports it with the log
    }
    if (path.basename(exe) === program && isAlive(d)) return;
    await new Promise(r => setTimeout(r, 20));
  }
}

/**
 * The node's CNI directory: our plugin (the shim, its Node fallback, the coordinator) with a
 * spiderpool-host.json naming this node's directory as the run directory, beside the main and
 * loopback plugins containerd needs. containerd 1.6 takes one directory, so they are gathered.
 */
function installNodeCni(l: RealNodeLayout, ours: string | undefined, goPlugins: string): void {
  fs.mkdirSync(l.cniBinDir, { recursive: true });
  const place = (from: string, name: string) => {
    const to = path.join(l.cniBinDir, name);
    try {
      fs.linkSync(from, to);
    } catch {
      fs.copyFileSync(from, to);
      fs.chmodSync(to, 0o755);
    }
  };
  for (const f of fs.readdirSync(goPlugins)) place(path.join(goPlugins, f), f);
  if (!ours) return;
  for (const f of [SHIM_NAME, `${SHIM_NAME}${NODE_SUFFIX}`, COORDINATOR_NAME])
    place(path.join(ours, f), f);
  fs.writeFileSync(
    path.join(l.cniBinDir, HOST_CONFIG_FILE),
    JSON.stringify({ logDir: pluginDirs.logDir, runDir: path.dirname(socketOf(l.name)) }),
  );
}

function cgroupHierarchies(): string[] {
  const root = "/sys/fs/cgroup";
  return fs
    .readdirSync(root)
    .map(h => path.join(root, h))
    .filter(h => !fs.lstatSync(h).isSymbolicLink() && fs.statSync(h).isDirectory());
}

/** Processes whose command line names `needle` (the shims of one containerd name its socket). */
function pidsNaming(needle: string): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(needle)) pids.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Stops a real node and removes what it left: the kubelet, then every container (by runc, in the
 * node's private runc root), containerd and its shims, the relay, and all mounts below the node's
 * directory. Returns what could not be removed.
 */
export async function stopRealNode(n: RealNode): Promise<string[]> {
  const problems: string[] = [];
  const byName = (p: string) => n.daemons.find(d => d.name.startsWith(p));
  const kubelet = byName("kubelet-");
  if (kubelet) await stopDaemon(kubelet);
  // containerd keeps runc's state one directory per containerd namespace (k8s.io for CRI).
  const roots = fs.existsSync(n.layout.runcRoot)
    ? fs.readdirSync(n.layout.runcRoot).map(d => path.join(n.layout.runcRoot, d))
    : [];
  for (const root of roots) {
    const runc = (args: string[]) =>
      execFileSync("runc", ["--root", root, ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
    let ids: string[] = [];
    try {
      ids = runc(["list", "-q"]).split("\n").filter(Boolean);
    } catch {
      // no runc or no state: nothing to kill
    }
    for (const id of ids) {
      try {
        runc(["kill", id, "KILL"]);
      } catch {
        // already stopped
      }
      try {
        runc(["delete", "--force", id]);
      } catch {
        problems.push(`runc delete ${id} failed`);
      }
    }
  }
  const containerd = byName("containerd-");
  if (containerd) await stopDaemon(containerd);
  for (const pid of pidsNaming(n.layout.socket)) {
    if (containerd && pid === containerd.pid) continue;
    signalGroup(pid, "SIGKILL");
  }
  const relay = byName("apiserver-relay-");
  if (relay) await stopDaemon(relay);
  for (const d of n.daemons) if (isAlive(d)) problems.push(`${d.name}(${d.pid}) still running`);
  const left = unmountBelow(n.layout.dir);
  if (left.length) problems.push(`mounts left below ${n.layout.dir}: ${left.join(", ")}`);
  return problems;
}

/** Waits for the real node's Lease and Ready condition, as the kubelet reports them itself. */
export async function waitRealNodeReady(api: ApiClient, n: RealNode): Promise<void> {
  const kubelet = n.daemons.find(d => d.name.startsWith("kubelet-"));
  await waitUntil(
    `real node ${n.name}: Ready`,
    async () => {
      if (!(await nodeReady(api, n.name))) return false;
      await api.get(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n.name}`);
      return true;
    },
    90_000,
    kubelet,
  );
}
