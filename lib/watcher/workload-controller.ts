import type { KubeApi, KubeObject, Stored } from "../k8s/api-client.js";
import { deletePool } from "../k8s/auto-pool-store.js";
import { recordEvent } from "../k8s/events.js";
import { Informer } from "../k8s/informer.js";
import {
  WORKLOAD_COLLECTIONS,
  workloadFacts,
  type WorkloadObject,
} from "../k8s/workload-objects.js";
import type { IpFamily } from "../core/net/address.js";
import { autoPoolOwner, type AutoPoolOwner } from "../core/auto-pool/auto-pool-naming.js";
import { findExistingAutoPool } from "../core/auto-pool/auto-pool-lookup.js";
import {
  orphanedAutoPools,
  unwantedAutoPools,
  type AutoPoolFacts,
} from "../core/auto-pool/auto-pool-reclaim.js";
import {
  autoPoolTargets,
  type AutoPoolInputError,
  type AutoPoolTarget,
  type SubnetFacts,
} from "../core/auto-pool/auto-pool-request.js";
import {
  AUTO_POOL_WORKLOAD_KINDS,
  isAutoPoolUnit,
  isAutoPoolWorkloadKind,
  workloadIdentity,
  workloadReplicas,
  type AutoPoolWorkloadKind,
} from "../core/auto-pool/auto-pool-workload.js";
import { IntervalSet } from "../core/net/interval-set.js";
import { describeStored } from "../core/net/stored-objects.js";
import { hasSubnetAnnotation } from "../core/selection/subnet-annotations.js";
import type { IPClaim } from "../schemas/ip-claim.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { SpiderReservedIP } from "../schemas/reserved-ip.js";
import type { SpiderSubnet } from "../schemas/subnet.js";
import type { SpiderpoolConfig } from "../schemas/config.js";
import type { Logger } from "../logger.js";
import {
  AutoPoolError,
  reconcileAutoPool,
  type AutoPoolOutcome,
} from "../k8s/auto-pool-reconciler.js";
import type { KeyedLock } from "./keyed-lock.js";
import type { WatchedPhase } from "./event-inbox.js";
import { WorkQueue } from "./work-queue.js";
import {
  ANNO_IPPOOL_IP_NUMBER,
  ANNO_IPPOOL_RECLAIM,
  ANNO_SUBNET,
  ANNO_SUBNETS,
  LABEL_IPPOOL_RECLAIM,
  LABEL_OWNER_APPLICATION_UID,
} from "../core/base/well-known-names.js";
import { usableAddresses } from "../core/net/usable-addresses.js";

/** The caches the auto-pool controllers share with the rest of the watcher. */
export interface AutoPoolCaches {
  readonly pools: Informer<Stored<SpiderIPPool>>;
  readonly claims: Informer<Stored<IPClaim>>;
  readonly subnets: Informer<Stored<SpiderSubnet>>;
  readonly reserved: Informer<Stored<SpiderReservedIP>>;
}

const BUILT_IN_GV: Readonly<Record<string, string>> = { apps_v1: "apps", batch_v1: "batch" };

/**
 * Auto pools for built-in workloads (docs/reference/auto-pools.md): watches Deployments, ReplicaSets, StatefulSets,
 * DaemonSets, Jobs and CronJobs; for each one whose Pod template carries
 * `ipam.spidernet.io/subnet(s)` it creates, grows and shrinks one pool per NIC and family, and
 * deletes reclaimable pools when the workload goes. Bad input becomes a Warning Event on the
 * workload and nothing is created. Work is keyed `Kind/namespace/name`, coalesced and retried
 * with backoff (bounded), and everything is re-checked by `resync()`.
 */
export class WorkloadController {
  readonly informers = new Map<AutoPoolWorkloadKind, Informer<Stored<WorkloadObject>>>();
  readonly #queue: WorkQueue;
  /** Last Warning reported per workload, so retries do not repeat the same Event. */
  readonly #reported = new Map<string, string>();
  /** Workloads whose pool is above its size until Pods release addresses. */
  readonly #pendingShrink = new Set<string>();
  /** When a workload change was first seen and not yet reconciled, for the log. */
  readonly #seenAt = new Map<string, number>();
  #synced = false;

  constructor(
    private readonly api: KubeApi,
    private readonly log: Logger,
    private readonly config: SpiderpoolConfig,
    private readonly caches: AutoPoolCaches,
    private readonly lock: KeyedLock,
  ) {
    this.#queue = new WorkQueue(key => this.#reconcile(key), {
      // Short: the events that pass the fingerprint filter are real changes, and a scale-up
      // should reach the pool before the new Pods reach their nodes.
      delayMs: 30,
      concurrency: 8,
      maxRetries: 10,
      onError: (key, e, n) =>
        log.warn("auto pool reconcile failed", { workload: key, attempt: n, err: e }),
    });
    for (const kind of AUTO_POOL_WORKLOAD_KINDS) {
      const informer = new Informer<Stored<WorkloadObject>>(api, {
        path: WORKLOAD_COLLECTIONS[kind].path,
        onError: e => log.warn(`watch of ${kind} failed; retrying`, { err: e }),
      });
      informer.on(ev => {
        const annotated =
          this.#annotated(kind, ev.object) ||
          (ev.type === "updated" && this.#annotated(kind, ev.old));
        if (ev.type === "updated" && fingerprint(kind, ev.old) === fingerprint(kind, ev.object))
          return;
        if (
          annotated ||
          (ev.type === "deleted" &&
            this.#poolsOf(kind, ev.object.metadata.namespace ?? "", ev.object.metadata.name)
              .length > 0)
        ) {
          const key = keyOf(kind, ev.object);
          if (!this.#seenAt.has(key)) this.#seenAt.set(key, Date.now());
          this.#queue.add(key);
        }
      });
      this.informers.set(kind, informer);
    }
    caches.claims.on(ev => {
      if (ev.type !== "deleted") return;
      const key = this.#ownerKey(caches.pools.get(ev.object.spec.pool)?.metadata.labels);
      if (key && this.#pendingShrink.has(key)) this.#queue.add(key);
    });
    caches.pools.on(ev => {
      // A pool deleted by hand is made again; a terminating predecessor that is finally gone lets
      // its successor be created.
      if (ev.type !== "deleted") return;
      const key = this.#ownerKey(ev.object.metadata.labels);
      if (key) this.#queue.add(key);
    });
    caches.subnets.on(ev => {
      // A new subnet, or more addresses in one, may serve workloads that failed for lack of it.
      if (
        ev.type === "deleted" ||
        (ev.type === "updated" && JSON.stringify(ev.old.spec) === JSON.stringify(ev.object.spec))
      )
        return;
      for (const key of this.#reported.keys()) this.#queue.add(key);
    });
  }

  start(): this {
    for (const informer of this.informers.values()) informer.start();
    void Promise.all([...this.informers.values()].map(i => i.synced)).then(
      () => (this.#synced = true),
    );
    return this;
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
    this.#queue.stop();
  }

  async synced(): Promise<void> {
    await Promise.all([...this.informers.values()].map(i => i.synced));
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /**
   * A workload changed, as the capability's Watch binding saw it (without the previous version,
   * which the informer's own event compares): an annotated workload whose pools, as the cache
   * shows them, are not what it asks for is queued, and so is a deleted one that still has pools.
   * Served workloads (status churn) cost nothing.
   */
  workloadChanged(kind: AutoPoolWorkloadKind, w: KubeObject, phase: WatchedPhase): void {
    const workload = w as Stored<WorkloadObject>;
    const { namespace = "", name } = workload.metadata;
    // The run reads the informer's cache, where a workload not yet seen reads as deleted (and its
    // pools as orphans): until the cache has it, the informer's own event is the one to wait for.
    if (phase !== "DELETED" && !this.informers.get(kind)?.get(name, namespace)) return;
    const wanted =
      phase === "DELETED"
        ? this.#poolsOf(kind, namespace, name).length > 0
        : this.#annotated(kind, workload) && this.#needsWork(kind, workload);
    if (!wanted) return;
    const key = keyOf(kind, workload);
    if (!this.#seenAt.has(key)) this.#seenAt.set(key, Date.now());
    this.#queue.add(key);
  }

  /**
   * Reserved addresses changed: workloads that could not be served (a subnet without enough free
   * addresses among them) try again, as after a subnet change.
   */
  reservedIPsChanged(): void {
    for (const key of this.#reported.keys()) this.#queue.add(key);
  }

  /**
   * Re-checks every annotated workload whose pools, as the cache shows them, are not what it asks
   * for (or that failed or waits for a shrink), and reclaims pools whose workload is gone (missed
   * deletes). Workloads already served cost no API call.
   */
  resync(): void {
    for (const [kind, informer] of this.informers) {
      for (const w of informer.list())
        if (this.#annotated(kind, w) && this.#needsWork(kind, w)) this.#queue.add(keyOf(kind, w));
    }
    if (!this.#synced) return;
    const orphans = orphanedAutoPools(this.#poolFacts(), owner => this.uidOf(owner));
    for (const name of orphans) {
      const pool = this.caches.pools.get(name);
      this.log.info("deleting auto pool of a workload that no longer exists", {
        pool: name,
        owner: pool?.metadata.labels,
      });
      void deletePool(this.api, name, pool?.metadata.uid).catch((e: Error) =>
        this.log.warn("auto pool delete failed", { pool: name, err: e }),
      );
    }
  }

  /**
   * UID of the built-in workload a pool names: the UID, `null` when it does not exist (or is
   * being deleted), `undefined` when this controller cannot tell (not a built-in kind, or the
   * caches are not loaded yet).
   */
  uidOf(
    owner: Pick<AutoPoolOwner, "gv" | "kind" | "namespace" | "name">,
  ): string | null | undefined {
    if (!this.#synced || BUILT_IN_GV[owner.gv] === undefined || !isAutoPoolWorkloadKind(owner.kind))
      return undefined;
    const w = this.informers.get(owner.kind)?.get(owner.name, owner.namespace);
    return w && !w.metadata.deletionTimestamp ? (w.metadata.uid ?? null) : null;
  }

  async #reconcile(key: string): Promise<void> {
    const queuedMs = Date.now() - (this.#seenAt.get(key) ?? Date.now());
    this.#seenAt.delete(key);
    const [kind, namespace, name] = key.split("/") as [AutoPoolWorkloadKind, string, string];
    const informer = this.informers.get(kind);
    const w = informer?.get(name, namespace);
    if (!w || w.metadata.deletionTimestamp) {
      await this.#deletePools(
        orphanedAutoPools(this.#poolsOf(kind, namespace, name), () => null),
        key,
      );
      this.#reported.delete(key);
      this.#pendingShrink.delete(key);
      return;
    }
    const facts = workloadFacts(kind, w);
    if (
      !isAutoPoolUnit(facts) ||
      !this.config.enableSpiderSubnet ||
      !this.config.enableAutoPoolForApplication
    )
      return;
    const top = workloadIdentity(facts);
    const requested = autoPoolTargets(
      top,
      facts.templateAnnotations,
      workloadReplicas(facts),
      this.#subnetFacts(),
      {
        enableIPv4: this.config.enableIPv4,
        enableIPv6: this.config.enableIPv6,
        defaultFlexibleIPNumber: this.config.clusterSubnetAutoPoolDefaultRedundantIPNumber,
      },
    );
    if (!requested.ok) {
      await this.#warn(key, w, kind, reasonOf(requested.error), requested.error.message);
      if (requested.error.retry) throw new Error(requested.error.message);
      return;
    }
    const targets = requested.value ?? [];
    const wanted = new Set<string>();
    let pending = 0;
    let failure: AutoPoolError | undefined;
    for (const target of targets) {
      const existing = findExistingAutoPool(this.#poolFacts(), target.lookupLabels, top.uid);
      wanted.add(existing?.name ?? target.poolName);
      let outcome: AutoPoolOutcome;
      try {
        outcome = await this.lock.run(target.subnet, () =>
          reconcileAutoPool(this.api, {
            target,
            top,
            existing: existing?.name,
            reserved: this.#reservedOf(target.family),
            occupied: this.#occupiedBesides(target, existing?.name),
          }),
        );
      } catch (e) {
        if (!(e instanceof AutoPoolError)) throw e;
        failure ??= e;
        continue;
      }
      wanted.add(outcome.pool);
      pending += outcome.pendingShrink;
      if (outcome.conflicts.length)
        this.log.warn("auto pool holds addresses another pool's record owns", {
          pool: outcome.pool,
          addresses: outcome.conflicts,
        });
      if (outcome.created)
        await recordEvent(
          this.api,
          withKind(w, kind),
          "Normal",
          "AutoPoolCreated",
          `created SpiderIPPool ${outcome.pool} with ${outcome.size} addresses from SpiderSubnet ${target.subnet}`,
        );
      else if (outcome.changed)
        this.log.info("auto pool resized", {
          workload: key,
          pool: outcome.pool,
          size: outcome.size,
          pendingShrink: outcome.pendingShrink,
          queuedMs,
          ...outcome.timings,
        });
    }
    await this.#deletePools(unwantedAutoPools(this.#poolFacts(), top.uid, wanted), key);
    if (pending > 0) {
      this.#pendingShrink.add(key);
      this.#queue.add(key, 5_000); // backstop; claim deletions usually wake it sooner
    } else this.#pendingShrink.delete(key);
    if (failure) {
      await this.#warn(
        key,
        w,
        kind,
        failure.code === "insufficient_subnet_ips" ? "AutoPoolSubnetExhausted" : "AutoPoolFailed",
        failure.message,
      );
      if (failure.retry) throw failure;
      return;
    }
    this.#reported.delete(key);
  }

  #needsWork(kind: AutoPoolWorkloadKind, w: Stored<WorkloadObject>): boolean {
    const key = keyOf(kind, w);
    if (this.#reported.has(key) || this.#pendingShrink.has(key) || w.metadata.deletionTimestamp)
      return true;
    const facts = workloadFacts(kind, w);
    if (!isAutoPoolUnit(facts)) return false;
    const top = workloadIdentity(facts);
    const requested = autoPoolTargets(
      top,
      facts.templateAnnotations,
      workloadReplicas(facts),
      this.#subnetFacts(),
      {
        enableIPv4: this.config.enableIPv4,
        enableIPv6: this.config.enableIPv6,
        defaultFlexibleIPNumber: this.config.clusterSubnetAutoPoolDefaultRedundantIPNumber,
      },
    );
    if (!requested.ok) return true;
    const pools = this.#poolFacts();
    return (requested.value ?? []).some(t => {
      const found = findExistingAutoPool(pools, t.lookupLabels, top.uid);
      const pool = found && this.caches.pools.get(found.name);
      if (!pool) return true;
      const size = IntervalSet.fromRanges(pool.spec.ips ?? [], t.family);
      const labels = pool.metadata.labels ?? {};
      return (
        !size.ok ||
        Number(size.value.size()) !== t.desired ||
        labels[LABEL_OWNER_APPLICATION_UID] !== top.uid ||
        labels[LABEL_IPPOOL_RECLAIM] !== String(t.reclaim)
      );
    });
  }

  async #deletePools(names: readonly string[], workload: string): Promise<void> {
    for (const name of names) {
      const pool = this.caches.pools.get(name);
      if (await deletePool(this.api, name, pool?.metadata.uid))
        this.log.info("deleted auto pool", { pool: name, workload });
    }
  }

  async #warn(
    key: string,
    w: Stored<WorkloadObject>,
    kind: AutoPoolWorkloadKind,
    reason: string,
    message: string,
  ): Promise<void> {
    if (this.#reported.get(key) === message) return;
    this.#reported.set(key, message);
    this.log.warn("auto pool not served", { workload: key, reason, message });
    await recordEvent(this.api, withKind(w, kind), "Warning", reason, message);
  }

  #annotated(kind: AutoPoolWorkloadKind, w: Stored<WorkloadObject>): boolean {
    return hasSubnetAnnotation(workloadFacts(kind, w).templateAnnotations);
  }

  #poolFacts(): AutoPoolFacts[] {
    return this.caches.pools.list().map(p => ({
      name: p.metadata.name,
      labels: p.metadata.labels ?? {},
      terminating: !!p.metadata.deletionTimestamp,
    }));
  }

  /** Auto pools whose labels name this built-in workload (any UID). */
  #poolsOf(kind: string, namespace: string, name: string): AutoPoolFacts[] {
    return this.#poolFacts().filter(p => {
      const o = autoPoolOwner(p.labels);
      return (
        o !== undefined &&
        BUILT_IN_GV[o.gv] !== undefined &&
        o.kind === kind &&
        o.namespace === namespace &&
        o.name === name
      );
    });
  }

  #ownerKey(labels: Record<string, string> | undefined): string | undefined {
    const o = labels ? autoPoolOwner(labels) : undefined;
    if (!o || BUILT_IN_GV[o.gv] === undefined || !isAutoPoolWorkloadKind(o.kind)) return undefined;
    return `${o.kind}/${o.namespace}/${o.name}`;
  }

  #subnetFacts(): Map<string, SubnetFacts> {
    const out = new Map<string, SubnetFacts>();
    for (const s of this.caches.subnets.list()) {
      out.set(s.metadata.name, {
        name: s.metadata.name,
        family: describeStored(s)?.family,
        cidr: s.spec.subnet,
        terminating: !!s.metadata.deletionTimestamp,
      });
    }
    return out;
  }

  #reservedOf(family: IpFamily): IntervalSet {
    let acc = IntervalSet.empty(family);
    for (const r of this.caches.reserved.list()) {
      if (r.metadata.deletionTimestamp || (r.spec.ipVersion ?? 4) !== family) continue;
      const s = IntervalSet.fromRanges(r.spec.ips ?? [], family);
      if (s.ok) acc = acc.union(s.value);
    }
    return acc;
  }

  /** Addresses of the other pools in the target's subnet, as the cache shows them. */
  #occupiedBesides(target: AutoPoolTarget, existing: string | undefined): IntervalSet {
    let acc = IntervalSet.empty(target.family);
    for (const p of this.caches.pools.list()) {
      const name = p.metadata.name;
      if (
        name === existing ||
        name === target.poolName ||
        p.spec.subnet !== target.subnetCidr ||
        (p.spec.ipVersion ?? target.family) !== target.family
      )
        continue;
      acc = acc.union(usableAddresses(p.spec, target.family));
    }
    return acc;
  }
}

function keyOf(kind: AutoPoolWorkloadKind, w: Stored<WorkloadObject>): string {
  return `${kind}/${w.metadata.namespace ?? ""}/${w.metadata.name}`;
}

/** What decides the workload's pools; other updates (status churn) are ignored. */
function fingerprint(kind: AutoPoolWorkloadKind, w: Stored<WorkloadObject>): string {
  const f = workloadFacts(kind, w);
  const a = f.templateAnnotations;
  const relevant = [ANNO_SUBNET, ANNO_SUBNETS, ANNO_IPPOOL_IP_NUMBER, ANNO_IPPOOL_RECLAIM].map(
    k => a[k] ?? null,
  );
  return JSON.stringify([
    f.uid,
    relevant,
    f.hostNetwork,
    f.controller ?? null,
    workloadReplicas(f),
    !!w.metadata.deletionTimestamp,
  ]);
}

function withKind(w: Stored<WorkloadObject>, kind: AutoPoolWorkloadKind) {
  return { ...w, apiVersion: WORKLOAD_COLLECTIONS[kind].apiVersion, kind };
}

function reasonOf(e: AutoPoolInputError): string {
  switch (e.code) {
    case "invalid_annotation":
      return "AutoPoolInvalidAnnotation";
    case "subnet_not_found":
      return "AutoPoolSubnetNotFound";
    case "subnet_family_mismatch":
      return "AutoPoolSubnetFamilyMismatch";
    case "subnet_terminating":
      return "AutoPoolSubnetTerminating";
  }
}
