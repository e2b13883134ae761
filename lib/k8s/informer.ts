import {
  backoffDelay,
  DEFAULT_BACKOFF,
  spread,
  type BackoffPolicy,
  type RandomSource,
} from "../core/base/backoff.js";
import {
  WATCH_IDLE,
  type KubeApi,
  type KubeList,
  type KubeObject,
  type WatchEvent,
} from "./api-client.js";
import { kindOfPath, type WatchActivity } from "./api-activity.js";
import { K8sError } from "./k8s-error.js";

/**
 * The apiserver sends a bookmark to every watch that asked for them about once a minute, so a
 * watch silent for two of those intervals is probably on a dead connection. Not certainly: for a
 * kind that has not changed since the apiserver started, it sends no bookmarks at all. So such a
 * watch is reopened at once from its resourceVersion, without a log line or backoff. A dead
 * connection then shows when the reopened watch gets no answer.
 */
export const DEFAULT_WATCH_LIVENESS_MS = 120_000;
/** Server-side lifetime of one watch request, spread ±1/3 so that watches do not all end together. */
const WATCH_SECONDS = 450;

export type InformerEvent<T> =
  | { type: "added"; object: T }
  | { type: "updated"; object: T; old: T }
  | { type: "deleted"; object: T };

export interface InformerOptions<T extends KubeObject = KubeObject> {
  /** Collection path, e.g. `/api/v1/pods` or `/apis/spiderpool.spidernet.io/v2beta1/spiderippools`. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** How long one watch request may stay open before the server closes it (default 300-600 s, jittered). */
  watchTimeoutSeconds?: number;
  /** Silence (no event, no bookmark) after which the connection is dropped and the watch resumed. */
  livenessMs?: number;
  /** Delays between restarts after a failure (default DEFAULT_BACKOFF). */
  backoff?: BackoffPolicy;
  /** Random source of the jitter (default Math.random). */
  random?: RandomSource;
  /** Called for every error that made the informer relist or reconnect. */
  onError?: (e: K8sError) => void;
  /**
   * Applied to every object the LIST and the WATCH deliver, before it is cached and handed to the
   * handlers (client-go's SetTransform): a cache of many objects keeps only what its readers use.
   * It must accept its own output: a relist hands cached objects to it again as deletions.
   */
  transform?: (obj: T) => T;
  /** Called when a handler throws; the event is delivered to it again after a backoff (attempt counts from 1). */
  onHandlerError?: (e: unknown, attempt: number) => void;
}

/**
 * List-then-watch cache of one collection, the way client-go's reflector works: the initial
 * LIST fills the cache, the WATCH continues from its resourceVersion, a 410 Gone (or any stream
 * failure we cannot resume) triggers a relist that emits only the differences.
 */
export class Informer<T extends KubeObject> {
  readonly #api: KubeApi;
  readonly #opts: InformerOptions<T>;
  readonly #cache = new Map<string, T>();
  readonly #handlers: ((ev: InformerEvent<T>) => void)[] = [];
  readonly #abort = new AbortController();
  /** Redeliveries waiting for their backoff to pass. */
  readonly #redeliveries = new Set<ReturnType<typeof setTimeout>>();
  #resourceVersion = "";
  #activity?: WatchActivity;
  #failures = 0;
  #fresh = false;
  #synced!: Promise<void>;
  #markSynced!: () => void;

  constructor(api: KubeApi, opts: InformerOptions<T>) {
    this.#api = api;
    this.#opts = opts;
    this.#synced = new Promise(r => (this.#markSynced = r));
  }

  on(handler: (ev: InformerEvent<T>) => void): this {
    this.#handlers.push(handler);
    return this;
  }

  /** Resolves once the first LIST has been loaded into the cache. */
  get synced(): Promise<void> {
    return this.#synced;
  }

  /**
   * Whether the cache follows the server now: set by a completed LIST or an open watch, cleared
   * by any end of a watch (a failure, a retry backoff, a reopen after silence) until the next
   * one opens. While set, the cache lags only by the delivery of events, or by the liveness
   * interval at most on a connection that died without a word.
   */
  get fresh(): boolean {
    return this.#fresh;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#cache.get(keyOf(namespace, name));
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  start(): this {
    this.#activity ??= this.#api.activity.watch(kindOfPath(this.#opts.path));
    void this.#run();
    return this;
  }

  stop(): void {
    this.#abort.abort();
    for (const t of this.#redeliveries) clearTimeout(t);
    this.#redeliveries.clear();
    this.#activity?.close();
  }

  /**
   * Relist when there is no resourceVersion to resume from, then watch; any failure (a dead
   * connection included) waits a jittered, growing delay and resumes from the last
   * resourceVersion seen, relisting only after 410 Gone.
   */
  async #run(): Promise<void> {
    const random = this.#opts.random ?? Math.random;
    while (!this.#abort.signal.aborted) {
      try {
        if (!this.#resourceVersion) {
          await this.#relist();
          this.#failures = 0;
          this.#fresh = true;
        }
        this.#markSynced();
        await this.#watch(random);
      } catch (e) {
        this.#fresh = false;
        if (this.#abort.signal.aborted) return;
        const err = e instanceof K8sError ? e : new K8sError("other", 0, "", String(e));
        if (err.reason === WATCH_IDLE) continue;
        if (err.code === "gone") this.#resourceVersion = "";
        this.#opts.onError?.(err);
        this.#failures++;
        await sleep(
          backoffDelay(this.#opts.backoff ?? DEFAULT_BACKOFF, this.#failures, random),
          this.#abort.signal,
        );
      }
    }
  }

  async #relist(): Promise<void> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = "";
    do {
      const page = await this.#api.get<KubeList<T>>(this.#opts.path, {
        labelSelector: this.#opts.labelSelector,
        fieldSelector: this.#opts.fieldSelector,
        limit: 500,
        continue: cont,
      });
      for (const item of page.items)
        fresh.set(keyOf(item.metadata.namespace, item.metadata.name), item);
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont);
    for (const [k, old] of this.#cache)
      if (!fresh.has(k)) this.#apply({ type: "DELETED", object: old as WatchEvent["object"] });
    for (const obj of fresh.values())
      this.#apply({ type: "ADDED", object: obj as unknown as WatchEvent["object"] });
    this.#resourceVersion = rv;
  }

  async #watch(random: RandomSource): Promise<void> {
    await this.#api.stream(
      this.#opts.path,
      {
        watch: 1,
        allowWatchBookmarks: true,
        resourceVersion: this.#resourceVersion,
        labelSelector: this.#opts.labelSelector,
        fieldSelector: this.#opts.fieldSelector,
        timeoutSeconds:
          this.#opts.watchTimeoutSeconds ?? Math.round(spread(WATCH_SECONDS, 1 / 3, random)),
      },
      ev => {
        this.#activity?.seen();
        if (ev.type === "ERROR") {
          const code = ev.object.code ?? 500;
          throw new K8sError(
            code === 410 ? "gone" : "other",
            code,
            ev.object.reason ?? "",
            ev.object.message ?? "watch error",
          );
        }
        if (ev.object.metadata?.resourceVersion)
          this.#resourceVersion = ev.object.metadata.resourceVersion;
        if (ev.type !== "BOOKMARK") this.#apply(ev);
      },
      this.#abort.signal,
      {
        idleMs: this.#opts.livenessMs ?? DEFAULT_WATCH_LIVENESS_MS,
        onOpen: () => {
          this.#failures = 0;
          this.#fresh = true;
          this.#activity?.seen();
        },
      },
    );
  }

  #apply(ev: WatchEvent): void {
    const raw = ev.object as unknown as T;
    // Server-side-apply bookkeeping, often a third of an object, read by nothing here: a cache of
    // every claim in the cluster should not carry it.
    delete (raw.metadata as { managedFields?: unknown }).managedFields;
    const obj = this.#opts.transform ? this.#opts.transform(raw) : raw;
    const key = keyOf(obj.metadata.namespace, obj.metadata.name);
    const old = this.#cache.get(key);
    let out: InformerEvent<T> | undefined;
    if (ev.type === "DELETED") {
      if (!old) return;
      this.#cache.delete(key);
      out = { type: "deleted", object: obj };
    } else {
      // A relist re-delivers unchanged objects; only real changes are passed on.
      if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
      this.#cache.set(key, obj);
      out = old ? { type: "updated", object: obj, old } : { type: "added", object: obj };
    }
    this.#deliver(out, key, this.#handlers, 0);
  }

  /**
   * Runs the handlers on one event. The cache has already moved on, so a handler that throws
   * would otherwise never see this event again (the next relist finds nothing to emit): it gets
   * the event again after a jittered, growing backoff (lib/core/base/backoff.ts), alone (handlers that
   * succeeded are not run twice), for as long as the event is current. An event superseded
   * meanwhile (the object changed again, or came back after a delete) is not redelivered: the
   * handler has been given the newer one, which carries the state it must converge on.
   */
  #deliver(
    out: InformerEvent<T>,
    key: string,
    handlers: readonly ((ev: InformerEvent<T>) => void)[],
    attempt: number,
  ): void {
    const failed: ((ev: InformerEvent<T>) => void)[] = [];
    for (const h of handlers) {
      try {
        h(out);
      } catch (e) {
        failed.push(h);
        this.#opts.onHandlerError?.(e, attempt + 1);
      }
    }
    if (!failed.length || this.#abort.signal.aborted) return;
    const delay = backoffDelay(
      this.#opts.backoff ?? DEFAULT_BACKOFF,
      attempt + 1,
      this.#opts.random ?? Math.random,
    );
    const t = setTimeout(() => {
      this.#redeliveries.delete(t);
      if (this.#abort.signal.aborted || this.#superseded(out, key)) return;
      this.#deliver(out, key, failed, attempt + 1);
    }, delay);
    t.unref?.();
    this.#redeliveries.add(t);
  }

  #superseded(out: InformerEvent<T>, key: string): boolean {
    const now = this.#cache.get(key);
    if (out.type === "deleted") return now !== undefined;
    return now?.metadata.resourceVersion !== out.object.metadata.resourceVersion;
  }
}

function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}
