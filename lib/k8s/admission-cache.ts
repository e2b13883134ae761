import type { KubeApi, KubeObject, Stored } from "./api-client.js";
import { AdmissionReads } from "./admission-reads.js";
import { Informer } from "./informer.js";
import type { K8sError } from "./k8s-error.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { SpiderSubnet } from "../schemas/subnet.js";
import { SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

const SP = `/apis/${SPIDERPOOL_API_VERSION}`;
/**
 * How long a request waits for the first LIST of the cache before reading directly. Well inside
 * the webhook timeout (package.json `pepr.webhookTimeout`, 10 s) even with the direct LIST of
 * 1,000 large pools after it (about 0.6 s, docs/benchmarks.md).
 */
export const DEFAULT_SYNC_WAIT_MS = 3_000;

/**
 * The admission reads of every pool and every subnet, served from watch-fed caches instead of a
 * LIST per request (docs/adr/0010-admission-cache.md). The caches start with the admission
 * process; a request that comes before their first LIST finished waits for it, bounded by
 * `syncWaitMs`, and then reads directly, so a cold webhook still answers from what is stored.
 *
 * A cache may be a few milliseconds behind the API server. That is only ever an optimisation:
 * `uncached` is the direct reader, which the handlers use to confirm a refusal (a stale cache
 * must never refuse what the stored pools allow), and a create admitted against a cache that
 * had not yet seen another create is the race two concurrent creates have always had, settled
 * by the watcher's overlap resolver (ADR 0010). Reads of one object or of one pool's claims stay
 * direct: they are small, and the in-use check guards deletions.
 */
export class CachedAdmissionReads extends AdmissionReads {
  override readonly uncached: AdmissionReads;
  readonly #pools: Informer<Stored<SpiderIPPool>>;
  readonly #subnets: Informer<Stored<SpiderSubnet>>;
  readonly #syncWaitMs: number;

  constructor(
    api: KubeApi,
    opts: { syncWaitMs?: number; onError?: (what: string, e: K8sError) => void } = {},
  ) {
    super(api);
    this.uncached = new AdmissionReads(api);
    this.#syncWaitMs = opts.syncWaitMs ?? DEFAULT_SYNC_WAIT_MS;
    const onError = (what: string) => (e: K8sError) => opts.onError?.(what, e);
    this.#pools = new Informer<Stored<SpiderIPPool>>(api, {
      path: `${SP}/spiderippools`,
      onError: onError("pools"),
    });
    this.#subnets = new Informer<Stored<SpiderSubnet>>(api, {
      path: `${SP}/spidersubnets`,
      onError: onError("subnets"),
    });
  }

  start(): this {
    this.#pools.start();
    this.#subnets.start();
    return this;
  }

  stop(): void {
    this.#pools.stop();
    this.#subnets.stop();
  }

  override async pools(): Promise<Stored<SpiderIPPool>[]> {
    // The cached objects stay the same objects while their spec is unchanged, so lib/core's
    // memory of what it parsed of each peer works without the direct reader's SpecReuse.
    return (await this.#ready(this.#pools)) ? this.#pools.list() : this.uncached.pools();
  }

  override async subnets(): Promise<Stored<SpiderSubnet>[]> {
    return (await this.#ready(this.#subnets)) ? this.#subnets.list() : this.uncached.subnets();
  }

  /** Whether the informer's first LIST is loaded, waiting for it at most `syncWaitMs`. */
  async #ready<T extends KubeObject>(informer: Informer<T>): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<false>(r => {
      timer = setTimeout(() => r(false), this.#syncWaitMs);
      timer.unref?.();
    });
    try {
      return await Promise.race([informer.synced.then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
