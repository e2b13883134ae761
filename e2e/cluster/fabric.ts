import { ip } from "./netns.js";

/**
 * The shared L2 segment: a bridge inside a "fabric" namespace and, per simulated node, a veth
 * whose node end is `eth0` in the node's namespace. Macvlan pods on `eth0` of different nodes
 * therefore see each other's ARP, as on a real underlay VLAN.
 */
export function fabricNetns(prefix: string): string {
  return `${prefix}-fabric`;
}

export function nodeNetns(prefix: string, node: string): string {
  return `${prefix}-${node}`;
}

/** The underlay subnet the node uplinks sit in (pods use other subnets on the same segment). */
export function nodeAddress(index: number): string {
  return `172.30.0.${index + 1}`;
}

export function createFabric(prefix: string): void {
  const fab = fabricNetns(prefix);
  ip("netns", "add", fab);
  ip("-n", fab, "link", "set", "lo", "up");
  ip("-n", fab, "link", "add", "br0", "type", "bridge");
  ip("-n", fab, "link", "set", "br0", "up");
}

export function createNodeNetwork(prefix: string, node: string, index: number): string {
  const ns = nodeNetns(prefix, node);
  const fab = fabricNetns(prefix);
  ip("netns", "add", ns);
  ip("-n", ns, "link", "set", "lo", "up");
  // Both ends are created directly inside their namespaces, so nothing appears in the host's.
  ip(
    "link",
    "add",
    "eth0",
    "netns",
    ns,
    "type",
    "veth",
    "peer",
    "name",
    `v-${node}`.slice(0, 15),
    "netns",
    fab,
  );
  ip("-n", fab, "link", "set", `v-${node}`.slice(0, 15), "master", "br0", "up");
  ip("-n", ns, "link", "set", "eth0", "up");
  ip("-n", ns, "addr", "add", `${nodeAddress(index)}/16`, "dev", "eth0");
  return ns;
}
