import type { KubeApi, KubeObject, Stored } from "./api-client.js";
import { AdmissionReads } from "./admission-reads.js";
import { Informer } from "./informer.js";
import type { K8sError } from "./k8s-error.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { SpiderSubnet } from "../schemas/subnet.js";
import { SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";
import { peerNetwork, peerRanges } from "../core/admission/pool-peer-rules.js";

const SP = `/apis/${SPIDERPOOL_API_VERSION}`;
/**
 * How long a request waits for the first LIST of the cache before reading directly. Well inside
 * the webhook timeout (package.json `pepr.webhookTimeout`, 10 s) even with the direct LIST of
 * 1,000 large pools after it (about 0.6 s, docs/benchmarks.md).
 */
export const DEFAULT_SYNC_WAIT_MS = 3_000;
/**
 * A watch silent this long is reopened (Informer `livenessMs`). The watcher's overlap resolver
 * deletes the newer of two overlapping pools only when they were created within 60 s of each
 * other (lib/watcher/pool-overlap-controller.ts), so a cache on a connection that died without a
 * word must not lag longer than that: well under it, at the price of reopening a quiet watch
 * twice a minute (docs/adr/0010-admission-cache.md).
 */
const WATCH_LIVENESS_MS = 20_000;

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
    opts: {
      syncWaitMs?: number;
      livenessMs?: number;
      onError?: (what: string, e: K8sError) => void;
    } = {},
  ) {
    super(api);
    this.uncached = new AdmissionReads(api);
    this.#syncWaitMs = opts.syncWaitMs ?? DEFAULT_SYNC_WAIT_MS;
    const onError = (what: string) => (e: K8sError) => opts.onError?.(what, e);
    this.#pools = new Informer<Stored<SpiderIPPool>>(api, {
      path: `${SP}/spiderippools`,
      livenessMs: opts.livenessMs ?? WATCH_LIVENESS_MS,
      onError: onError("pools"),
    }).on(ev => ev.type !== "deleted" && readAhead(ev.object));
    this.#subnets = new Informer<Stored<SpiderSubnet>>(api, {
      path: `${SP}/spidersubnets`,
      livenessMs: opts.livenessMs ?? WATCH_LIVENESS_MS,
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

  /** Whether both caches have loaded their first LIST within `ms` (for a start that waits on them). */
  async synced(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    const left = () => Math.max(0, deadline - Date.now());
    return (await this.#ready(this.#pools, left())) && this.#ready(this.#subnets, left());
  }

  override async pools(): Promise<Stored<SpiderIPPool>[]> {
    // The cached objects stay the same objects while their spec is unchanged, so lib/core's
    // memory of what it parsed of each peer works without the direct reader's SpecReuse.
    return (await this.#ready(this.#pools, this.#syncWaitMs))
      ? this.#pools.list()
      : this.uncached.pools();
  }

  override async subnets(): Promise<Stored<SpiderSubnet>[]> {
    return (await this.#ready(this.#subnets, this.#syncWaitMs))
      ? this.#subnets.list()
      : this.uncached.subnets();
  }

  /**
   * Whether the cache may answer: its first LIST is loaded (waited for at most `ms`) and
   * it follows the server (Informer `fresh`). Between a failed watch and the next one (a backoff
   * that grows to tens of seconds) it would fall behind unseen, so those requests read directly.
   */
  async #ready<T extends KubeObject>(informer: Informer<T>, ms: number): Promise<boolean> {
    if (informer.fresh) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<false>(r => {
      timer = setTimeout(() => r(false), ms);
      timer.unref?.();
    });
    try {
      const synced = await Promise.race([informer.synced.then(() => true as const), timedOut]);
      return synced && informer.fresh;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Parses a pool's network and ranges as the event arrives, into lib/core's memory of each spec
 * object, so no request pays for it: the first request after a start would otherwise parse all
 * 1,000 large peers (hundreds of ms, docs/benchmarks.md). A pool the rules cannot read is left to
 * them, which say why when it matters.
 */
function readAhead(pool: Stored<SpiderIPPool>): void {
  try {
    const cidr = peerNetwork(pool)?.cidr;
    if (cidr) peerRanges(pool, cidr);
  } catch {
    // Not ours to report here: the rules meet the same pool and answer for it.
  }
}

/**
 * `judge` on `reads`; when those are cached and refuse, judged again on the direct reads, so a
 * cache that lags never refuses what is stored allows. An admission is not confirmed: that is
 * the read the cache saves (docs/adr/0010-admission-cache.md).
 */
export async function judgeConfirmingRefusals<V extends { allowed: boolean }>(
  reads: AdmissionReads,
  judge: (from: AdmissionReads) => Promise<V>,
): Promise<V> {
  const verdict = await judge(reads);
  return verdict.allowed || !reads.uncached ? verdict : judge(reads.uncached);
}
