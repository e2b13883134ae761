import type { KubeApi } from "../k8s/api-client.js";
import type { Pod } from "../k8s/core-kinds.js";
import type { IpFamily } from "../core/net/address.js";
import { autoPoolName } from "../core/auto-pool/auto-pool-naming.js";
import { ipNumberText } from "../core/auto-pool/auto-pool-request.js";
import { IntervalSet } from "../core/net/interval-set.js";
import type { SelectionError } from "../core/selection/selection-errors.js";
import type { NicPlan } from "../core/selection/selection-input.js";
import {
  LABEL_IPPOOL_RECLAIM,
  LABEL_OWNER_APPLICATION_UID,
  LABEL_OWNER_SPIDER_SUBNET,
} from "../core/base/well-known-names.js";
import { autoPoolLabels } from "../core/selection/subnet-source.js";
import {
  hasSubnetAnnotation,
  parseSubnetAnnotations,
} from "../core/selection/subnet-annotations.js";
import type { TopController } from "../core/selection/top-controller.js";
import { AutoPoolError, reconcileAutoPool } from "../k8s/auto-pool-reconciler.js";
import type { Logger } from "../logger.js";
import { AgentError } from "./agent-error.js";
import type { ClusterView } from "./cluster-view.js";

type NotReady = Extract<SelectionError, { code: "auto_pool_not_ready" }>;

/**
 * The agent's part in auto pools (docs/reference/auto-pools.md#the-agents-side): waiting for the pool the watcher makes for a
 * built-in workload (woken by the pool watch instead of sleeping blindly), and making or resizing
 * the pool of a third-party controller itself, with the same writes the watcher uses.
 */
export class AutoPools {
  readonly #waiters = new Set<() => void>();
  readonly #announced = new Set<string>();

  constructor(
    private readonly api: KubeApi,
    private readonly view: ClusterView,
    private readonly log: Logger,
  ) {
    view.pools.on(() => {
      for (const wake of [...this.#waiters]) wake();
    });
  }

  /**
   * Whether selection should be retried after a wait: the auto pool is missing or not at its
   * size yet, or it is full while its workload scales up (the watcher grows it in a moment).
   */
  shouldWait(error: SelectionError, pod: Pod): boolean {
    if (error.code === "auto_pool_not_ready") return true;
    return (
      error.code === "all_pools_filtered" &&
      error.exhausted &&
      hasSubnetAnnotation(pod.metadata.annotations ?? {})
    );
  }

  /**
   * Waits for the watcher's pool: until the next change of any pool, or `ms`. Says so once per
   * Pod, so operators (and the benchmark) can see an ADD that had to wait for its pool.
   */
  wait(pod: Pod, error: SelectionError, ms: number): Promise<void> {
    const uid = pod.metadata.uid ?? "";
    if (!this.#announced.has(uid)) {
      if (this.#announced.size > 1000) this.#announced.clear();
      this.#announced.add(uid);
      const why =
        error.code === "auto_pool_not_ready"
          ? error.pool
            ? "auto pool not at its size yet"
            : "auto pool not created yet"
          : "auto pool full";
      this.log.info("waiting for the auto pool", {
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        reason: why,
      });
    }
    return this.changed(ms);
  }

  /** Resolves at the next change of any pool, or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise(resolve => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  /**
   * Creates or resizes the auto pool of a third-party controller to the fixed size of
   * `ipam.spidernet.io/ippool-ip-number` (`N` and `+N` both mean N), then waits until this
   * agent's cache shows it. A definitive failure (no free addresses, wrong subnet) is an
   * AgentError; a lost race is left to the caller's next round.
   */
  async ensureThirdParty(pod: Pod, top: TopController, e: NotReady): Promise<void> {
    const request = parseSubnetAnnotations(pod.metadata.annotations ?? {});
    if (!request.ok || !request.value?.ipNumber) return; // selection reports these itself
    const desired = request.value.ipNumber.count;
    const subnet = this.view.subnets.get(e.subnet);
    if (!subnet)
      throw new AgentError(
        "no_available_pool",
        `failed to get IPPool candidates from Subnet: SpiderSubnet '${e.subnet}' not found`,
      );
    const poolName = e.pool ?? autoPoolName(e.family, top.name, e.nic, top.uid);
    try {
      const outcome = await reconcileAutoPool(this.api, {
        target: {
          subnet: e.subnet,
          subnetCidr: subnet.spec.subnet,
          family: e.family,
          nic: e.nic,
          poolName: autoPoolName(e.family, top.name, e.nic, top.uid),
          lookupLabels: e.matchLabels,
          desired,
          ipNumber: ipNumberText(request.value.ipNumber, 0),
          reclaim: e.reclaim,
        },
        top,
        existing: e.pool,
        reserved: this.#reserved(e.family),
        occupied: this.#occupied(e.family, subnet.spec.subnet, poolName),
      });
      if (outcome.changed)
        this.log.info("auto pool of a third-party controller reconciled", {
          pool: outcome.pool,
          size: outcome.size,
          controller: `${top.kind}/${top.namespace}/${top.name}`,
        });
      await this.#until(
        () =>
          this.view.pools.get(outcome.pool)?.spec.ips !== undefined &&
          this.#size(outcome.pool, e.family) === BigInt(outcome.size),
        5_000,
      );
    } catch (err) {
      if (err instanceof AutoPoolError && (!err.retry || err.code === "insufficient_subnet_ips")) {
        throw new AgentError(
          "no_available_pool",
          `failed to get IPPool candidates from Subnet: ${err.message}`,
        );
      }
      this.log.warn("third-party auto pool not reconciled yet; retrying", {
        pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
        err,
      });
      await this.changed(500);
    }
  }

  /**
   * After selection found a third-party controller's pool: a pool retained from a same-name
   * predecessor (`ippool-reclaim: false`) is relabelled with this controller's UID and reclaim
   * flag, as Spiderpool's reconcile does, so the watcher judges it by its current owner.
   */
  async adoptThirdParty(pod: Pod, top: TopController, plans: readonly NicPlan[]): Promise<void> {
    const request = parseSubnetAnnotations(pod.metadata.annotations ?? {});
    if (!request.ok || !request.value) return;
    const reclaim = String(request.value.reclaim);
    for (const plan of plans) {
      if (plan.source !== "subnet") continue;
      for (const fc of plan.families) {
        const pool = this.view.pools.get(fc.pools[0] ?? "");
        const labels = pool?.metadata.labels ?? {};
        if (
          !pool ||
          (labels[LABEL_OWNER_APPLICATION_UID] === top.uid &&
            labels[LABEL_IPPOOL_RECLAIM] === reclaim)
        )
          continue;
        const subnet = labels[LABEL_OWNER_SPIDER_SUBNET] ?? "";
        await this.ensureThirdParty(pod, top, {
          code: "auto_pool_not_ready",
          message: "",
          subnet,
          family: fc.family,
          nic: plan.nic,
          matchLabels: autoPoolLabels(subnet, top, plan.nic, fc.family, false),
          thirdParty: true,
          reclaim: request.value.reclaim,
          pool: pool.metadata.name,
        });
      }
    }
  }

  async #until(ok: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok() && Date.now() < deadline) await this.changed(deadline - Date.now());
  }

  #size(pool: string, family: IpFamily): bigint {
    const p = this.view.pools.get(pool);
    if (!p) return -1n;
    const ips = IntervalSet.fromRanges(p.spec.ips ?? [], family);
    return ips.ok ? ips.value.size() : -1n;
  }

  #reserved(family: IpFamily): IntervalSet {
    let acc = IntervalSet.empty(family);
    for (const r of this.view.reserved.list()) {
      if (r.metadata.deletionTimestamp || (r.spec.ipVersion ?? 4) !== family) continue;
      const s = IntervalSet.fromRanges(r.spec.ips ?? [], family);
      if (s.ok) acc = acc.union(s.value);
    }
    return acc;
  }

  #occupied(family: IpFamily, subnetCidr: string, own: string): IntervalSet {
    let acc = IntervalSet.empty(family);
    for (const p of this.view.pools.list()) {
      if (p.metadata.name === own || p.spec.subnet !== subnetCidr) continue;
      const ips = IntervalSet.fromRanges(p.spec.ips ?? [], family);
      if (ips.ok) acc = acc.union(ips.value);
    }
    return acc;
  }
}
