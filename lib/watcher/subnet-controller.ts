import type { KubeApi, KubeObject, Stored } from "../k8s/api-client.js";
import { deletePool, POOLS_PATH } from "../k8s/auto-pool-store.js";
import type { Informer } from "../k8s/informer.js";
import { K8sError } from "../k8s/k8s-error.js";
import {
  casSubnetStatus,
  controlledPoolsOf,
  encodeControlledPools,
  SUBNETS_PATH,
} from "../k8s/subnet-status-store.js";
import type { IpFamily } from "../core/net/address.js";
import { IntervalSet } from "../core/net/interval-set.js";
import { isAutoCreatedPool } from "../core/selection/pool-view.js";
import { describeStored, readStoredRanges } from "../core/net/stored-objects.js";
import { accountSubnet, type OwnedPoolFacts } from "../core/auto-pool/subnet-accounting.js";
import { decideAdoption } from "../core/auto-pool/subnet-adoption.js";
import { LABEL_OWNER_SPIDER_SUBNET, SPIDERPOOL_FINALIZER } from "../core/base/well-known-names.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { SpiderSubnet } from "../schemas/subnet.js";
import type { Logger } from "../logger.js";
import type { KeyedLock } from "./keyed-lock.js";
import { WorkQueue } from "./work-queue.js";
import { usableAddresses } from "../core/net/usable-addresses.js";

type Subnet = Stored<SpiderSubnet>;
type Pool = Stored<SpiderIPPool>;

/**
 * SpiderSubnet status and deletion (docs/reference/auto-pools.md#subnet-status): the subnet first
 * adopts the pools of its CIDR that nobody controls yet (docs/usage/subnet-adoption.md); then
 * `controlledIPPools` keeps the records of auto
 * pools whose application or pool still exists and one record per manual pool the subnet owns;
 * `allocatedIPCount` and `totalIPCount` follow. A deleted subnet deletes the pools it controls and
 * lets its finalizer go once none is left. Status writes are compare-and-swap and take the same
 * per-subnet lock as the auto-pool writes of this process.
 */
export class SubnetController {
  readonly #queue: WorkQueue;

  constructor(
    private readonly api: KubeApi,
    private readonly log: Logger,
    private readonly subnets: Informer<Subnet>,
    private readonly pools: Informer<Pool>,
    private readonly lock: KeyedLock,
    private readonly applicationExists: (key: string) => boolean | undefined,
  ) {
    this.#queue = new WorkQueue(name => this.#reconcile(name), {
      delayMs: 300,
      maxRetries: 10,
      onError: (key, e, n) =>
        log.warn("subnet status update failed", { subnet: key, attempt: n, err: e }),
    });
    subnets.on(ev => this.#queue.add(ev.object.metadata.name));
    pools.on(ev => {
      // A new or respecified pool no subnet controls: the subnets of its CIDR adopt it
      // (docs/adr/0010-admission-cache.md). Not on status writes, which change nothing of that.
      if (
        (ev.type === "added" ||
          (ev.type === "updated" &&
            ev.old.metadata.generation !== ev.object.metadata.generation)) &&
        !ev.object.metadata.deletionTimestamp &&
        !ownerSubnetOf(ev.object)
      )
        for (const s of this.subnets.list())
          if (decideAdoption(s, ev.object).kind === "adopt") this.#queue.add(s.metadata.name);
      const owner =
        ownerSubnetOf(ev.object) ?? (ev.type === "updated" ? ownerSubnetOf(ev.old) : undefined);
      if (!owner) return;
      if (
        ev.type === "updated" &&
        ownerSubnetOf(ev.old) === ownerSubnetOf(ev.object) &&
        JSON.stringify([
          ev.old.spec.ips,
          ev.old.spec.excludeIPs,
          ev.old.metadata.deletionTimestamp,
          ownerSubnetOf(ev.old),
        ]) ===
          JSON.stringify([
            ev.object.spec.ips,
            ev.object.spec.excludeIPs,
            ev.object.metadata.deletionTimestamp,
            ownerSubnetOf(ev.object),
          ])
      )
        return;
      this.#queue.add(owner);
    });
  }

  /**
   * A subnet changed, as the capability's Watch binding saw it: its status (or finalizer) is
   * looked at after the coalescing delay, from the cache. A deletion needs nothing.
   */
  subnetChanged(subnet: KubeObject): void {
    this.#queue.add(subnet.metadata.name);
  }

  resync(): void {
    for (const s of this.subnets.list()) this.#queue.add(s.metadata.name);
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  async #reconcile(name: string): Promise<void> {
    const subnet = this.subnets.get(name);
    if (!subnet) return;
    const owned = this.pools.list().filter(p => ownerSubnetOf(p) === name);
    if (subnet.metadata.deletionTimestamp) return this.#finishDeletion(subnet, owned);
    // The adopted pools' update events bring the subnet back here, with them in `owned`.
    if ((await this.#adoptPools(subnet)) > 0) return;
    await this.lock.run(name, () =>
      casSubnetStatus(this.api, name, fresh => {
        const stored = describeStored(fresh);
        const records = controlledPoolsOf(fresh);
        if (!stored?.cidr || records === undefined) {
          this.log.warn("subnet status left alone: unreadable subnet or controlledIPPools", {
            subnet: name,
          });
          return undefined;
        }
        const family = stored.family;
        const usable = readStoredRanges(stored.cidr, fresh.spec.ips, fresh.spec.excludeIPs).usable;
        const pools: OwnedPoolFacts[] = this.pools
          .list()
          // A terminating pool keeps its record until it is gone: Pods may still hold its addresses.
          .filter(p => ownerSubnetOf(p) === name)
          .map(p => ({
            name: p.metadata.name,
            autoCreated: isAutoCreatedPool({ labels: p.metadata.labels ?? {} }),
            usable: usableOf(p, family),
          }));
        const next = accountSubnet({
          family,
          subnetUsable: usable,
          records,
          pools,
          applicationExists: this.applicationExists,
        });
        const status = {
          controlledIPPools: encodeControlledPools(next.records),
          allocatedIPCount: next.allocatedIPCount,
          totalIPCount: next.totalIPCount,
        };
        const cur = fresh.status ?? {};
        if (
          (cur.controlledIPPools ?? undefined) === status.controlledIPPools &&
          cur.allocatedIPCount === status.allocatedIPCount &&
          cur.totalIPCount === status.totalIPCount
        )
          return undefined;
        if (next.dropped.length)
          this.log.info("subnet records dropped: neither pool nor application exists", {
            subnet: name,
            pools: next.dropped,
          });
        return status;
      }),
    );
  }

  /**
   * Spiderpool's step "adopt": pools of the subnet's CIDR made before it (or while the subnet
   * feature was off) become its own. Each write is conditional on the pool's resourceVersion; a
   * conflict fails the round, which the queue retries. Returns how many pools were adopted.
   */
  async #adoptPools(subnet: Subnet): Promise<number> {
    let adopted = 0;
    for (const pool of this.pools.list()) {
      const decision = decideAdoption(subnet, pool);
      if (decision.kind === "controlled_elsewhere") {
        this.log.warn("pool of the subnet's CIDR left alone: another object controls it", {
          subnet: subnet.metadata.name,
          pool: pool.metadata.name,
          controller: decision.controller,
        });
        continue;
      }
      if (decision.kind !== "adopt") continue;
      const { ownerReferences, labels, ...inherited } = decision.change;
      try {
        await this.api.patch(
          `${POOLS_PATH}/${pool.metadata.name}`,
          {
            metadata: { resourceVersion: pool.metadata.resourceVersion, ownerReferences, labels },
            ...(Object.keys(inherited).length > 0 ? { spec: inherited } : {}),
          },
          "merge",
        );
      } catch (e) {
        if (e instanceof K8sError && e.code === "not_found") continue;
        // Admission refused it (e.g. the pool uses addresses the subnet does not offer): retrying
        // would not change that, and the subnet's status must not wait for it.
        if (e instanceof K8sError && (e.code === "invalid" || e.code === "forbidden")) {
          this.log.warn("subnet could not adopt a pool of its CIDR", {
            subnet: subnet.metadata.name,
            pool: pool.metadata.name,
            err: e,
          });
          continue;
        }
        throw e;
      }
      adopted++;
      this.log.info("subnet adopted a pool of its CIDR", {
        subnet: subnet.metadata.name,
        pool: pool.metadata.name,
        inherited: Object.keys(inherited),
      });
    }
    return adopted;
  }

  /** Deletes the subnet's pools; once none is left, removes the finalizer so the subnet goes. */
  async #finishDeletion(subnet: Subnet, owned: Pool[]): Promise<void> {
    for (const p of owned)
      if (!p.metadata.deletionTimestamp)
        await deletePool(this.api, p.metadata.name, p.metadata.uid);
    if (owned.length > 0) return;
    const fins = subnet.metadata.finalizers ?? [];
    if (!fins.includes(SPIDERPOOL_FINALIZER)) return;
    await this.api
      // The resourceVersion makes it conditional (409 if the subnet changed since it was read).
      .patch(
        `${SUBNETS_PATH}/${subnet.metadata.name}`,
        {
          metadata: {
            resourceVersion: subnet.metadata.resourceVersion,
            finalizers: fins.filter(f => f !== SPIDERPOOL_FINALIZER),
          },
        },
        "merge",
      )
      .catch(e => {
        if (!(e instanceof K8sError && e.code === "not_found")) throw e;
      });
    this.log.info("subnet released its finalizer: it controls no pool", {
      subnet: subnet.metadata.name,
    });
  }
}

/** The subnet a pool belongs to: its controller reference, or the owner label. */
function ownerSubnetOf(p: Pool): string | undefined {
  const ref = p.metadata.ownerReferences?.find(
    r => r.controller === true && r.kind === "SpiderSubnet",
  );
  return ref?.name ?? p.metadata.labels?.[LABEL_OWNER_SPIDER_SUBNET];
}

function usableOf(p: Pool, family: IpFamily): IntervalSet {
  return usableAddresses(p.spec, family);
}
