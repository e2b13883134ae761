/**
 * Keys waiting for work, in the order they were first queued: a key queued again keeps its
 * place, and taking the next one skips keys the caller cannot start yet without moving them.
 * Every operation is O(1) apart from the keys skipped, so a queue holding tens of thousands of
 * keys costs the same per key as one holding ten; the watcher's work queue used to copy its
 * whole set of keys on each completion instead (docs/benchmarks.md#per-event-costs-in-the-agent-and-the-watcher).
 */
interface Entry {
  readonly key: string;
  prev: Entry | undefined;
  next: Entry | undefined;
}

export class KeyQueue {
  readonly #entries = new Map<string, Entry>();
  #head: Entry | undefined;
  #tail: Entry | undefined;

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Queues `key` last, unless it is queued already (then it keeps its place). */
  add(key: string): void {
    if (this.#entries.has(key)) return;
    const e: Entry = { key, prev: this.#tail, next: undefined };
    if (this.#tail) this.#tail.next = e;
    else this.#head = e;
    this.#tail = e;
    this.#entries.set(key, e);
  }

  delete(key: string): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    this.#unlink(e);
    return true;
  }

  /**
   * Removes and returns the first key for which `skip` is false, looking at keys in order; the
   * skipped ones stay where they are. The cost is one call of `skip` per key looked at.
   */
  takeFirst(skip: (key: string) => boolean = () => false): string | undefined {
    for (let e = this.#head; e; e = e.next) {
      if (skip(e.key)) continue;
      this.#unlink(e);
      return e.key;
    }
    return undefined;
  }

  /** The keys in order (a copy: for tests and diagnostics, not for a hot path). */
  keys(): string[] {
    const out: string[] = [];
    for (let e = this.#head; e; e = e.next) out.push(e.key);
    return out;
  }

  #unlink(e: Entry): void {
    if (e.prev) e.prev.next = e.next;
    else this.#head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.#tail = e.prev;
    this.#entries.delete(e.key);
  }
}
