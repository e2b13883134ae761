/**
 * Admission of plugin processes. Each simulated node has its own slots (the concurrency under
 * test); on top, the machine has a cap on processes alive at once and a free-memory floor,
 * because a thousand waiting plugin processes can exhaust RAM shared with other people's
 * clusters. Time spent waiting here is the harness's queueing, recorded apart from service time.
 */
import fs from "node:fs";

export class Slots {
  #free: number;
  readonly #waiters: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>(r => this.#waiters.push(r));
  }
  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }
}

/** MemAvailable of /proc/meminfo in MiB (Infinity where there is no /proc). */
export function memAvailableMiB(): number {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(fs.readFileSync("/proc/meminfo", "utf8"));
    return m ? Number(m[1]) / 1024 : Infinity;
  } catch {
    return Infinity;
  }
}

export interface MachineGateStats {
  peakAlive: number;
  /** Milliseconds during which launches waited for memory. */
  memoryPausedMs: number;
}

/** The machine-wide cap and memory floor. */
export class MachineGate {
  #alive = 0;
  #peak = 0;
  #pausedMs = 0;
  readonly #slots: Slots;

  constructor(
    readonly maxAlive: number,
    private readonly minFreeMiB: number,
    private readonly freeMiB: () => number = memAvailableMiB,
  ) {
    this.#slots = new Slots(maxAlive);
  }

  async acquire(): Promise<void> {
    await this.#slots.acquire();
    let since: number | undefined;
    while (this.minFreeMiB > 0 && this.freeMiB() < this.minFreeMiB) {
      since ??= Date.now();
      await new Promise(r => setTimeout(r, 200));
    }
    if (since !== undefined) this.#pausedMs += Date.now() - since;
    this.#alive++;
    this.#peak = Math.max(this.#peak, this.#alive);
  }

  release(): void {
    this.#alive--;
    this.#slots.release();
  }

  /** Statistics since the last call. */
  takeStats(): MachineGateStats {
    const s = { peakAlive: this.#peak, memoryPausedMs: this.#pausedMs };
    this.#peak = this.#alive;
    this.#pausedMs = 0;
    return s;
  }
}
