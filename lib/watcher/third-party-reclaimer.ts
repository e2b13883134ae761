import type { KubeApi, KubeObject, Stored } from "../k8s/api-client.js";
import { deletePool } from "../k8s/auto-pool-store.js";
import { Informer } from "../k8s/informer.js";
import { discoverCollection } from "../k8s/resource-discovery.js";
import {
  apiVersionOfGv,
  autoPoolOwner,
  parseApplicationKey,
  type AutoPoolOwner,
} from "../core/auto-pool/auto-pool-naming.js";
import { orphanedAutoPools } from "../core/auto-pool/auto-pool-reclaim.js";
import { isThirdPartyController } from "../core/selection/top-controller.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { Logger } from "../logger.js";
import { WorkQueue } from "./work-queue.js";

type Watched = { informer: Informer<Stored<KubeObject>>; synced: boolean } | "not-served";

/**
 * Reclaims the auto pools the agent made for third-party controllers (docs/reference/auto-pools.md#the-agents-side): for every
 * controller kind named by such a pool (OpenKruise CloneSet, …) it watches that resource, found
 * through API discovery, and deletes the reclaimable pools whose controller (by UID) is gone.
 */
export class ThirdPartyReclaimer {
  readonly #watched = new Map<string, Watched>();
  readonly #pending = new Set<string>();
  readonly #queue: WorkQueue;

  constructor(
    private readonly api: KubeApi,
    private readonly log: Logger,
    private readonly pools: Informer<Stored<SpiderIPPool>>,
  ) {
    this.#queue = new WorkQueue(() => this.#sweep(), {
      delayMs: 300,
      onError: (_k, e, n) => log.warn("third-party auto pool sweep failed", { attempt: n, err: e }),
    });
    pools.on(ev => {
      if (ev.type === "deleted") return;
      const owner = autoPoolOwner(ev.object.metadata.labels ?? {});
      if (owner && isThirdParty(owner)) this.#queue.add("sweep");
    });
  }

  /** Re-checks every third-party pool; forgets kinds that were not served, in case a CRD came back. */
  resync(): void {
    for (const [k, w] of this.#watched) if (w === "not-served") this.#watched.delete(k);
    this.#queue.add("sweep");
  }

  /** For the subnet accounting: whether a third-party application key names a live object. */
  exists(key: string): boolean | undefined {
    const app = parseApplicationKey(key);
    if (!app) return undefined;
    const uid = this.#currentUid({
      gv: app.group ? `${app.group}_${app.version}` : app.version,
      kind: app.kind,
      namespace: app.namespace,
      name: app.name,
    });
    return uid === undefined ? undefined : uid !== null;
  }

  async #sweep(): Promise<void> {
    const pools = this.pools
      .list()
      .filter(p => {
        const o = autoPoolOwner(p.metadata.labels ?? {});
        return o !== undefined && isThirdParty(o);
      })
      .map(p => ({
        name: p.metadata.name,
        labels: p.metadata.labels ?? {},
        terminating: !!p.metadata.deletionTimestamp,
      }));
    for (const p of pools) await this.#watch(autoPoolOwner(p.labels)!);
    for (const name of orphanedAutoPools(pools, o => this.#currentUid(o))) {
      const pool = this.pools.get(name);
      if (await deletePool(this.api, name, pool?.metadata.uid))
        this.log.info("deleted auto pool of a third-party controller that is gone", { pool: name });
    }
  }

  /** Starts watching the controller kind of `owner` (once), so its deletion is seen. */
  async #watch(owner: Pick<AutoPoolOwner, "gv" | "kind">): Promise<void> {
    const apiVersion = apiVersionOfGv(owner.gv);
    const key = `${apiVersion}/${owner.kind}`;
    if (this.#watched.has(key) || this.#pending.has(key)) return;
    this.#pending.add(key);
    try {
      const found = await discoverCollection(this.api, apiVersion, owner.kind);
      if (!found) {
        this.#watched.set(key, "not-served");
        return;
      }
      const informer = new Informer<Stored<KubeObject>>(this.api, {
        path: found.path,
        onError: e => this.log.warn(`watch of ${key} failed; retrying`, { err: e }),
      });
      const entry = { informer, synced: false };
      informer.on(ev => {
        if (ev.type === "deleted" || ev.object.metadata.deletionTimestamp) this.#queue.add("sweep");
      });
      this.#watched.set(key, entry);
      informer.start();
      void informer.synced.then(() => {
        entry.synced = true;
        this.#queue.add("sweep");
      });
      this.log.info("watching a third-party controller kind for auto pool reclaim", {
        resource: found.path,
      });
    } finally {
      this.#pending.delete(key);
    }
  }

  #currentUid(
    owner: Pick<AutoPoolOwner, "gv" | "kind" | "namespace" | "name">,
  ): string | null | undefined {
    const w = this.#watched.get(`${apiVersionOfGv(owner.gv)}/${owner.kind}`);
    if (w === undefined) return undefined;
    if (w === "not-served") return null;
    if (!w.synced) return undefined;
    const obj = w.informer.get(owner.name, owner.namespace) ?? w.informer.get(owner.name);
    return obj && !obj.metadata.deletionTimestamp ? (obj.metadata.uid ?? null) : null;
  }
}

function isThirdParty(o: Pick<AutoPoolOwner, "gv" | "kind">): boolean {
  const apiVersion = apiVersionOfGv(o.gv);
  const slash = apiVersion.indexOf("/");
  const [group, version] =
    slash < 0 ? ["", apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
  return isThirdPartyController({ group, version, kind: o.kind, namespace: "", name: "", uid: "" });
}
