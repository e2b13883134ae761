/**
 * What a cluster network gives pods on a real node beyond their own underlay address, for the
 * Pepr module's pods of `--install deployed` (pepr-in-cluster.ts): kube-apiserver reaches them
 * (webhooks through their Service, with --enable-aggregator-routing dialing the endpoint's pod
 * address), the kubelet probes them, and they reach the `kubernetes` Service's ClusterIP.
 *
 * Macvlan pods cannot talk to their parent link, so the node holds an address in their subnet on
 * a macvlan of its own (`pods0` on eth0): the pods' gateway. The node forwards between it and its
 * management link; the root namespace routes the subnet over that link. A DNAT in the node's
 * PREROUTING sends pod traffic for the ClusterIP to the node's API relay, as the OUTPUT rule of
 * real-node.ts does for host-network pods. Everything lives in the node's namespace or on its
 * management veth and goes with them at down; nothing touches the machine's own uplink.
 * README, "Local cluster": real nodes.
 */
import { paths } from "./paths.js";
import { ip } from "./netns.js";
import { KUBERNETES_SERVICE_IP, mgmtHostAddress, type RealNode } from "./real-node.js";
import { runStep } from "./run-step.js";
import { StepError } from "./step-error.js";

/** The pool the pepr-system namespace draws from: IPv4, on the real node only. */
export const POD_POOL = {
  name: "real-node-system",
  subnet: "10.253.0.0/16",
  ips: "10.253.1.1-10.253.1.40",
  gateway: "10.253.0.1",
  cidrLabel: "10-253-0-0-16",
} as const;

/** The node's own link into the pods' subnet, which holds the gateway address. */
export const GATEWAY_LINK = "pods0";

/**
 * Opens the pod subnet between the machine and the node. `apiPort` is kube-apiserver's port,
 * which the node's relay listens on at the management address.
 */
export function openPodNetwork(n: RealNode, apiPort: number): void {
  const step = `real node ${n.name}: pod network`;
  const log = paths.log(`real-node-${n.name}`);
  const taken = ip("-4", "route", "show", "table", "all")
    .split("\n")
    .find(l => l.startsWith(POD_POOL.subnet) || l.startsWith(`${POD_POOL.subnet.split("/")[0]} `));
  if (taken)
    throw new StepError(step, `this machine already routes ${POD_POOL.subnet}: ${taken.trim()}`);
  const inNode = (cmd: string, args: string[]) =>
    runStep(step, "ip", ["netns", "exec", n.netns, cmd, ...args], log);
  const gw = `${POD_POOL.gateway}/${POD_POOL.subnet.split("/")[1]}`;
  runStep(
    step,
    "ip",
    [
      "-n",
      n.netns,
      "link",
      "add",
      GATEWAY_LINK,
      "link",
      "eth0",
      "type",
      "macvlan",
      "mode",
      "bridge",
    ],
    log,
  );
  runStep(step, "ip", ["-n", n.netns, "addr", "add", gw, "dev", GATEWAY_LINK], log);
  runStep(step, "ip", ["-n", n.netns, "link", "set", GATEWAY_LINK, "up"], log);
  // Per namespace: the machine's own forwarding setting is not touched.
  inNode("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"]);
  inNode("iptables", [
    ...["-t", "nat", "-A", "PREROUTING", "-s", POD_POOL.subnet],
    ...["-d", `${KUBERNETES_SERVICE_IP}/32`, "-p", "tcp", "--dport", "443"],
    ...["-j", "DNAT", "--to-destination", `${mgmtHostAddress(n)}:${apiPort}`],
  ]);
  // Over the management veth: the route goes when the node's namespace (and the veth) does.
  runStep(step, "ip", ["route", "add", POD_POOL.subnet, "via", n.nodeIP], log);
}

/**
 * The pool and the namespace annotation that give the Pepr pods their addresses. Written before
 * the module (and its defaulting webhook) exists, so it carries what that webhook would add:
 * the finalizer, `ipVersion` and the CIDR label (docs/reference/admission.md#spiderippool).
 */
export function podPoolYaml(node: string): string {
  return `apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata:
  name: ${POD_POOL.name}
  finalizers: [spiderpool.spidernet.io]
  labels: {ipam.spidernet.io/ippool-cidr: ${POD_POOL.cidrLabel}}
spec:
  ipVersion: 4
  subnet: ${POD_POOL.subnet}
  ips: ["${POD_POOL.ips}"]
  gateway: ${POD_POOL.gateway}
  nodeName: [${node}]
`;
}
