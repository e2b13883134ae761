/**
 * `SPIDERPOOL_TEST_GC_DELAY_MS`: how long a decided GC release waits before it deletes the
 * claims — the watcher's IP GC, and the agent's release after it confirmed no sandbox holds the
 * addresses (docs/concepts/gc.md). The local cluster sets it to keep a decision in flight while a
 * StatefulSet Pod comes back, so a test can watch the resourceVersion-conditioned delete lose
 * (docs/concepts/fault-model.md, "What never means"). Nothing else should set it: unset or 0 is
 * no wait, and the watcher and the agent each warn at start when it is set.
 */
export function gcReleaseDelayMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SPIDERPOOL_TEST_GC_DELAY_MS;
  if (raw === undefined || raw === "") return 0;
  const ms = Number(raw);
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new Error(
      `SPIDERPOOL_TEST_GC_DELAY_MS: expected a non-negative integer number of milliseconds, got ${JSON.stringify(raw)}`,
    );
  return ms;
}
