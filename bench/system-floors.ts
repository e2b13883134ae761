/**
 * The two floors: the same harness, Pods and CNI environment, but plugins that do no API work
 * and print an address the harness precomputed. The static floor is the Go `static` IPAM plugin
 * (the cheapest possible process); the runtime floor is a Node single executable built like
 * ours (bench/floor-plugin.ts), so the gap between it and ours is the cost of allocating.
 */
import path from "node:path";
import type { AddressWindow } from "./address-window.js";
import type { BenchNode } from "./bench-nodes.js";
import { FLOOR_TYPE } from "./floor-build.js";
import { networkConfig, type BenchSystem, type Holding } from "./system.js";

abstract class Floor implements BenchSystem {
  abstract readonly id: "static-floor" | "runtime-floor";
  abstract readonly label: string;
  abstract readonly exe: string;
  abstract readonly version: string;
  readonly precomputed = true;
  async setup(): Promise<void> {}
  async resetWindow(): Promise<void> {}
  abstract netconf(node: BenchNode, w: AddressWindow, address?: string): Record<string, unknown>;
  async holdings(): Promise<Holding[]> {
    return [];
  }
  async leftovers(): Promise<Record<string, number>> {
    return {};
  }
  async teardown(): Promise<void> {}
}

export class StaticFloor extends Floor {
  readonly id = "static-floor" as const;
  readonly label = "static floor (Go static IPAM)";
  readonly exe: string;
  readonly version: string;
  constructor(goPluginDir: string) {
    super();
    this.exe = path.join(goPluginDir, "static");
    this.version = `containernetworking/plugins ${/_cni-(v[^_]+)_/.exec(goPluginDir)?.[1] ?? "unknown"}`;
  }
  netconf(_node: BenchNode, w: AddressWindow, address?: string): Record<string, unknown> {
    return networkConfig({
      type: "static",
      addresses: [{ address: `${need(address)}/${w.prefix}` }],
    });
  }
}

export class RuntimeFloor extends Floor {
  readonly id = "runtime-floor" as const;
  readonly label = "runtime floor (Node SEA, no API)";
  readonly version = `Node ${process.version} single executable`;
  constructor(readonly exe: string) {
    super();
  }
  netconf(_node: BenchNode, w: AddressWindow, address?: string): Record<string, unknown> {
    return networkConfig({ type: FLOOR_TYPE, address: `${need(address)}/${w.prefix}` });
  }
}

function need(address: string | undefined): string {
  if (!address) throw new Error("a floor needs a precomputed address; the window is full");
  return address;
}
