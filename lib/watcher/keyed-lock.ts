/**
 * Runs work for one key at a time, in arrival order, in this process. The watcher serialises
 * the writes of each SpiderSubnet's status with it, so its own reconciles do not lose
 * compare-and-swap races to each other; the CAS is still what guards against other writers
 * (agents creating third-party pools).
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}
