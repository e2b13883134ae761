import type { KubeApi } from "../k8s/api-client.js";
import { Informer, type InformerEvent } from "../k8s/informer.js";
import type { K8sError } from "../k8s/k8s-error.js";
import { CLAIMS_PATH, labelIfFits } from "../k8s/claim-store.js";
import { CLAIM_LABELS } from "../core/base/well-known-names.js";
import { labelValueErrors } from "../core/compat/label-syntax.js";
import {
  claimScopeSelector,
  planClaimScopes,
  type ClaimScope,
} from "../core/selection/claim-scope.js";
import type { IPClaim } from "../schemas/ip-claim.js";
import type { Stored } from "../k8s/api-client.js";
import { claimProjection } from "./claim-projection.js";

type Claim = Stored<IPClaim>;

/** Open watches of pools' claims before they are merged into one (lib/core/selection/claim-scope.ts). */
const MAX_POOL_WATCHES = 4;

interface PoolWatch {
  readonly scope: ClaimScope;
  readonly informer: Informer<Claim>;
  listed: boolean;
  /** A newer watch covers what this one did; it is closed when that one has listed. */
  superseded: boolean;
}

/**
 * The claims this node's agent needs, from several watches read as one
 * (docs/adr/0011-node-scoped-claim-watch.md): every claim labelled with this node, whatever its
 * pool (its own Pods' addresses, which it releases even from a pool that no longer serves the
 * node), the claims of the pools that may serve a Pod here, by pool label, and the claims with
 * no pool label at all. A claim two watches hold is one claim (its name is its address): handlers
 * see it added once, updated only by a newer resourceVersion than they were given, and deleted
 * only when no open watch holds it any more, so a claim moving out of one watch but still in
 * another is not forgotten.
 */
export class ScopedClaims {
  readonly #api: KubeApi;
  readonly #onError: (e: K8sError) => void;
  readonly #own: Informer<Claim>;
  readonly #unlabelled: Informer<Claim>;
  #pools: PoolWatch[] = [];
  readonly #handlers: ((ev: InformerEvent<Claim>) => void)[] = [];
  #wanted: ClaimScope | undefined;
  #waiters: (() => void)[] = [];
  #started = false;
  readonly #firstWant: Promise<void>;
  #markFirstWant!: () => void;

  constructor(api: KubeApi, nodeName: string, onError: (e: K8sError) => void) {
    this.#api = api;
    this.#onError = onError;
    this.#firstWant = new Promise(r => (this.#markFirstWant = r));
    const own = labelIfFits(CLAIM_LABELS.node, nodeName)[CLAIM_LABELS.node];
    this.#own = this.#informer(own === undefined ? undefined : `${CLAIM_LABELS.node}=${own}`);
    // Claims without a pool label: a pool named too long for a label value, or a claim written
    // by hand. Normally none, so an idle watch; the one way such a claim is not missed.
    this.#unlabelled = this.#informer(`!${CLAIM_LABELS.pool}`);
  }

  on(handler: (ev: InformerEvent<Claim>) => void): this {
    this.#handlers.push(handler);
    return this;
  }

  start(): this {
    this.#started = true;
    this.#own.start();
    this.#unlabelled.start();
    for (const w of this.#pools) w.informer.start();
    return this;
  }

  stop(): void {
    this.#started = false;
    this.#own.stop();
    this.#unlabelled.stop();
    for (const w of this.#pools) w.informer.stop();
  }

  /** Resolves once this node's claims and those of the first scope asked for have been listed. */
  get synced(): Promise<void> {
    return Promise.all([
      this.#own.synced,
      this.#unlabelled.synced,
      this.#firstWant.then(() => this.covered()),
    ]).then(() => undefined);
  }

  /** The newest copy any open watch holds. */
  get(name: string): Claim | undefined {
    let best: Claim | undefined;
    for (const i of this.#live()) {
      const c = i.get(name);
      if (c && (!best || newer(c, best))) best = c;
    }
    return best;
  }

  list(): Claim[] {
    const out = new Map<string, Claim>();
    for (const i of this.#live())
      for (const c of i.list()) {
        const cur = out.get(c.metadata.name);
        if (!cur || newer(c, cur)) out.set(c.metadata.name, c);
      }
    return [...out.values()];
  }

  /** Whether listed watches cover every one of these pools' claims. */
  covers(pools: Iterable<string>): boolean {
    const listed = this.#pools.filter(w => w.listed);
    for (const p of pools)
      if (labelValueErrors(p).length === 0 && !listed.some(w => w.scope.has(p))) return false;
    return true;
  }

  /**
   * The pools whose claims are needed now. Watches for pools not yet covered are opened at once;
   * pools dropped stay watched until the watches are merged (claim-scope.ts planClaimScopes).
   */
  want(scope: ClaimScope): void {
    this.#wanted = scope;
    this.#markFirstWant();
    const open = this.#pools.filter(w => !w.superseded).map(w => w.scope);
    const change = planClaimScopes(open, scope, MAX_POOL_WATCHES);
    if (change.kind === "add") this.#open(change.pools, []);
    else if (change.kind === "replace") {
      const old = this.#pools.filter(w => !w.superseded);
      for (const w of old) w.superseded = true;
      if (change.scope.size === 0) this.#close(old);
      else this.#open(change.scope, old);
    }
    this.#wake();
  }

  /** Resolves when the scope last asked for is covered by listed watches. */
  covered(): Promise<void> {
    if (this.inScope) return Promise.resolve();
    return new Promise(r => this.#waiters.push(r));
  }

  /** Whether the scope last asked for is covered by listed watches now. */
  get inScope(): boolean {
    return this.#wanted !== undefined && this.covers(this.#wanted);
  }

  #wake(): void {
    if (!this.inScope) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const r of waiters) r();
  }

  #open(scope: ClaimScope, replaces: PoolWatch[]): void {
    const informer = this.#informer(claimScopeSelector(CLAIM_LABELS.pool, scope));
    const w: PoolWatch = { scope, informer, listed: false, superseded: false };
    this.#pools.push(w);
    void informer.synced.then(() => {
      if (!this.#pools.includes(w)) return;
      w.listed = true;
      this.#close(replaces);
      this.#wake();
    });
    if (this.#started) informer.start();
  }

  /** Stops these watches; a claim no open watch holds any more is handed on as deleted. */
  #close(watches: PoolWatch[]): void {
    const closing = watches.filter(w => this.#pools.includes(w));
    if (!closing.length) return;
    this.#pools = this.#pools.filter(w => !closing.includes(w));
    const gone = new Map<string, Claim>();
    for (const w of closing) {
      w.informer.stop();
      for (const c of w.informer.list())
        if (!this.#live().some(i => i.get(c.metadata.name))) gone.set(c.metadata.name, c);
    }
    for (const c of gone.values()) this.#emit({ type: "deleted", object: c });
  }

  #informer(labelSelector: string | undefined): Informer<Claim> {
    const informer: Informer<Claim> = new Informer<Claim>(this.#api, {
      path: CLAIMS_PATH,
      ...(labelSelector === undefined ? {} : { labelSelector }),
      transform: claimProjection,
      onError: this.#onError,
    });
    return informer.on(ev => this.#merge(informer, ev));
  }

  #live(): Informer<Claim>[] {
    return [this.#own, this.#unlabelled, ...this.#pools.map(w => w.informer)];
  }

  /** One watch's event, as seen through all of them. */
  #merge(from: Informer<Claim>, ev: InformerEvent<Claim>): void {
    if (!this.#live().includes(from)) return;
    const name = ev.object.metadata.name;
    let other: Claim | undefined;
    for (const i of this.#live()) {
      if (i === from) continue;
      const c = i.get(name);
      if (c && (!other || newer(c, other))) other = c;
    }
    if (!other) return this.#emit(ev);
    // Another watch still holds it: its own events carry the claim on (a deletion included).
    if (ev.type === "deleted" || !newer(ev.object, other)) return;
    this.#emit({ type: "updated", object: ev.object, old: other });
  }

  #emit(ev: InformerEvent<Claim>): void {
    for (const h of this.#handlers) h(ev);
  }
}

/**
 * Whether `a` is a later state of the claim than `b`. resourceVersions are opaque to clients, but
 * the API server's are etcd revisions, and two watches' copies can only be ordered by them; one
 * that does not read as a number counts as newer, the last one delivered winning.
 */
function newer(a: Claim, b: Claim): boolean {
  const x = a.metadata.resourceVersion ?? "";
  const y = b.metadata.resourceVersion ?? "";
  if (!/^\d+$/.test(x) || !/^\d+$/.test(y)) return x !== y;
  return BigInt(x) > BigInt(y);
}
