import { CoalescedRun } from "../core/base/coalesced-run.js";
import { isAlive } from "../core/lifecycle/pod-liveness.js";
import { isQuarantined } from "../core/lifecycle/quarantine.js";
import { sandboxEvidence } from "../core/lifecycle/sandbox-evidence.js";
import type { Logger } from "../logger.js";
import type { Claim, ClusterView } from "./cluster-view.js";
import type { AgentMetrics } from "./metrics.js";
import type { Releaser } from "./releaser.js";
import type { SandboxRecords } from "./sandbox-records.js";

/** How long a Pod UID whose claims GC's rules keep is left alone before it is judged again. */
const KEPT_MS = 30_000;

export interface SandboxSweepDeps {
  view: ClusterView;
  records: SandboxRecords;
  releaser: Releaser;
  metrics: AgentMetrics;
  log: Logger;
  /** `gc.readyNodeReleaseAfterSeconds` in ms: how long a record of unknown fate outlives its claims. */
  unknownRecordTtlMs: number;
}

/**
 * The agent's half of GC on its own node (docs/concepts/gc.md, "Ready nodes: the agent
 * confirms"): the claims made on this node whose Pod is gone, re-created or stuck Terminating
 * are released here once the sandbox records show that no sandbox still holds them. The
 * watcher's GC never can know that; it only releases after `gc.readyNodeReleaseAfterSeconds`.
 * Runs every `agent.sandboxCheckIntervalSeconds`, and soon after a Pod of this node goes.
 */
export class SandboxSweep {
  readonly #run = new CoalescedRun(() =>
    this.sweep().then(
      () => undefined,
      (e: Error) => void this.d.log.warn("sandbox check failed", { err: e }),
    ),
  );
  #soon: NodeJS.Timeout | undefined;
  #timer: NodeJS.Timeout | undefined;
  /**
   * Pod UIDs whose confirmed claims GC's rules still keep (a wanted StatefulSet ordinal, a grace
   * period) → when to judge them again: each judgement reads the Pod and maybe its StatefulSet.
   */
  readonly #kept = new Map<string, number>();

  constructor(private readonly d: SandboxSweepDeps) {}

  start(intervalMs: number): this {
    this.#timer = setInterval(() => this.trigger(), intervalMs);
    this.#timer.unref();
    this.d.view.pods.on(ev => {
      if (
        ev.type === "deleted" ||
        (ev.type === "updated" &&
          ev.object.metadata.deletionTimestamp &&
          !ev.old.metadata.deletionTimestamp)
      )
        this.#triggerSoon();
    });
    this.trigger();
    return this;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
  }

  /** One sweep now, or right after the one running. */
  trigger(): Promise<void> {
    return this.#run.trigger();
  }

  #triggerSoon(): void {
    if (this.#soon) return;
    // A moment's pause: the runtime's DEL usually follows a deletion at once and settles it.
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      void this.trigger();
    }, 1000);
    this.#soon.unref();
  }

  /** Returns how many addresses were released. */
  async sweep(): Promise<number> {
    const { view, records } = this.d;
    const byUid = new Map<string, Claim[]>();
    for (const c of view.allClaims()) {
      if (c.spec.node !== view.nodeName) continue;
      // A quarantined address belongs to no Pod, whatever its sandboxes do: the watcher frees it
      // at its expiry (docs/usage/conflict-detection.md).
      if (isQuarantined(c.spec)) continue;
      byUid.set(c.spec.podUID, [...(byUid.get(c.spec.podUID) ?? []), c]);
    }
    const observed = records.observe();
    let released = 0;
    for (const [uid, claims] of byUid) {
      const { podNamespace, podName } = claims[0]!.spec;
      const cached = view.pods.get(podName, podNamespace);
      // The live incarnation keeps its addresses whatever its sandboxes do; no read needed.
      if (cached && cached.metadata.uid === uid && isAlive(cached)) continue;
      const evidence = claims.map(c =>
        sandboxEvidence(
          {
            podUID: uid,
            address: c.spec.address,
            createdAt: Date.parse(c.metadata.creationTimestamp ?? "") || 0,
          },
          observed,
          records.since,
        ),
      );
      if (!evidence.every(e => e.state === "gone")) continue;
      if ((this.#kept.get(uid) ?? 0) > Date.now()) continue;
      const how = evidence[0]!.state === "gone" ? evidence[0]!.how : "";
      const n = await this.d.releaser.releaseConfirmed(uid, claims, how);
      if (n === 0) this.#kept.set(uid, Date.now() + KEPT_MS);
      else this.#kept.delete(uid);
      this.d.metrics.sandboxConfirmedReleases.inc(n);
      released += n;
    }
    const claimed = new Set(
      view
        .allClaims()
        .filter(c => c.spec.node === view.nodeName)
        .map(c => c.spec.podUID),
    );
    for (const uid of this.#kept.keys()) if (!claimed.has(uid)) this.#kept.delete(uid);
    const dropped = records.prune(claimed, this.d.unknownRecordTtlMs);
    if (dropped) this.d.log.debug("sandbox records dropped", { dropped, left: records.size });
    return released;
  }
}
