import type { KubeApi, KubeList, Stored } from "../k8s/api-client.js";
import type { Namespace, Node, Pod } from "../k8s/core-kinds.js";
import { Informer } from "../k8s/informer.js";
import { K8sError } from "../k8s/k8s-error.js";
import { CLAIMS_PATH, labelIfFits } from "../k8s/claim-store.js";
import { AddressTree } from "../core/net/address-tree.js";
import { IntervalSet } from "../core/net/interval-set.js";
import { parseAddress, type IpFamily } from "../core/net/address.js";
import type { IPClaim } from "../schemas/ip-claim.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { SpiderReservedIP } from "../schemas/reserved-ip.js";
import type { SpiderSubnet } from "../schemas/subnet.js";
import type { Logger } from "../logger.js";
import { CLAIM_LABELS, SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";
import { usableAddresses } from "../core/net/usable-addresses.js";
import { claimProjection } from "./claim-projection.js";
import { ScopedClaims } from "./scoped-claims.js";
import { ClaimScopeFollower } from "./claim-scope-follower.js";

const SP = `/apis/${SPIDERPOOL_API_VERSION}`;

export type Claim = Stored<IPClaim>;
export type Pool = Stored<SpiderIPPool>;

/** How long an address we lost a race for counts as taken before the watch confirms it. */
const PENDING_MS = 30_000;
/**
 * Freed addresses are picked last for this long, and at most this many per pool are remembered
 * (the oldest forgotten first): enough to outlast a late sandbox teardown or a neighbour's ARP
 * cache, small enough that a pick stays cheap (lib/core/net/address-pick.ts).
 */
const FREED_MS = 10 * 60_000;
const FREED_KEEP = 1024;

/**
 * The agent's view of the cluster, from watches only (docs/architecture.md#the-agent): its own Node and the Pods
 * bound to it, every Namespace, pool, subnet and reserved IP, and the claims of its node and of the
 * pools that may serve it (docs/adr/0011-node-scoped-claim-watch.md). Claims are indexed by
 * Pod UID, Pod name and pool, and each pool's taken addresses are kept in a tree of runs that
 * changes by one address per event in O(log n), so an allocation never scans the whole ledger and
 * a cold start with tens of thousands of claims is not quadratic
 * (docs/adr/0009-taken-address-index.md).
 */
export class ClusterView {
  readonly pods: Informer<Pod>;
  readonly namespaces: Informer<Namespace>;
  readonly nodes: Informer<Node>;
  readonly pools: Informer<Pool>;
  readonly subnets: Informer<Stored<SpiderSubnet>>;
  readonly reserved: Informer<Stored<SpiderReservedIP>>;
  readonly claims: ScopedClaims;

  readonly #claimByName = new Map<string, Claim>();
  readonly #byUid: NameIndex = new Map();
  readonly #byPodKey: NameIndex = new Map();
  readonly #taken = new Map<string, AddressTree>();
  readonly #pending = new Map<string, Map<bigint, number>>();
  /** Per pool: address → when its claim was deleted, in the order they were freed. */
  readonly #freed = new Map<string, Map<bigint, number>>();
  readonly #usable = new Map<string, { rv: string; set: IntervalSet }>();
  readonly #scope: ClaimScopeFollower;
  /** Callers of awaitClaim waiting for a claim name to reach the watch. */
  readonly #awaiting = new Map<string, Array<(c: Claim) => void>>();
  #reservedSets: Record<IpFamily, IntervalSet> = {
    4: IntervalSet.empty(4),
    6: IntervalSet.empty(6),
  };

  constructor(
    private readonly api: KubeApi,
    readonly nodeName: string,
    log: Logger,
  ) {
    const onError = (what: string) => (e: K8sError) =>
      log.warn(`watch of ${what} failed; retrying`, { err: e });
    this.pods = new Informer<Pod>(api, {
      path: "/api/v1/pods",
      fieldSelector: `spec.nodeName=${nodeName}`,
      onError: onError("pods"),
    });
    this.namespaces = new Informer<Namespace>(api, {
      path: "/api/v1/namespaces",
      onError: onError("namespaces"),
    });
    this.nodes = new Informer<Node>(api, {
      path: "/api/v1/nodes",
      fieldSelector: `metadata.name=${nodeName}`,
      onError: onError("node"),
    });
    this.pools = new Informer<Pool>(api, {
      path: `${SP}/spiderippools`,
      onError: onError("pools"),
    });
    this.subnets = new Informer<Stored<SpiderSubnet>>(api, {
      path: `${SP}/spidersubnets`,
      onError: onError("subnets"),
    });
    this.reserved = new Informer<Stored<SpiderReservedIP>>(api, {
      path: `${SP}/spiderreservedips`,
      onError: onError("reserved IPs"),
    });
    this.claims = new ScopedClaims(api, nodeName, onError("claims"));
    this.claims.on(ev =>
      ev.type === "deleted" ? this.forgetClaim(ev.object) : this.#note(ev.object),
    );
    this.reserved.on(() => this.#rebuildReserved());
    this.#scope = new ClaimScopeFollower(this.claims, this.pools, this.nodes, nodeName);
  }

  start(): this {
    for (const i of this.#informers()) i.start();
    this.#scope.start();
    return this;
  }

  stop(): void {
    for (const i of this.#informers()) i.stop();
    this.#scope.stop();
  }

  /** Resolves once the claims of every pool that may serve this node now are listed (bounded). */
  claimsInScope(): Promise<void> {
    return this.#scope.settled();
  }

  async synced(): Promise<void> {
    await Promise.all(this.#informers().map(i => i.synced));
  }

  #informers() {
    return [
      this.pods,
      this.namespaces,
      this.nodes,
      this.pools,
      this.subnets,
      this.reserved,
      this.claims,
    ];
  }

  /** A Pod of this node from the cache; falls back to one GET when the watch has not caught up. */
  async pod(namespace: string, name: string, uid?: string): Promise<Pod | undefined> {
    const cached = this.pods.get(name, namespace);
    if (cached && (!uid || cached.metadata.uid === uid)) return cached;
    try {
      return await this.api.get<Pod>(`/api/v1/namespaces/${namespace}/pods/${name}`);
    } catch (e) {
      if (e instanceof K8sError && e.code === "not_found") return undefined;
      throw e;
    }
  }

  /** Records a claim from our own successful write (idempotent), before the watch shows it. */
  noteClaim(written: Claim): void {
    this.#note(claimProjection(written));
  }

  /** Records a claim already projected (the informer projects what it delivers). */
  #note(c: Claim): void {
    const old = this.#claimByName.get(c.metadata.name);
    if (old) this.#unindex(old);
    this.#claimByName.set(c.metadata.name, c);
    const waiting = this.#awaiting.get(c.metadata.name);
    if (waiting) {
      this.#awaiting.delete(c.metadata.name);
      for (const w of waiting) w(c);
    }
    add(this.#byUid, c.spec.podUID, c.metadata.name);
    add(this.#byPodKey, `${c.spec.podNamespace}/${c.spec.podName}`, c.metadata.name);
    const v = addressValue(c);
    if (v !== undefined) {
      this.#takenTree(c.spec.pool, c.spec.ipVersion).add(v);
      this.#pending.get(c.spec.pool)?.delete(v);
      this.#freed.get(c.spec.pool)?.delete(v);
    }
  }

  /** Forgets a claim after the watch saw it deleted, or after our own DELETE. */
  forgetClaim(c: Claim): void {
    const cur = this.#claimByName.get(c.metadata.name);
    if (!cur || (c.metadata.uid && cur.metadata.uid && cur.metadata.uid !== c.metadata.uid)) return;
    this.#claimByName.delete(c.metadata.name);
    this.#unindex(cur);
    const v = addressValue(cur);
    if (v !== undefined) this.#noteFreed(cur.spec.pool, v);
  }

  #noteFreed(pool: string, value: bigint): void {
    const m = this.#freed.get(pool) ?? new Map<bigint, number>();
    m.delete(value); // re-inserted last: Map order is the order of freeing
    m.set(value, Date.now());
    for (const k of m.keys()) {
      if (m.size <= FREED_KEEP) break;
      m.delete(k);
    }
    this.#freed.set(pool, m);
  }

  /** Addresses of the pool freed in the last minutes, the least recently freed first. */
  recentlyFreed(pool: string): bigint[] {
    const m = this.#freed.get(pool);
    if (!m?.size) return [];
    const horizon = Date.now() - FREED_MS;
    for (const [v, at] of m) {
      if (at >= horizon) break;
      m.delete(v);
    }
    return [...m.keys()];
  }

  #unindex(c: Claim): void {
    del(this.#byUid, c.spec.podUID, c.metadata.name);
    del(this.#byPodKey, `${c.spec.podNamespace}/${c.spec.podName}`, c.metadata.name);
    const v = addressValue(c);
    if (v !== undefined && this.#taken.has(c.spec.pool))
      this.#takenTree(c.spec.pool, c.spec.ipVersion).delete(v);
  }

  /** The pool's taken addresses; one pool holds one family, as the interval set it replaced did. */
  #takenTree(pool: string, family: IpFamily): AddressTree {
    let tree = this.#taken.get(pool);
    if (!tree) this.#taken.set(pool, (tree = new AddressTree(family)));
    if (tree.family !== family)
      throw new TypeError(`cannot combine an IPv${tree.family} set with an IPv${family} set`);
    return tree;
  }

  /** An address another agent won: taken until the watch shows its claim (or for 30 s). */
  markPending(pool: string, value: bigint): void {
    const m = this.#pending.get(pool) ?? new Map<bigint, number>();
    m.set(value, Date.now() + PENDING_MS);
    this.#pending.set(pool, m);
  }

  /** Addresses of the pool held by our CREATEs in flight or lost to another agent, not yet seen in the watch. */
  pendingCount(pool: string): number {
    return this.#livePending(pool)?.size ?? 0;
  }

  /** The pool's pending marks, the expired ones dropped. */
  #livePending(pool: string): Map<bigint, number> | undefined {
    const pending = this.#pending.get(pool);
    if (!pending?.size) return undefined;
    const now = Date.now();
    for (const [v, exp] of pending) if (exp < now) pending.delete(v);
    return pending;
  }

  /** Drops a pending mark whose CREATE failed for another reason than the address being taken. */
  clearPending(pool: string, value: bigint): void {
    this.#pending.get(pool)?.delete(value);
  }

  claimsOfUid(uid: string): Claim[] {
    return namesOf(this.#byUid, uid)
      .map(n => this.#claimByName.get(n)!)
      .filter(Boolean);
  }

  claimsOfPodKey(namespace: string, name: string): Claim[] {
    return namesOf(this.#byPodKey, `${namespace}/${name}`)
      .map(n => this.#claimByName.get(n)!)
      .filter(Boolean);
  }

  /**
   * The Pod name's claims wherever they are: those out of this agent's scope (another node's, in
   * a pool that cannot serve this one) are read from the API server, one LIST by label, and only
   * when some pool is out of scope. A StatefulSet Pod moved here must find them to release them.
   */
  async claimsOfPodKeyAnywhere(namespace: string, name: string): Promise<Claim[]> {
    const cached = this.claimsOfPodKey(namespace, name);
    if (this.claims.covers(this.pools.list().map(p => p.metadata.name))) return cached;
    const labelSelector = Object.entries({
      [CLAIM_LABELS.podNamespace]: namespace,
      ...labelIfFits(CLAIM_LABELS.podName, name),
    })
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const all = await this.api.get<KubeList<Claim>>(CLAIMS_PATH, { labelSelector });
    const more = all.items
      .filter(c => c.spec.podNamespace === namespace && c.spec.podName === name)
      .filter(c => !this.#claimByName.has(c.metadata.name))
      .map(claimProjection);
    return [...cached, ...more];
  }

  /** The claim of that object name (an address's, lib/schemas/ip-claim.ts claimName). */
  claim(name: string): Claim | undefined {
    return this.#claimByName.get(name);
  }

  /**
   * The claim of that name once the watch shows it, or `undefined` if it has not within
   * `withinMs`. After a lost race the winner's claim is on its way to this watch anyway: waiting
   * for it spares a GET per lost race (docs/concepts/scale.md#api-requests-per-add).
   */
  awaitClaim(name: string, withinMs: number): Promise<Claim | undefined> {
    const now = this.#claimByName.get(name);
    if (now || withinMs <= 0) return Promise.resolve(now);
    return new Promise(resolve => {
      const list = this.#awaiting.get(name) ?? [];
      const done = (c: Claim | undefined) => {
        clearTimeout(timer);
        resolve(c);
      };
      const timer = setTimeout(() => {
        const rest = (this.#awaiting.get(name) ?? []).filter(w => w !== done);
        if (rest.length) this.#awaiting.set(name, rest);
        else this.#awaiting.delete(name);
        resolve(undefined);
      }, withinMs);
      list.push(done);
      this.#awaiting.set(name, list);
    });
  }

  allClaims(): Claim[] {
    return [...this.#claimByName.values()];
  }

  /** Addresses of the pool that may be handed out: ips − excludeIPs − reserved IPs. */
  allocatable(pool: Pool): IntervalSet {
    const fam = (pool.spec.ipVersion ?? 4) as IpFamily;
    return this.#usableOf(pool).subtract(this.#reservedSets[fam]);
  }

  /** ips − excludeIPs, cached per resourceVersion. */
  #usableOf(pool: Pool): IntervalSet {
    const rv = pool.metadata.resourceVersion ?? "";
    const c = this.#usable.get(pool.metadata.name);
    if (c && c.rv === rv) return c.set;
    const fam = (pool.spec.ipVersion ?? 4) as IpFamily;
    const set = usableAddresses(pool.spec, fam);
    this.#usable.set(pool.metadata.name, { rv, set });
    return set;
  }

  /** Addresses of the pool claimed by anyone, plus races we recently lost. */
  taken(pool: Pool, exceptUid?: string): IntervalSet {
    const fam = (pool.spec.ipVersion ?? 4) as IpFamily;
    let t = this.#taken.get(pool.metadata.name)?.toIntervalSet() ?? IntervalSet.empty(fam);
    const pending = this.#livePending(pool.metadata.name);
    if (pending?.size) t = t.union(IntervalSet.fromAddresses(fam, pending.keys()));
    if (exceptUid) {
      const mine = this.claimsOfUid(exceptUid)
        .filter(c => c.spec.pool === pool.metadata.name)
        .map(addressValue);
      t = t.subtract(
        IntervalSet.fromAddresses(
          fam,
          mine.filter((v): v is bigint => v !== undefined),
        ),
      );
    }
    return t;
  }

  #rebuildReserved(): void {
    const acc: Record<IpFamily, IntervalSet> = { 4: IntervalSet.empty(4), 6: IntervalSet.empty(6) };
    for (const r of this.reserved.list()) {
      if (r.metadata.deletionTimestamp) continue;
      const fam = (r.spec.ipVersion ?? 4) as IpFamily;
      const s = IntervalSet.fromRanges(r.spec.ips ?? [], fam);
      if (s.ok) acc[fam] = acc[fam].union(s.value);
    }
    this.#reservedSets = acc;
  }
}

export function addressValue(c: Claim): bigint | undefined {
  const a = parseAddress(c.spec.address, c.spec.ipVersion);
  return a.ok ? a.value.value : undefined;
}

/**
 * Claim names by key. Almost every key (a Pod's UID, its namespace/name) has one claim, or two for
 * dual stack: a bare name is kept until a second comes, since a Set per key cost each of the
 * cluster's claims some hundred bytes on every node (docs/concepts/scale.md#agent-memory).
 */
type NameIndex = Map<string, string | Set<string>>;

function add(m: NameIndex, k: string, v: string): void {
  const cur = m.get(k);
  if (cur === undefined || cur === v) m.set(k, v);
  else if (typeof cur === "string") m.set(k, new Set([cur, v]));
  else cur.add(v);
}

function del(m: NameIndex, k: string, v: string): void {
  const cur = m.get(k);
  if (cur === v) m.delete(k);
  else if (cur instanceof Set) {
    cur.delete(v);
    if (cur.size === 1) m.set(k, cur.values().next().value!);
  }
}

function namesOf(m: NameIndex, k: string): string[] {
  const cur = m.get(k);
  return cur === undefined ? [] : typeof cur === "string" ? [cur] : [...cur];
}
