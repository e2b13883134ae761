/**
 * What an operator needs to see that the API client is stuck rather than idle: how long the
 * oldest request in flight has waited, and per watched kind how long ago its watch last showed a
 * sign of life. A half-open connection shows as a growing age long before anything else fails
 * (docs/usage/metrics.md, "API client health").
 */
export class ApiActivity {
  readonly #inflight = new Map<number, number>();
  readonly #watches = new Set<WatchActivity>();
  readonly #received = new Map<string, { events: number; bytes: number }>();
  #next = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a request as started; call the returned function once it has ended, either way. */
  begin(): () => void {
    const id = this.#next++;
    this.#inflight.set(id, this.now());
    return () => void this.#inflight.delete(id);
  }

  /** Seconds the oldest request in flight has been waiting; 0 when none is. */
  oldestInFlightSeconds(): number {
    let oldest = Infinity;
    for (const t of this.#inflight.values()) oldest = Math.min(oldest, t);
    return oldest === Infinity ? 0 : (this.now() - oldest) / 1000;
  }

  /** A watch of `kind` (a resource plural such as `pods`), alive until `close()`. */
  watch(kind: string): WatchActivity {
    const w = new WatchActivity(kind, this.now, x => this.#watches.delete(x));
    this.#watches.add(w);
    return w;
  }

  /**
   * Counts what the watches of `kind` delivered: the cost every agent pays per change in the
   * cluster, which docs/concepts/scale.md measures against the node count.
   */
  received(kind: string, bytes: number, events: number): void {
    const r = this.#received.get(kind) ?? { events: 0, bytes: 0 };
    r.bytes += bytes;
    r.events += events;
    this.#received.set(kind, r);
  }

  /** Per kind, watch events and bytes received since the client was made. */
  receivedTotals(): Map<string, { events: number; bytes: number }> {
    return new Map([...this.#received].map(([k, v]) => [k, { ...v }]));
  }

  /**
   * Per kind, seconds since its stalest watch last showed a sign of life: two informers of one
   * kind must not hide each other, so the oldest counts.
   */
  watchAges(): Map<string, number> {
    const out = new Map<string, number>();
    const now = this.now();
    for (const w of this.#watches)
      out.set(w.kind, Math.max(out.get(w.kind) ?? 0, (now - w.lastSeen) / 1000));
    return out;
  }
}

export class WatchActivity {
  #lastSeen: number;

  constructor(
    readonly kind: string,
    private readonly now: () => number,
    private readonly onClose: (w: WatchActivity) => void,
  ) {
    this.#lastSeen = now();
  }

  get lastSeen(): number {
    return this.#lastSeen;
  }

  /** An event, a bookmark, or the watch (re)opened with a 2xx answer. */
  seen(): void {
    this.#lastSeen = this.now();
  }

  close(): void {
    this.onClose(this);
  }
}

/** The metric label of a collection path: its last segment, the resource plural (`pods`, `ipclaims`). */
export function kindOfPath(path: string): string {
  return path.split("?")[0]!.split("/").filter(Boolean).pop() ?? path;
}
