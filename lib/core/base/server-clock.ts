/**
 * The API server's clock, as seen from here. Grace deadlines are stamped by the control plane
 * (`deletionTimestamp`, a Ready condition's `lastTransitionTime`); judging them against the local
 * clock would release early on a host whose clock runs ahead (docs/concepts/gc.md). Every
 * response of the API server carries an HTTP `Date` header; each one bounds the offset between
 * the two clocks from below: the server stamped it (truncated to the second) before we received
 * it. `now()` is local time plus the largest such bound among recent answers, so it never runs
 * ahead of the server's clock by more than the drift since the last answer: a deadline judged
 * with it is never passed early, only up to a round trip plus a second late.
 */
export class ServerClock {
  /** Lower bounds of `server - local` (ms) of the latest answers, newest last. */
  readonly #bounds: number[] = [];

  constructor(
    private readonly local: () => number = Date.now,
    /** How many answers count: a stepped server clock is followed after this many. */
    private readonly keep = 32,
  ) {}

  /** Records one answer: its `Date` header and the local time it arrived. Unreadable headers are skipped. */
  sample(dateHeader: string | undefined, receivedAt: number): void {
    const stamped = Date.parse(dateHeader ?? "");
    if (Number.isNaN(stamped)) return;
    this.#bounds.push(stamped - receivedAt);
    if (this.#bounds.length > this.keep) this.#bounds.shift();
  }

  /** Local time; the time to pass as `receivedAt`. */
  localNow(): number {
    return this.local();
  }

  /** `server - local` in ms, 0 until an answer has been seen. */
  offset(): number {
    return this.#bounds.length ? Math.max(...this.#bounds) : 0;
  }

  /** The API server's time now (epoch ms), never ahead of it. */
  now(): number {
    return this.local() + this.offset();
  }
}
