/**
 * This host's clock. `SPIDERPOOL_TEST_CLOCK_SKEW_MS` shifts it by a signed number of ms: the
 * local cluster sets it to play a host whose clock is off, so the tests can see that deadlines
 * follow the API server's clock (docs/concepts/gc.md). Nothing else should set it.
 */
export function localClock(env: NodeJS.ProcessEnv = process.env): () => number {
  const raw = env.SPIDERPOOL_TEST_CLOCK_SKEW_MS;
  if (raw === undefined || raw === "") return Date.now;
  const skew = Number(raw);
  if (!Number.isSafeInteger(skew))
    throw new Error(
      `SPIDERPOOL_TEST_CLOCK_SKEW_MS: expected an integer number of milliseconds, got ${JSON.stringify(raw)}`,
    );
  return () => Date.now() + skew;
}
