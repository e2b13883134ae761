/**
 * What the storm harness needs from each system under test. Everything except the netconf and
 * the state adapters is identical across systems: Pods, nodes, CNI environment, concurrency.
 */
import type { AddressWindow } from "./address-window.js";
import type { BenchNode } from "./bench-nodes.js";
import type { SystemId } from "./options.js";

/** One address a system's own state says is held, and by which Pod (namespace/name). */
export interface Holding {
  address: string;
  pod: string;
}

export interface BenchSystem {
  readonly id: SystemId;
  readonly label: string;
  readonly exe: string;
  readonly version: string;
  /** Floors keep no state: the harness precomputes their addresses and nothing can leak. */
  readonly precomputed: boolean;
  setup(): Promise<void>;
  /** Before a storm: an empty pool for the window, as at a fresh start. */
  resetWindow(w: AddressWindow): Promise<void>;
  /** The network configuration of one call; `address` only for precomputed systems. */
  netconf(node: BenchNode, w: AddressWindow, address?: string): Record<string, unknown>;
  /** Addresses held in the window according to the system's own objects. */
  holdings(w: AddressWindow): Promise<Holding[]>;
  /** Objects besides addresses that must be gone after everything is released. */
  leftovers(w: AddressWindow): Promise<Record<string, number | string>>;
  teardown(): Promise<void>;
}

/** The netconf every system gets: the main plugin's part is irrelevant to IPAM but realistic. */
export function networkConfig(ipam: Record<string, unknown>): Record<string, unknown> {
  return {
    cniVersion: "1.0.0",
    name: "storm",
    type: "macvlan",
    master: "eth0",
    mode: "bridge",
    ipam,
  };
}
