/**
 * The scenarios of docs/benchmarks.md#storm-benchmark-ours-vs-whereabouts-and-the-floors, run for every system in turn (scenario
 * outer, system inner, so a change in the shared machine's load hits all systems alike):
 *
 *   S0  warm-up: 1 ADD + 1 DEL, not reported
 *   S1  sequential baseline: N ADDs, then N DELs, one call in flight
 *   S3  storm on a /16 (addresses sufficient), per concurrency; then S4: DEL all + leak audit
 *   S2  storm on a pool of exactly as many addresses as Pods, per concurrency; at the first
 *       concurrency also S5 (one more ADD fails, one release, the ADD succeeds) and S6 (churn
 *       rounds of deleting 20% and adding as many fresh Pods); then S4: DEL all + leak audit;
 *       then S6's refill with fresh Pods (black-box leak test), DEL all, audit again
 */
import { exactWindow, wideWindow } from "./address-window.js";
import type { BenchOptions } from "./options.js";
import type { BenchSystem } from "./system.js";
import { Session, type LivePod, type RunEnv } from "./session.js";

export interface ScenarioChecks {
  /** S2 per concurrency: every Pod got an address. */
  allAddressed: Record<string, boolean>;
  duplicates: number;
  leaks: number;
  /** S5: the extra ADD failed on the full pool, and succeeded after one release. */
  exhaustion?: { failedWhenFull: boolean; reason?: string; succeededAfterRelease: boolean };
  /** S6: every refill ADD succeeded. */
  refill?: boolean;
}

export async function runScenarios(
  env: RunEnv,
  opts: BenchOptions,
  systems: BenchSystem[],
  rng: () => number,
): Promise<Record<string, ScenarioChecks>> {
  const checks: Record<string, ScenarioChecks> = Object.fromEntries(
    systems.map(s => [s.id, { allAddressed: {}, duplicates: 0, leaks: 0 }]),
  );
  const note = (s: Session, dups: number, leaks?: number) => {
    const c = checks[s.system.id]!;
    c.duplicates += dups;
    c.leaks += leaks ?? 0;
  };
  const wide = wideWindow();
  const exact = exactWindow(opts.pods);

  for (const sys of systems) {
    const s = new Session(env, sys, wide);
    await s.open();
    await s.addPods(1, "S0", "S0 warm-up ADD", "sequential");
    await s.deletePods([...s.live], "S0", "S0 warm-up DEL", "sequential");
  }

  if (opts.scenarios.includes("S1")) {
    for (const sys of systems) {
      const s = new Session(env, sys, wide);
      await s.open();
      const add = await s.addPods(opts.sequential, "S1", "S1 sequential ADD", "sequential");
      const del = await s.deletePods([...s.live], "S1", "S1 sequential DEL", "sequential");
      await s.auditEmpty(del);
      note(s, add.duplicates + del.duplicates, del.leaks);
    }
  }

  for (const [ci, c] of opts.concurrency.entries()) {
    const tag = `c=${c}`;
    if (opts.scenarios.includes("S3")) {
      for (const sys of systems) {
        const s = new Session(env, sys, wide);
        await s.open();
        const add = await s.addPods(opts.pods, "S3", `S3 ${tag} ADD`, c);
        const del = await s.deletePods([...s.live], "S4", `S4 ${tag} DEL after S3`, c);
        await s.auditEmpty(del);
        note(s, add.duplicates + del.duplicates, del.leaks);
      }
    }
    if (!opts.scenarios.includes("S2")) continue;
    for (const sys of systems) {
      const s = new Session(env, sys, exact);
      await s.open();
      const add = await s.addPods(opts.pods, "S2", `S2 ${tag} ADD`, c);
      const chk = checks[sys.id]!;
      chk.allAddressed[tag] = add.stats.ok === opts.pods;
      let dups = add.duplicates;
      if (ci === 0 && opts.scenarios.includes("S5") && !sys.precomputed)
        chk.exhaustion = await exhaustion(s, tag);
      if (ci === 0 && opts.scenarios.includes("S6")) {
        for (let round = 1; round <= opts.churnRounds; round++) {
          const victims = pick(s.live, Math.round(opts.pods * 0.2), rng);
          dups += (await s.deletePods(victims, "S6", `S6 churn ${round} DEL`, c)).duplicates;
          dups += (await s.addPods(victims.length, "S6", `S6 churn ${round} ADD`, c)).duplicates;
        }
      }
      const del = await s.deletePods([...s.live], "S4", `S4 ${tag} DEL after S2`, c);
      await s.auditEmpty(del);
      note(s, dups + del.duplicates, del.leaks);
      if (ci === 0 && opts.scenarios.includes("S6")) {
        const refill = await s.addPods(opts.pods, "S6", "S6 refill ADD", c);
        chk.refill = refill.stats.ok === opts.pods;
        const del2 = await s.deletePods([...s.live], "S6", "S6 refill DEL", c);
        await s.auditEmpty(del2);
        note(s, refill.duplicates + del2.duplicates, del2.leaks);
      }
    }
  }
  return checks;
}

/** S5 on a full exact pool: one more ADD must fail; after one release it must succeed. */
async function exhaustion(s: Session, tag: string): Promise<ScenarioChecks["exhaustion"]> {
  const first = await s.addPods(1, "S5", `S5 ${tag} ADD on full pool`, "sequential");
  const extra = s.live[s.live.length - 1]!;
  const failedWhenFull = first.stats.failed === 1;
  const reason = Object.keys(first.stats.failuresByReason)[0];
  if (!failedWhenFull) return { failedWhenFull, succeededAfterRelease: false };
  // The runtime tears the failed sandbox down (CNI DEL) before it retries with a new one.
  await s.delSandbox(extra, "S5", `S5 ${tag} DEL of the failed sandbox`);
  const victim = s.live.find(p => p !== extra && p.address)!;
  await s.deletePods([victim], "S5", `S5 ${tag} DEL one`, "sequential");
  const retry = await s.retryAdd(extra, "S5", `S5 ${tag} ADD after one release`);
  return { failedWhenFull, reason, succeededAfterRelease: retry.stats.ok === 1 };
}

/** `n` distinct random elements (Fisher–Yates prefix with the seeded generator). */
export function pick<T>(items: T[], n: number, rng: () => number): T[] {
  const a = [...items];
  for (let i = 0; i < Math.min(n, a.length); i++) {
    const j = i + Math.floor(rng() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

/** mulberry32: a small seeded generator, so a run's churn victims can be reproduced. */
export function seeded(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = t;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export type { LivePod };
