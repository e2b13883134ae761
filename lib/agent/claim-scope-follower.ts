import type { Node } from "../k8s/core-kinds.js";
import type { Stored } from "../k8s/api-client.js";
import type { Informer } from "../k8s/informer.js";
import { claimScopeOf } from "../core/selection/claim-scope.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { ScopedClaims } from "./scoped-claims.js";

/** A burst of pool events (a relist, a rollout of pools) recomputes the claim scope once. */
const SCOPE_DEBOUNCE_MS = 100;
/** Longest an ADD waits for a pool newly serving this node to be listed; then the CREATE's 409 guards. */
const SCOPE_WAIT_MS = 10_000;

/**
 * Keeps the claim watches on the pools that may serve this node
 * (docs/adr/0011-node-scoped-claim-watch.md): a pool added or deleted, a change of a pool's
 * `nodeName` or `nodeAffinity`, or of the node's labels recomputes the scope, debounced; a pool
 * status write, the most frequent pool event, does not.
 */
export class ClaimScopeFollower {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dirty = false;
  #ready = false;
  #stopped = false;

  constructor(
    private readonly claims: ScopedClaims,
    private readonly pools: Informer<Stored<SpiderIPPool>>,
    private readonly nodes: Informer<Node>,
    private readonly nodeName: string,
  ) {
    pools.on(ev => {
      const s = ev.object.spec;
      const o = ev.type === "updated" ? ev.old.spec : undefined;
      if (!o || !sameJson([o.nodeName, o.nodeAffinity], [s.nodeName, s.nodeAffinity]))
        this.#changed();
    });
    nodes.on(ev => {
      if (ev.type !== "updated" || !sameJson(ev.old.metadata.labels, ev.object.metadata.labels))
        this.#changed();
    });
  }

  /** The first scope once the pools and the node are listed. */
  start(): this {
    void Promise.all([this.pools.synced, this.nodes.synced]).then(() => {
      if (this.#stopped) return;
      this.#ready = true;
      this.#rescope();
    });
    return this;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /**
   * Waits until the claims of every pool that may serve this node now have been listed: a pool
   * that just came to serve it (its affinity or the node's labels changed) is not picked from
   * with its taken addresses unknown. Bounded: past it, a CREATE of a taken address still gets
   * its 409.
   */
  async settled(): Promise<void> {
    if (!this.#ready) return;
    if (this.#dirty) this.#rescope();
    if (this.claims.inScope) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.claims.covered(),
      new Promise<void>(r => (timer = setTimeout(r, SCOPE_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  #changed(): void {
    this.#dirty = true;
    if (this.#timer || !this.#ready) return;
    this.#timer = setTimeout(() => this.#rescope(), SCOPE_DEBOUNCE_MS);
    this.#timer.unref?.();
  }

  /** The scope from the pools and node labels as cached now (lib/core/selection/claim-scope.ts). */
  #rescope(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty = false;
    if (this.#stopped) return;
    const node = this.nodes.get(this.nodeName);
    this.claims.want(
      claimScopeOf(
        this.pools.list().map(p => ({ name: p.metadata.name, spec: p.spec })),
        { name: this.nodeName, labels: node?.metadata.labels ?? {} },
      ),
    );
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
