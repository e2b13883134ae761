/**
 * The address windows every system allocates from, identical for all: the same subnet and the
 * same first..last addresses, expressed in each system's own configuration. Pure.
 */
import { formatAddress, parseAddress } from "../lib/core/net/address.js";

export interface AddressWindow {
  id: "exact" | "wide" | "scale";
  /** e.g. 10.200.0.0/16 */
  subnet: string;
  prefix: number;
  first: bigint;
  count: number;
}

function v4(text: string): bigint {
  const a = parseAddress(text, 4);
  if (!a.ok) throw new Error(`bad IPv4 address ${text}`);
  return a.value.value;
}

/** S2/S5/S6: exactly as many addresses as Pods. */
export function exactWindow(pods: number): AddressWindow {
  return { id: "exact", subnet: "10.200.0.0/16", prefix: 16, first: v4("10.200.0.1"), count: pods };
}

/** S1/S3: a whole /16 (network and broadcast excluded). */
export function wideWindow(): AddressWindow {
  return { id: "wide", subnet: "10.201.0.0/16", prefix: 16, first: v4("10.201.0.1"), count: 65534 };
}

/** The pool-scale test's /16. */
export function scaleWindow(): AddressWindow {
  return {
    id: "scale",
    subnet: "10.202.0.0/16",
    prefix: 16,
    first: v4("10.202.0.1"),
    count: 65534,
  };
}

export function addressAt(w: AddressWindow, i: number): string {
  return formatAddress(w.first + BigInt(i), 4);
}

export function lastAddress(w: AddressWindow): string {
  return addressAt(w, w.count - 1);
}

/** `first-last`, the range syntax of SpiderIPPool `ips`. */
export function windowRange(w: AddressWindow): string {
  return `${addressAt(w, 0)}-${lastAddress(w)}`;
}

/** Whether the window is the whole subnet minus network and broadcast. */
export function coversSubnet(w: AddressWindow): boolean {
  const net = w.first - 1n;
  return formatAddress(net, 4) === w.subnet.split("/")[0] && w.count === 2 ** (32 - w.prefix) - 2;
}

/** Offset of an address from the subnet's network address (Whereabouts' allocation keys). */
export function offsetInSubnet(w: AddressWindow, address: string): number {
  return Number(v4(address) - v4(w.subnet.split("/")[0]!));
}

export function addressAtOffset(w: AddressWindow, offset: number): string {
  return formatAddress(v4(w.subnet.split("/")[0]!) + BigInt(offset), 4);
}

/**
 * The floors' precomputed addresses: the harness, not the plugin, keeps the book (lowest free
 * first, then most recently freed), outside the timed process.
 */
export class AddressBook {
  readonly #free: number[];
  readonly #held = new Set<number>();

  constructor(readonly window: AddressWindow) {
    this.#free = Array.from({ length: window.count }, (_, i) => window.count - 1 - i);
  }

  /** The next free address, or undefined when the window is full. */
  take(): string | undefined {
    const i = this.#free.pop();
    if (i === undefined) return undefined;
    this.#held.add(i);
    return addressAt(this.window, i);
  }

  release(address: string): void {
    const i = Number(v4(address) - this.window.first);
    if (!this.#held.delete(i)) return;
    this.#free.push(i);
  }

  get held(): number {
    return this.#held.size;
  }
}
