/**
 * Retry delays: exponential, capped, jittered. Without jitter every client that lost the API
 * server at the same moment (all agents of a cluster, all informers of one agent) comes back at
 * the same moments and meets the server in lockstep; spreading each delay over the upper half of
 * its exponential step keeps the growth and breaks the lockstep (see docs/concepts/fault-model.md).
 * Pure: the random source is a parameter, `Math.random` in production, a fixed sequence in specs.
 */

export interface BackoffPolicy {
  /** Delay step of the first retry, in ms. */
  readonly baseMs: number;
  /** Upper bound of any step, in ms. */
  readonly maxMs: number;
  /** Share of the step that is random, 0 (none) to 1 (anywhere in [0, step]). */
  readonly jitter: number;
}

/** Informer restarts and work-queue retries: 0.2 s, 0.4 s, … up to the cap, each in its upper half. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 10_000, jitter: 0.5 };

/** A number in [0, 1), like Math.random. */
export type RandomSource = () => number;

/**
 * The delay before retry number `attempt` (1 for the first retry): the step is
 * `baseMs * 2^(attempt-1)` capped at `maxMs`, and the delay lies in `[step * (1 - jitter), step]`.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: RandomSource): number {
  checkPolicy(policy);
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new RangeError(`backoff attempt must be an integer >= 1, got ${attempt}`);
  // 2^attempt overflows to Infinity long after the cap is reached; min() keeps it finite.
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 60));
  return step * (1 - policy.jitter * unit(random));
}

/** `ms` spread by ±`fraction` of itself, e.g. watch lifetimes so that watches do not all end together. */
export function spread(ms: number, fraction: number, random: RandomSource): number {
  if (!(ms >= 0) || !Number.isFinite(ms))
    throw new RangeError(`spread: ms must be a finite number >= 0, got ${ms}`);
  if (!(fraction >= 0 && fraction <= 1))
    throw new RangeError(`spread: fraction must be in [0, 1], got ${fraction}`);
  return ms * (1 + fraction * (2 * unit(random) - 1));
}

function checkPolicy(p: BackoffPolicy): void {
  if (!(p.baseMs > 0) || !Number.isFinite(p.baseMs))
    throw new RangeError(`backoff baseMs must be a finite number > 0, got ${p.baseMs}`);
  if (!(p.maxMs >= p.baseMs) || !Number.isFinite(p.maxMs))
    throw new RangeError(
      `backoff maxMs must be finite and >= baseMs (${p.baseMs}), got ${p.maxMs}`,
    );
  if (!(p.jitter >= 0 && p.jitter <= 1))
    throw new RangeError(`backoff jitter must be in [0, 1], got ${p.jitter}`);
}

/** A random draw clamped into [0, 1], so a faulty source cannot produce negative delays. */
function unit(random: RandomSource): number {
  const r = random();
  return Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0;
}
