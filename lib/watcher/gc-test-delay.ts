/**
 * `SPIDERPOOL_TEST_GC_DELAY_MS`: how long the IP GC holds a release it has decided before it
 * deletes the claims. The local cluster sets it to keep a decision in flight while a StatefulSet
 * Pod comes back, so a test can watch the resourceVersion-conditioned delete lose
 * (docs/concepts/fault-model.md, "What never means"). Nothing else should set it: unset or 0 is
 * no wait, and the watcher warns at start when it is set.
 */
export function gcReleaseDelayMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SPIDERPOOL_TEST_GC_DELAY_MS;
  if (raw === undefined || raw === "") return 0;
  const ms = Number(raw);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`SPIDERPOOL_TEST_GC_DELAY_MS: expected a non-negative integer number of milliseconds, got ${JSON.stringify(raw)}`);
  return ms;
}
