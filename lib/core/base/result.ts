/**
 * Expected outcomes of pure functions are returned, not thrown: callers must look at `ok`.
 * Throwing is kept for programming errors only.
 */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}
