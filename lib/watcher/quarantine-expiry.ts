import type { KubeApi, Stored } from "../k8s/api-client.js";
import { deleteClaim } from "../k8s/claim-store.js";
import { recordEvent } from "../k8s/events.js";
import type { Informer } from "../k8s/informer.js";
import { isQuarantined, quarantineEnds } from "../core/lifecycle/quarantine.js";
import type { IPClaim } from "../schemas/ip-claim.js";
import type { Logger } from "../logger.js";
import { SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

type Claim = Stored<IPClaim>;

/**
 * Frees quarantined addresses (docs/usage/conflict-detection.md) when their quarantine ends, by
 * the API server's clock: a timer per claim, and a sweep every minute for anything a timer
 * missed (a watcher restart). The delete is conditioned on the claim as read, so a claim changed
 * meanwhile is judged again from its next event. Runs whether or not IP GC is switched on: a
 * quarantine is a promise to give the address back.
 */
export class QuarantineExpiry {
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly api: KubeApi,
    private readonly claims: Informer<Claim>,
    private readonly log: Logger,
  ) {
    claims.on(ev => {
      if (ev.type === "deleted" || !isQuarantined(ev.object.spec))
        return this.#cancel(ev.object.metadata.name);
      this.#schedule(ev.object);
    });
  }

  start(sweepMs = 60_000): this {
    setInterval(() => this.sweep(), sweepMs).unref();
    return this;
  }

  /** Every quarantined claim, once: the expired are freed, the others get a timer. */
  sweep(): void {
    for (const c of this.claims.list()) if (isQuarantined(c.spec)) this.#schedule(c);
  }

  #schedule(c: Claim): void {
    const name = c.metadata.name;
    this.#cancel(name);
    const wait = Math.max(0, quarantineEnds(c.spec) - this.api.clock.now());
    // setTimeout takes at most 2^31-1 ms; a longer quarantine is looked at again by the sweep.
    const t = setTimeout(
      () => {
        this.#timers.delete(name);
        void this.#free(name).catch((e: Error) =>
          this.log.warn("freeing a quarantined address failed; the sweep retries", {
            claim: name,
            err: e,
          }),
        );
      },
      Math.min(wait + 100, 2 ** 31 - 1),
    );
    t.unref();
    this.#timers.set(name, t);
  }

  #cancel(name: string): void {
    const t = this.#timers.get(name);
    if (t) clearTimeout(t);
    this.#timers.delete(name);
  }

  async #free(name: string): Promise<void> {
    const c = this.claims.get(name);
    if (!c || !isQuarantined(c.spec) || quarantineEnds(c.spec) > this.api.clock.now()) return;
    const r = await deleteClaim(this.api, name, c.metadata.uid, c.metadata.resourceVersion);
    if (r !== "deleted") return;
    this.log.info("quarantine ended; address freed", {
      address: c.spec.address,
      pool: c.spec.pool,
      mac: c.spec.quarantine?.mac,
    });
    const pool = {
      apiVersion: SPIDERPOOL_API_VERSION,
      kind: "SpiderIPPool",
      metadata: { name: c.spec.pool },
    };
    await recordEvent(
      this.api,
      pool,
      "Normal",
      "IPQuarantineEnded",
      `quarantine of ${c.spec.address} ended (answered by MAC ${c.spec.quarantine?.mac ?? "?"} since ${c.spec.quarantine?.since ?? "?"}); the address is free again`,
    );
  }
}
