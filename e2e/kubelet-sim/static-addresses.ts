/**
 * Address source for the smoke configuration (macvlan + `static` IPAM), standing in for a
 * runtime that passes `runtimeConfig.ips`: node k hands out 10.250.(k+1).1-254, all in one /16
 * so pods on different nodes share a subnet on the fabric. Not an IPAM: used only before the
 * spiderpool plugin is configured.
 */
export class StaticAddresses {
  readonly #used = new Set<string>();
  constructor(private readonly nodeIndex: number) {}

  markUsed(address: string): void {
    this.#used.add(address);
  }

  release(address: string): void {
    this.#used.delete(address);
  }

  next(): string {
    for (let host = 1; host < 255; host++) {
      const a = `10.250.${this.nodeIndex + 1}.${host}/16`;
      if (!this.#used.has(a)) {
        this.#used.add(a);
        return a;
      }
    }
    throw new Error(`static smoke range of node ${this.nodeIndex} is exhausted`);
  }
}
