import { backoffDelay, type BackoffPolicy, type RandomSource } from "../core/base/backoff.js";
import { KeyQueue } from "../core/base/key-queue.js";

/** Retries of a failed key: 0.4 s, 0.8 s, … up to 30 s, each jittered into its upper half. */
const RETRY_BACKOFF: BackoffPolicy = { baseMs: 400, maxMs: 30_000, jitter: 0.5 };

/**
 * How long one run of a key may hold a concurrency slot. Every API request has its own deadline
 * (30 s), so only a handler stuck on something else, or one chaining many slow calls, gets here.
 */
export const DEFAULT_JOB_TIMEOUT_MS = 120_000;

export interface WorkQueueOptions {
  delayMs?: number;
  /**
   * Least time between the starts of two runs of one key. An add after a quiet period still runs
   * after `delayMs` (leading edge); adds that keep coming meanwhile wait for the interval to pass
   * and run once then, so a key that changes all the time runs once per interval.
   */
  minIntervalMs?: number;
  concurrency?: number;
  maxRetries?: number;
  /** Deadline of one run; past it the slot is freed and the key retried like a failure. */
  jobTimeoutMs?: number;
  backoff?: BackoffPolicy;
  random?: RandomSource;
  onError?: (key: string, e: unknown, attempt: number) => void;
}

/** The failure a run is charged with when it outlives its deadline. */
export class JobTimeoutError extends Error {
  readonly code = "job_timeout";
  constructor(key: string, ms: number) {
    super(`work on ${key} did not finish within ${ms} ms; its slot is freed and the key retried`);
    this.name = "JobTimeoutError";
  }
}

/**
 * A keyed work queue with the semantics Pepr's Reconcile lacks: a key queued many times runs
 * once (coalescing bursts of events), one key never runs twice at the same time, and a failed
 * key is retried with jittered exponential backoff up to a bound, then dropped until its next
 * event or the next periodic resync.
 *
 * A run that outlives `jobTimeoutMs` is abandoned: its slot goes to the next key and the key is
 * retried like a failure, so a handler hung on a dead connection cannot hold the queue for good.
 * The abandoned promise may still settle later; its outcome is ignored. Handlers are written to
 * be repeatable (reads before writes, UID preconditions), which is what makes that retry safe.
 */
export class WorkQueue {
  /** Keys due to run, oldest first; a key running now stays queued until its run ends. */
  readonly #dirty = new KeyQueue();
  readonly #running = new Map<string, number>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** When each key's last run started; kept only with `minIntervalMs`, swept once stale. */
  readonly #started = new Map<string, number>();
  #sweepAt = 64;
  #active = 0;
  #runs = 0;
  #stopped = false;

  constructor(
    private readonly work: (key: string) => Promise<void>,
    private readonly opts: WorkQueueOptions = {},
  ) {}

  /** Schedules `key` after the coalescing delay (or `delayMs`), and not before its interval since its last run. */
  add(key: string, delayMs = this.opts.delayMs ?? 200): void {
    if (this.#stopped || this.#timers.has(key)) return;
    const last = this.#started.get(key);
    if (last !== undefined)
      delayMs = Math.max(delayMs, last + (this.opts.minIntervalMs ?? 0) - Date.now());
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

  /** Keys holding a slot right now. */
  get active(): number {
    return this.#active;
  }

  /** Resolves when nothing is queued, waiting or running. */
  async idle(): Promise<void> {
    while (this.#dirty.size || this.#running.size || this.#timers.size)
      await new Promise(r => setTimeout(r, 20));
  }

  /**
   * Starts due keys while slots are free. Called on every completion, so it must not cost the
   * size of the queue: it looks only at the keys it starts and at queued keys still running,
   * of which there are at most `concurrency`.
   */
  #pump(): void {
    const limit = this.opts.concurrency ?? 4;
    while (this.#active < limit) {
      // A key still running stays queued: it runs again after the current run ends.
      const key = this.#dirty.takeFirst(k => this.#running.has(k));
      if (key === undefined) return;
      this.#run(key);
    }
  }

  #run(key: string): void {
    if (this.opts.minIntervalMs) this.#noteStart(key);
    const run = ++this.#runs;
    this.#running.set(key, run);
    this.#active++;
    const timeoutMs = this.opts.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new JobTimeoutError(key, timeoutMs)), timeoutMs);
    });
    void Promise.race([this.work(key), deadline])
      .then(() => this.#failures.delete(key))
      .catch((e: unknown) => {
        const n = (this.#failures.get(key) ?? 0) + 1;
        this.opts.onError?.(key, e, n);
        if (n <= (this.opts.maxRetries ?? 10)) {
          this.#failures.set(key, n);
          this.add(
            key,
            backoffDelay(this.opts.backoff ?? RETRY_BACKOFF, n, this.opts.random ?? Math.random),
          );
        } else this.#failures.delete(key);
      })
      .finally(() => {
        clearTimeout(timer);
        if (this.#running.get(key) === run) this.#running.delete(key);
        this.#active--;
        this.#pump();
      });
  }

  /**
   * Records a run's start. Entries older than the interval no longer delay anything, so they are
   * swept whenever the map has doubled since the last sweep: memory stays in proportion to the
   * keys run within one interval, and the sweeps' cost per run stays constant.
   */
  #noteStart(key: string): void {
    const now = Date.now();
    this.#started.set(key, now);
    if (this.#started.size < this.#sweepAt) return;
    const horizon = now - this.opts.minIntervalMs!;
    for (const [k, at] of this.#started) if (at <= horizon) this.#started.delete(k);
    this.#sweepAt = Math.max(64, this.#started.size * 2);
  }
}
