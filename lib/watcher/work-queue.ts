/**
 * A keyed work queue with the semantics Pepr's Reconcile lacks: a key queued many times runs
 * once (coalescing bursts of events), one key never runs twice at the same time, and a failed
 * key is retried with exponential backoff up to a bound, then dropped until its next event or
 * the next periodic resync.
 */
export class WorkQueue {
  readonly #dirty = new Set<string>();
  readonly #running = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #active = 0;
  #stopped = false;

  constructor(
    private readonly work: (key: string) => Promise<void>,
    private readonly opts: { delayMs?: number; concurrency?: number; maxRetries?: number; onError?: (key: string, e: unknown, attempt: number) => void } = {},
  ) {}

  /** Schedules `key` after the coalescing delay (or `delayMs`). */
  add(key: string, delayMs = this.opts.delayMs ?? 200): void {
    if (this.#stopped || this.#timers.has(key)) return;
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        this.#dirty.add(key);
        this.#pump();
      }, delayMs),
    );
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
  }

  /** Resolves when nothing is queued, waiting or running. */
  async idle(): Promise<void> {
    while (this.#dirty.size || this.#running.size || this.#timers.size) await new Promise((r) => setTimeout(r, 20));
  }

  #pump(): void {
    const limit = this.opts.concurrency ?? 4;
    for (const key of [...this.#dirty]) {
      if (this.#active >= limit) return;
      if (this.#running.has(key)) continue; // runs again after the current run ends
      this.#dirty.delete(key);
      this.#running.add(key);
      this.#active++;
      void this.work(key)
        .then(() => this.#failures.delete(key))
        .catch((e: unknown) => {
          const n = (this.#failures.get(key) ?? 0) + 1;
          this.opts.onError?.(key, e, n);
          if (n <= (this.opts.maxRetries ?? 10)) {
            this.#failures.set(key, n);
            this.add(key, Math.min(200 * 2 ** n, 30_000));
          } else this.#failures.delete(key);
        })
        .finally(() => {
          this.#running.delete(key);
          this.#active--;
          this.#pump();
        });
    }
  }
}
