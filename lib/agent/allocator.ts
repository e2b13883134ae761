import type { KubeApi, OwnerReference } from "../k8s/api-client.js";
import type { Pod } from "../k8s/core-kinds.js";
import { claimAddress } from "../k8s/claim-store.js";
import { K8sError } from "../k8s/k8s-error.js";
import { getEndpoint, upsertEndpoint } from "../k8s/endpoint-store.js";
import { laneOf, pickAddress } from "../core/net/address-pick.js";
import { backoffDelay, type BackoffPolicy } from "../core/base/backoff.js";
import { formatAddress, type IpFamily } from "../core/net/address.js";
import {
  buildAllocationResult,
  resultFromDetails,
  type Grant,
} from "../core/lifecycle/allocation-result.js";
import { isAlive } from "../core/lifecycle/pod-liveness.js";
import {
  isThirdPartyController,
  topController,
  type TopController,
} from "../core/selection/top-controller.js";
import {
  describeSelectionError,
  selectPools,
  type NicPlan,
  type PoolView,
} from "../core/selection/pool-selection.js";
import type { MasterFacts } from "../core/selection/master-subnet.js";
import { parseRoutesAnnotation } from "../core/selection/pool-annotations.js";
import { importState, poolFactsOf } from "../core/lifecycle/allocation-import.js";
import { claimName } from "../schemas/ip-claim.js";
import type { IpamAddArgs, IpamAddResponse } from "../schemas/agent-api.js";
import type { IPAllocationDetail } from "../schemas/endpoint.js";
import type { SpiderpoolConfig } from "../schemas/config.js";
import { hasSubnetAnnotation } from "../core/selection/subnet-annotations.js";
import { AgentError } from "./agent-error.js";
import { AutoPools } from "./auto-pools.js";
import { sameAddresses } from "./same-addresses.js";
import { StatefulSetAddresses } from "./statefulset-addresses.js";
import { addressValue, type Claim, type ClusterView, type Pool } from "./cluster-view.js";
import type { AgentMetrics } from "./metrics.js";
import type { OwnerCache } from "./owner-cache.js";
import type { SandboxRecords } from "./sandbox-records.js";
import type { Logger } from "../logger.js";

/** Upper bound of the pick window: listing the lowest free addresses costs time linear in it. */
const MAX_PICK_WINDOW = 4096;
/** Remembered CREATEs of unknown outcome; far more than one agent has ADDs in flight. */
const MAX_UNCERTAIN = 4096;
/**
 * After a 409, how long to wait for the winner's claim to reach our watch before reading it with
 * a GET: the watch delivers it to every agent anyway (docs/concepts/scale.md#api-requests-per-add).
 */
const LOST_RACE_WATCH_MS = 1000;
/** Pause after a lost claim race: anywhere up to 10 ms, 20 ms, … 200 ms (full jitter). */
const CONFLICT_PAUSE: BackoffPolicy = { baseMs: 10, maxMs: 200, jitter: 1 };

export interface AllocatorDeps {
  api: KubeApi;
  view: ClusterView;
  owners: OwnerCache;
  config: SpiderpoolConfig;
  metrics: AgentMetrics;
  log: Logger;
  agentNamespace: string;
  clusterNetwork?: string;
  /** The NIC's master and its addresses, for `match_master_subnet` (lib/agent/master-interface.ts). */
  readMaster?: (source: { master?: string; deviceID?: string }) => Promise<MasterFacts>;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * CNI ADD for one NIC of a Pod on this node. Writes per ADD: one claim CREATE per address, one
 * SpiderEndpoint write; no LIST (docs/adr/0002-address-claims.md). Every step is idempotent: a repeated ADD finds the
 * claims it made (by Pod UID and NIC) and returns the same addresses.
 */
export class Allocator {
  readonly #autoPools: AutoPools;
  readonly #sts: StatefulSetAddresses;
  /**
   * Addresses whose CREATE ended without an answer (`uid/nic/family` → pool and address): it may
   * have committed, so the next ADD for that NIC tries the same address first instead of picking
   * another one while our own claim may already exist (docs/adr/0002-address-claims.md).
   */
  readonly #uncertain = new Map<string, { pool: string; value: bigint }>();
  /** The agent's record of the sandboxes it served; set once loaded (absent in specs that do not need it). */
  records: SandboxRecords | undefined;

  constructor(private readonly d: AllocatorDeps) {
    this.#autoPools = new AutoPools(d.api, d.view, d.log);
    this.#sts = new StatefulSetAddresses(d.api, d.view, {
      enableIPConflictDetection: d.config.enableIPConflictDetection,
      enableGatewayDetection: d.config.enableGatewayDetection,
    });
  }

  /**
   * The attachment is recorded before anything is claimed and its addresses after
   * (lib/agent/sandbox-records.ts): while its namespace exists, a Pod deleted meanwhile keeps the
   * addresses this ADD hands out (docs/adr/0008-sandbox-confirmation.md).
   */
  async add(args: IpamAddArgs): Promise<IpamAddResponse> {
    const pod = await this.#pod(args);
    const records = this.records;
    if (!records) return this.#allocate(args, pod);
    await records.begin(args).catch((e: Error) => {
      throw new AgentError("internal", e.message);
    });
    const r = await this.#allocate(args, pod);
    const mine = r.ips.filter(i => i.nic === args.ifName).map(i => i.address.split("/")[0] ?? "");
    await records.complete(args.containerID, args.ifName, mine).catch((e: Error) => {
      throw new AgentError("internal", e.message);
    });
    return r;
  }

  async #allocate(args: IpamAddArgs, pod: Pod): Promise<IpamAddResponse> {
    const { view, config } = this.d;
    // A pool that just came to serve this node is listed before anything is picked from it.
    await view.claimsInScope();
    const top = topController(pod, await this.d.owners.lookup(pod));
    const flags = {
      enableIPConflictDetection: config.enableIPConflictDetection,
      enableGatewayDetection: config.enableGatewayDetection,
    };
    const uid = pod.metadata.uid ?? "";
    const isSts = config.enableStatefulSet && top.kind === "StatefulSet" && top.group === "apps";

    let carried: IPAllocationDetail[] = [];
    if (isSts) {
      const kept = await this.#sts.retrieve(pod, top, args, reusable =>
        this.#plan(pod, top, args, reusable).catch((e: unknown) => {
          if (e instanceof AgentError) return undefined;
          throw e;
        }),
      );
      if (kept.response) return kept.response;
      carried = kept.carried;
    } else if (view.claimsOfUid(uid).some(c => c.spec.interface === args.ifName)) {
      // Only then can a recorded answer exist: the endpoint is written after the claims, and is
      // not trusted without them. A first ADD skips this read.
      const ep = await getEndpoint(this.d.api, pod.metadata.namespace!, pod.metadata.name);
      const cur = ep?.status?.current;
      if (cur && cur.uid === uid && cur.ips.some(d => d.interface === args.ifName)) {
        const mine = view.claimsOfUid(uid);
        // The endpoint is only trusted while the claims behind it still exist.
        const backed = cur.ips.every(d =>
          sameAddresses(
            [d.ipv4, d.ipv6],
            mine.filter(c => c.spec.interface === d.interface).map(c => c.spec.address),
          ),
        );
        if (backed) return resultFromDetails(cur.ips, flags);
      }
    }

    // Spiderpool reads the routes annotation first (docs/reference/allocation.md#add): a bad one must fail before anything is claimed.
    const routes = parseRoutesAnnotation(pod.metadata.annotations ?? {});
    if (!routes.ok) throw new AgentError("invalid_request", routes.error.message);
    // An auto pool that looked big enough to selection can still run out under our feet: an
    // agent on another node won the last free address while its workload scales up. The watcher
    // grows the pool in a moment, so within the wait budget that is a reason to wait and plan
    // again, as when selection itself finds the pool full (docs/reference/auto-pools.md#the-agents-side).
    const waitMs = config.agent.waitSubnetPoolSeconds * 1000;
    // One budget for the whole ADD: planning again after a wait does not start a new one.
    const waitUntil = this.#waitDeadline();
    let plans: NicPlan[];
    let grants: Grant[];
    for (;;) {
      plans = await this.#plan(pod, top, args, [], waitUntil);
      grants = [];
      const failures: string[] = [];
      await Promise.all(
        plans.flatMap(plan =>
          plan.families.map(async fc => {
            try {
              grants.push(await this.#allocateFamily(pod, plan, fc.family, fc.pools, args, isSts));
            } catch (e) {
              failures.push(e instanceof Error ? e.message : String(e));
            }
          }),
        ),
      );
      if (!failures.length) break;
      const usedOut = failures.some(f => f.includes("all IP addresses used out"));
      if (
        usedOut &&
        Date.now() < waitUntil &&
        hasSubnetAnnotation(pod.metadata.annotations ?? {})
      ) {
        this.d.metrics.autoPoolWaits.inc();
        this.d.log.info("auto pool ran out while allocating; waiting for it to grow", {
          pod: key(pod),
          failures,
        });
        await (this.d.sleep?.(waitMs) ?? this.#autoPools.changed(waitMs));
        continue;
      }
      // Addresses won for the other NICs/families stay claimed for this Pod UID, so the
      // runtime's retry reuses them instead of draining the pools (Spiderpool's failure cache).
      const code = usedOut
        ? "ip_used_out"
        : failures.some(f => f.includes("exhaust all retries"))
          ? "retries_exhausted"
          : "no_available_pool";
      throw new AgentError(
        code,
        `failed to allocate IP addresses in standard mode: ${failures.join("; ")}`,
      );
    }
    grants.sort((a, b) => order(plans, a) - order(plans, b));

    const result = buildAllocationResult(grants, routes.value, flags);
    if (result.droppedRoutes.length)
      this.d.log.warn("custom routes match no allocated subnet; dropped", {
        pod: key(pod),
        routes: result.droppedRoutes,
      });
    await upsertEndpoint(this.d.api, {
      namespace: pod.metadata.namespace!,
      name: pod.metadata.name,
      podUid: uid,
      node: view.nodeName,
      // A StatefulSet Pod's other NICs keep their recorded details under the new Pod UID.
      details: [
        ...carried.filter(d => !result.details.some(n => n.interface === d.interface)),
        ...result.details,
      ],
      ownerControllerType: top.kind,
      ownerControllerName: top.name,
      ownerPod: isSts ? undefined : { name: pod.metadata.name, uid },
    });
    return { ips: result.ips, routes: result.routes };
  }

  /** The Pod, checked: it exists, is bound to this node, is the incarnation the runtime means, and is alive. */
  async #pod(args: IpamAddArgs): Promise<Pod> {
    const pod = await this.d.view.pod(args.podNamespace, args.podName, args.podUID || undefined);
    const ref = `${args.podNamespace}/${args.podName}`;
    if (!pod) throw new AgentError("pod_not_found", `failed to get Pod ${ref}: not found`);
    if (pod.spec.nodeName !== this.d.view.nodeName) {
      throw new AgentError(
        "pod_not_on_node",
        `Pod ${ref} is bound to node ${JSON.stringify(pod.spec.nodeName ?? "")}, this agent serves ${this.d.view.nodeName}`,
      );
    }
    if (args.podUID && pod.metadata.uid !== args.podUID) {
      throw new AgentError(
        "pod_not_found",
        `Pod ${ref} has UID ${pod.metadata.uid}, the runtime asked for ${args.podUID}`,
      );
    }
    if (!isAlive(pod))
      throw new AgentError("dead_pod", `dead Pod ${ref}, we cannot allocate IP addresees to it`);
    return pod;
  }

  /** Until when an ADD may wait for an auto pool to appear or grow (`waitSubnetPool*`). */
  #waitDeadline(): number {
    const { agent } = this.d.config;
    return Date.now() + agent.waitSubnetPoolMaxRetries * agent.waitSubnetPoolSeconds * 1000;
  }

  /**
   * Pool selection. When the source is a subnet, waits until `deadline` (the wait budget of docs/reference/auto-pools.md#the-agents-side) for
   * the watcher's auto pool to exist and fit, or makes a third-party controller's pool itself.
   */
  async #plan(
    pod: Pod,
    top: TopController,
    args: IpamAddArgs,
    reusable: string[] = [],
    deadline = this.#waitDeadline(),
  ): Promise<NicPlan[]> {
    const { view, config } = this.d;
    const waitMs = config.agent.waitSubnetPoolSeconds * 1000;
    const thirdParty = isThirdPartyController(top);
    // Read once per ADD: the master's addresses do not change while auto pools are awaited.
    const master =
      args.matchMasterSubnet === true && this.d.readMaster
        ? await this.d.readMaster({ master: args.master, deviceID: args.deviceID })
        : undefined;
    for (;;) {
      const waiting = Date.now() < deadline;
      const ns = view.namespaces.get(pod.metadata.namespace!);
      const node = view.nodes.get(view.nodeName);
      const r = selectPools({
        pod: {
          namespace: pod.metadata.namespace!,
          name: pod.metadata.name,
          uid: pod.metadata.uid ?? "",
          labels: pod.metadata.labels ?? {},
          annotations: pod.metadata.annotations ?? {},
          nodeName: view.nodeName,
        },
        top,
        namespace: {
          name: pod.metadata.namespace!,
          labels: ns?.metadata.labels ?? {},
          annotations: ns?.metadata.annotations ?? {},
        },
        node: { name: view.nodeName, labels: node?.metadata.labels ?? {} },
        ifName: args.ifName,
        netconf: {
          defaultIPv4IPPool: args.defaultIPv4IPPool,
          defaultIPv6IPPool: args.defaultIPv6IPPool,
          cleanGateway: args.cleanGateway,
        },
        pools: view.pools.list().map(p => this.#poolView(p, pod.metadata.uid ?? "")),
        reusablePools: [
          ...new Set([
            ...reusable,
            ...view.claimsOfUid(pod.metadata.uid ?? "").map(c => c.spec.pool),
          ]),
        ],
        config: {
          enableIPv4: config.enableIPv4,
          enableIPv6: config.enableIPv6,
          enableSpiderSubnet: config.enableSpiderSubnet,
          enableAutoPoolForApplication: config.enableAutoPoolForApplication,
        },
        agentNamespace: this.d.agentNamespace,
        clusterNetwork: this.d.clusterNetwork,
        ...(master === undefined ? {} : { master }),
        // A third-party pool is sized by this agent, so its size is checked; past the budget any size is used.
        ...(thirdParty && waiting ? { autoPool: { replicas: 0 } } : {}),
      });
      if (r.ok) {
        if (thirdParty) await this.#autoPools.adoptThirdParty(pod, top, r.value);
        return r.value;
      }
      if (waiting && this.#autoPools.shouldWait(r.error, pod)) {
        this.d.metrics.autoPoolWaits.inc();
        if (r.error.code === "auto_pool_not_ready" && r.error.thirdParty)
          await this.#autoPools.ensureThirdParty(pod, top, r.error);
        else await (this.d.sleep?.(waitMs) ?? this.#autoPools.wait(pod, r.error, waitMs));
        continue;
      }
      const code = r.error.code === "invalid_annotation" ? "invalid_request" : "no_available_pool";
      const text = describeSelectionError(r.error);
      throw new AgentError(text.includes("all IP addresses used out") ? "ip_used_out" : code, text);
    }
  }

  /** A pool as selection sees it; its counts are computed only if selection asks (most pools are filtered out first). */
  #poolView(p: Pool, uid: string): PoolView {
    const view = this.d.view;
    let counts: { total: bigint; free: bigint } | undefined;
    const count = () => {
      if (!counts) {
        const allocatable = view.allocatable(p);
        counts = {
          total: allocatable.size(),
          free: allocatable.subtract(view.taken(p, uid)).size(),
        };
      }
      return counts;
    };
    return {
      name: p.metadata.name,
      spec: p.spec,
      labels: p.metadata.labels ?? {},
      terminating: !!p.metadata.deletionTimestamp,
      get free() {
        return count().free;
      },
      get total() {
        return count().total;
      },
      get used() {
        return count().total - count().free;
      },
    };
  }

  /** One address of one family for one NIC: reuse this Pod's claim if any, else claim a new one. */
  async #allocateFamily(
    pod: Pod,
    plan: NicPlan,
    family: IpFamily,
    pools: string[],
    args: IpamAddArgs,
    isSts: boolean,
  ): Promise<Grant> {
    const { view, config, metrics } = this.d;
    const uid = pod.metadata.uid ?? "";
    const mine = view
      .claimsOfUid(uid)
      .find(
        c =>
          c.spec.interface === plan.nic &&
          c.spec.ipVersion === family &&
          pools.includes(c.spec.pool),
      );
    if (mine) return this.#grant(mine, plan);
    const reasons: string[] = [];
    const uncertainKey = `${uid}/${plan.nic}/${family}`;
    const earlier = this.#uncertain.get(uncertainKey);
    if (earlier && pools.includes(earlier.pool)) {
      const settled = await this.#claim(
        pod,
        plan,
        family,
        earlier.pool,
        earlier.value,
        args,
        isSts,
        true,
      );
      if (settled !== "taken") return settled;
    }
    for (const name of pools) {
      const pool = view.pools.get(name);
      if (!pool) continue;
      // Spiderpool's Pods hold addresses of this pool that are not claims yet: handing any out
      // before the watcher imports them could give one twice. The next pool in order is tried;
      // with none left the ADD fails and the runtime retries it (docs/usage/migrate-from-spiderpool.md).
      const imported = importState(
        poolFactsOf(pool),
        v => view.claims.get(claimName(family, v)) !== undefined,
      );
      if (imported.state === "awaiting_import") {
        reasons.push(`pool ${name}: not usable until the watcher imports it: ${imported.reason}`);
        continue;
      }
      for (let attempt = 0; attempt < config.agent.claimAttemptsPerPool; attempt++) {
        // The window the pick hashes into grows with this agent's unsettled picks in the pool
        // (its CREATEs in flight and races it just lost): other agents are probably as busy, and
        // their picks, not yet in our watch, land among the same lowest free addresses. Each lost
        // race doubles it again, so retries under a storm spread out instead of meeting.
        const busy = view.pendingCount(name);
        const window = Math.min(
          MAX_PICK_WINDOW,
          config.agent.addressWindow * (1 + busy) * 2 ** Math.min(attempt, 6),
        );
        // The lane spreads agents of different nodes over the window; its width is the base
        // window, so each lane has about one address in it per pick this agent has unsettled.
        const value = pickAddress(
          view.allocatable(pool),
          view.taken(pool),
          `${uid}/${plan.nic}/${family}`,
          window,
          view.recentlyFreed(name),
          laneOf(`${view.nodeName}/${name}`, config.agent.addressWindow),
        );
        if (value === undefined) {
          reasons.push(`pool ${name}: all IP addresses used out`);
          break;
        }
        const claim = await this.#claim(pod, plan, family, name, value, args, isSts);
        if (claim === "taken") {
          metrics.conflicts.inc();
          // Another agent got there first, so our view lags theirs: a short jittered pause lets
          // the watch bring their claims in before the next pick, instead of colliding again on
          // the last free addresses of a nearly full pool.
          await new Promise(r =>
            setTimeout(r, backoffDelay(CONFLICT_PAUSE, attempt + 1, Math.random)),
          );
          if (attempt === config.agent.claimAttemptsPerPool - 1)
            reasons.push(
              `pool ${name}: exhaust all retries (${config.agent.claimAttemptsPerPool} times), failed to allocate IP from IPPool ${name}`,
            );
          continue;
        }
        return claim;
      }
    }
    throw new AgentError(
      "no_available_pool",
      `failed to allocate any IPv${family} IP address to NIC ${plan.nic} from IPPools [${pools.join(" ")}]: ${reasons.join("; ")}`,
    );
  }

  /**
   * One CREATE of `value` for this NIC, settled: the grant when the claim is ours (created now, or
   * an earlier CREATE of ours that committed while its reply was lost), "taken" when someone
   * else's. An outcome that stays unknown is remembered and rethrown: the ADD fails, and its
   * retry tries this address first.
   */
  async #claim(
    pod: Pod,
    plan: NicPlan,
    family: IpFamily,
    pool: string,
    value: bigint,
    args: IpamAddArgs,
    isSts: boolean,
    /** Repeating a CREATE of unknown outcome: a 409 is then likely ours, read at once. */
    settling = false,
  ): Promise<Grant | "taken"> {
    const { view, api } = this.d;
    const uid = pod.metadata.uid ?? "";
    const uncertainKey = `${uid}/${plan.nic}/${family}`;
    // Held locally while the CREATE is in flight: the other ADDs this agent serves meanwhile
    // (up to a hundred in a storm) must not pick the same address and lose the race to us.
    view.markPending(pool, value);
    let outcome: Awaited<ReturnType<typeof claimAddress>>;
    try {
      outcome = await claimAddress(
        api,
        {
          address: formatAddress(value, family),
          ipVersion: family,
          pool,
          podNamespace: pod.metadata.namespace!,
          podName: pod.metadata.name,
          podUID: uid,
          interface: plan.nic,
          node: view.nodeName,
          containerID: args.containerID,
          ...(args.networkName ? { network: args.networkName } : {}),
          ...(isSts ? { static: true } : {}),
        },
        value,
        {
          sleep: this.d.sleep,
          ...(settling ? {} : { watched: name => view.awaitClaim(name, LOST_RACE_WATCH_MS) }),
        },
      );
    } catch (e) {
      view.clearPending(pool, value);
      if (e instanceof K8sError && e.retryable) {
        this.#uncertain.set(uncertainKey, { pool, value });
        // Pods that never come back would keep their entry: the oldest go first past a bound.
        if (this.#uncertain.size > MAX_UNCERTAIN)
          this.#uncertain.delete(this.#uncertain.keys().next().value!);
      }
      throw e;
    }
    this.#uncertain.delete(uncertainKey);
    if (outcome === "taken") return "taken";
    if (outcome.adopted) {
      this.d.log.info("adopted our own claim: an earlier CREATE committed but its reply was lost", {
        pod: key(pod),
        podUID: uid,
        interface: plan.nic,
        address: outcome.claim.spec.address,
        claim: outcome.claim.metadata.name,
      });
    }
    view.noteClaim(outcome.claim);
    return this.#grant(outcome.claim, plan);
  }

  #grant(c: Claim, plan: NicPlan): Grant {
    const pool = this.d.view.pools.get(c.spec.pool);
    return {
      nic: plan.nic,
      family: c.spec.ipVersion,
      address: c.spec.address,
      pool: {
        name: c.spec.pool,
        subnet: pool?.spec.subnet ?? "",
        gateway: pool?.spec.gateway,
        routes: pool?.spec.routes,
      },
      cleanGateway: plan.cleanGateway,
    };
  }
}

function order(plans: NicPlan[], g: Grant): number {
  return plans.findIndex(p => p.nic === g.nic) * 10 + g.family;
}

function key(pod: Pod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

export type { OwnerReference };
export { addressValue };
