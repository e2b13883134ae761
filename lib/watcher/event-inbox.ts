import type { KubeObject } from "../k8s/api-client.js";
import type { AutoPoolWorkloadKind } from "../core/auto-pool/auto-pool-workload.js";

/** The kinds the capability's Watch bindings deliver (capabilities/spiderpool.ts). */
export type WatchedKind =
  | "SpiderIPPool"
  | "SpiderSubnet"
  | "SpiderReservedIP"
  | "SpiderEndpoint"
  | "SpiderMultusConfig"
  | AutoPoolWorkloadKind;

/** The phases Pepr passes to a Watch callback (kubernetes-fluent-client's WatchPhase values). */
export type WatchedPhase = "ADDED" | "MODIFIED" | "DELETED";

/** A controller's entry point for one kind: it only enqueues, so it returns at once. */
export type EventReceiver = (object: KubeObject, phase: WatchedPhase) => void;

/** Thrown by {@link EventInbox.deliver} for a phase Pepr never passes: better loud than ignored. */
export class UnknownPhaseError extends Error {
  readonly code = "unknown_watch_phase";
  constructor(kind: string, phase: string) {
    super(
      `watch event of ${kind} with phase ${JSON.stringify(phase)}: expected ADDED, MODIFIED or DELETED`,
    );
    this.name = "UnknownPhaseError";
  }
}

const PHASES: readonly string[] = ["ADDED", "MODIFIED", "DELETED"];

/**
 * Where the capability's Watch handlers hand events to lib/watcher's controllers. Pepr owns the
 * watches (the capability declares them); the controllers own what follows (their work queues,
 * retries and caches). A controller registers one receiver per kind when it starts; the handler
 * delivers (kind, object, phase) to every receiver of the kind.
 *
 * An event that arrives before any receiver of its kind is registered (Pepr's watches start with
 * the module, the controllers once the configuration is read), or for a controller the
 * configuration leaves off, is dropped and counted. Nothing is lost by that: every controller
 * looks at every object of its kind when it starts and again on its periodic resync
 * (docs/architecture.md, "What reacts to each kind").
 */
export class EventInbox {
  readonly #receivers = new Map<WatchedKind, EventReceiver[]>();
  #dropped = 0;

  /** Adds a receiver of `kind`; the returned function removes it again. */
  register(kind: WatchedKind, receiver: EventReceiver): () => void {
    const list = this.#receivers.get(kind) ?? [];
    list.push(receiver);
    this.#receivers.set(kind, list);
    return () => {
      const now = this.#receivers.get(kind) ?? [];
      this.#receivers.set(
        kind,
        now.filter(r => r !== receiver),
      );
    };
  }

  /**
   * Hands one event to every receiver of its kind; returns how many took it (0: dropped). A
   * receiver that throws does not keep the event from the others; the first error is rethrown
   * afterwards, so Pepr logs it ("Error executing watch callback").
   */
  deliver(kind: WatchedKind, object: KubeObject, phase: string): number {
    if (!PHASES.includes(phase)) throw new UnknownPhaseError(kind, phase);
    const receivers = this.#receivers.get(kind) ?? [];
    if (!receivers.length) {
      this.#dropped++;
      return 0;
    }
    let failure: { e: unknown } | undefined;
    for (const r of receivers) {
      try {
        r(object, phase as WatchedPhase);
      } catch (e) {
        failure ??= { e };
      }
    }
    if (failure) throw failure.e;
    return receivers.length;
  }

  /** Events no receiver took since this inbox was made. */
  get dropped(): number {
    return this.#dropped;
  }
}

/** The process's one inbox: the capability delivers to it, lib/watcher/start.ts registers on it. */
export const watchEvents = new EventInbox();
