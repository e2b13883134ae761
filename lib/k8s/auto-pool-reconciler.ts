/**
 * Spiderpool's `ReconcileAutoIPPool` (docs/reference/auto-pools.md#addresses-from-the-subnet): brings one auto pool to its desired size. Used
 * by the watcher for built-in workloads and by the agent for third-party controllers (docs/reference/auto-pools.md#the-agents-side), so
 * both follow the same order of writes:
 *
 * 1. the pool's record in the subnet's `status.controlledIPPools` (compare-and-swap on the
 *    subnet's resourceVersion; the record is what makes an address the pool's, and records never
 *    overlap);
 * 2. the pool's `spec.ips`, set to exactly that record (the pool webhook enforces the equality).
 *
 * A crash between the two leaves a record that differs from the pool; the next run sees the
 * record already at the desired size and only rewrites the pool. Nothing here caches: the
 * subnet, the pool and the pool's claims are read from the API server each run.
 */
import type { KubeApi } from "./api-client.js";
import {
  createAutoPool,
  getPool,
  poolClaimAddresses,
  updateAutoPool,
  type Pool,
} from "./auto-pool-store.js";
import { K8sError } from "./k8s-error.js";
import {
  casSubnetStatus,
  controlledPoolsOf,
  encodeControlledPools,
  getSubnet,
  type Subnet,
} from "./subnet-status-store.js";
import { parseAddress, type IpFamily } from "../core/net/address.js";
import {
  applicationKey,
  autoPoolObjectLabels,
  autoPoolPodAffinity,
} from "../core/auto-pool/auto-pool-naming.js";
import type { AutoPoolTarget } from "../core/auto-pool/auto-pool-request.js";
import { IntervalSet } from "../core/net/interval-set.js";
import { describeStored, readStoredRanges } from "../core/net/stored-objects.js";
import { preAllocate } from "../core/auto-pool/subnet-preallocation.js";
import type { TopController } from "../core/selection/top-controller.js";
import { ANNO_IPPOOL_IP_NUMBER } from "../core/base/well-known-names.js";

export interface AutoPoolJob {
  readonly target: AutoPoolTarget;
  readonly top: TopController;
  /** The pool found by the lookup labels (a retained pool keeps its own name). */
  readonly existing?: string;
  /** SpiderReservedIP addresses of the family. */
  readonly reserved: IntervalSet;
  /** Addresses other pools of the subnet hold (from a cache; belt and braces beside the records). */
  readonly occupied: IntervalSet;
}

export interface AutoPoolOutcome {
  readonly pool: string;
  readonly created: boolean;
  /** The record or the pool changed. */
  readonly changed: boolean;
  readonly size: number;
  /** Addresses above the desired size still held by Pods. */
  readonly pendingShrink: number;
  /** Addresses Pods of the pool hold that another pool's record owns. */
  readonly conflicts: string[];
  /** Milliseconds spent reading, writing the subnet record, and writing the pool. */
  readonly timings: { readMs: number; recordMs: number; poolMs: number };
}

export type AutoPoolErrorCode =
  | "subnet_not_found"
  | "subnet_terminating"
  | "subnet_unreadable"
  | "subnet_changed"
  | "pool_terminating"
  | "insufficient_subnet_ips"
  | "write_refused";

/** A failed reconcile; `retry` says whether the same input may succeed later. */
export class AutoPoolError extends Error {
  constructor(
    readonly code: AutoPoolErrorCode,
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
    this.name = "AutoPoolError";
  }
}

export async function reconcileAutoPool(api: KubeApi, job: AutoPoolJob): Promise<AutoPoolOutcome> {
  const { target, top } = job;
  const t0 = Date.now();
  let name = job.existing ?? target.poolName;
  let pool = await getPool(api, name);
  if (!pool && name !== target.poolName) {
    name = target.poolName;
    pool = await getPool(api, name);
  }
  if (pool?.metadata.deletionTimestamp) {
    throw new AutoPoolError(
      "pool_terminating",
      `auto-created IPPool ${name} is terminating; it is re-created once it is gone`,
      true,
    );
  }
  const first = await getSubnet(api, target.subnet);
  const subnetCidr = checkSubnet(first, target);
  if (pool && pool.spec.subnet !== subnetCidr) {
    throw new AutoPoolError(
      "subnet_changed",
      `it's invalid to change recoincile auto-created IPPool ${name} with different subnet SpiderSubnet ${target.subnet}`,
      false,
    );
  }
  const allocated = toSet(await poolClaimAddresses(api, name), target.family);
  const t1 = Date.now();

  let created = false;
  let changed = false;
  let record = IntervalSet.empty(target.family);
  let pendingShrink = 0;
  let conflicts: string[] = [];
  const app = applicationKey(top);
  const cas = await casSubnetStatus(api, target.subnet, s => {
    checkSubnet(s, target);
    const records = controlledPoolsOf(s);
    if (records === undefined)
      throw new AutoPoolError(
        "subnet_unreadable",
        `SpiderSubnet ${target.subnet} has an unreadable status.controlledIPPools; not touching it`,
        true,
      );
    const stored = describeStored(s);
    const usable = stored?.cidr
      ? readStoredRanges(stored.cidr, s.spec.ips, s.spec.excludeIPs).usable
      : IntervalSet.empty(target.family);
    const r = preAllocate({
      family: target.family,
      pool: name,
      subnetUsable: usable,
      records,
      reserved: job.reserved,
      occupied: job.occupied,
      allocated,
      desired: target.desired,
      partialShrink: false,
    });
    if (!r.ok)
      throw new AutoPoolError(
        r.error.code === "insufficient_subnet_ips"
          ? "insufficient_subnet_ips"
          : "subnet_unreadable",
        `SpiderSubnet ${target.subnet}: ${r.error.message}`,
        true,
      );
    record = r.value.ips;
    pendingShrink = r.value.pendingShrink;
    conflicts = r.value.conflicts.toAddressStrings();
    const ips = record.toRangeStrings();
    const old = records[name];
    if (old && old.application === app && toRanges(old.ips, target.family).equals(record))
      return undefined;
    const next = { ...records, [name]: { ips, application: app } };
    const count = Object.values(next).reduce(
      (n, rec) => n + Number(toRanges(rec.ips, target.family).size()),
      0,
    );
    return {
      ...s.status,
      controlledIPPools: encodeControlledPools(next),
      allocatedIPCount: count,
      totalIPCount: Number(usable.size()),
    };
  });
  const { subnet } = cas;
  changed = cas.written;
  const t2 = Date.now();

  const labels = autoPoolObjectLabels(
    target.subnet,
    subnetCidr,
    top,
    target.nic,
    target.family,
    target.reclaim,
  );
  const annotations = { [ANNO_IPPOOL_IP_NUMBER]: target.ipNumber };
  const ips = record.toRangeStrings();
  for (let attempt = 1; ; attempt++) {
    try {
      if (!pool) {
        pool = await createAutoPool(api, {
          name,
          labels,
          annotations,
          subnet: { name: target.subnet, uid: subnet.metadata.uid ?? "" },
          spec: {
            ipVersion: target.family,
            subnet: subnetCidr,
            ips,
            ...(subnet.spec.gateway ? { gateway: subnet.spec.gateway } : {}),
            ...(subnet.spec.routes?.length ? { routes: subnet.spec.routes } : {}),
            podAffinity: autoPoolPodAffinity(top),
          },
        });
        created = true;
        changed = true;
      } else if (poolDiffers(pool, record, labels, annotations)) {
        pool = await updateAutoPool(api, pool, { ips, labels, annotations });
        changed = true;
      }
      break;
    } catch (e) {
      if (!(e instanceof K8sError)) throw e;
      if ((e.code === "conflict" || e.code === "already_exists") && attempt < 5) {
        pool = await getPool(api, name);
        continue;
      }
      if (e.code === "invalid" || e.code === "forbidden")
        throw new AutoPoolError("write_refused", `IPPool ${name}: ${e.message}`, true);
      throw e;
    }
  }
  const timings = { readMs: t1 - t0, recordMs: t2 - t1, poolMs: Date.now() - t2 };
  return {
    pool: name,
    created,
    changed,
    size: Number(record.size()),
    pendingShrink,
    conflicts,
    timings,
  };
}

/** The subnet's CIDR, after checking the subnet exists, is live and is of the target's family. */
function checkSubnet(subnet: Subnet | undefined, target: AutoPoolTarget): string {
  if (!subnet)
    throw new AutoPoolError("subnet_not_found", `SpiderSubnet '${target.subnet}' not found`, true);
  if (subnet.metadata.deletionTimestamp) {
    throw new AutoPoolError(
      "subnet_terminating",
      `SpiderSubnet '${target.subnet}' is terminating, we can't reconcile an auto-created IPPool from it`,
      true,
    );
  }
  const stored = describeStored(subnet);
  if (stored?.family !== target.family) {
    throw new AutoPoolError(
      "subnet_changed",
      `SpiderSubnet '${target.subnet}' is not an IPv${target.family} subnet`,
      false,
    );
  }
  return subnet.spec.subnet;
}

function poolDiffers(
  pool: Pool,
  record: IntervalSet,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): boolean {
  const usable = toRanges(pool.spec.ips ?? [], record.family).subtract(
    toRanges(pool.spec.excludeIPs ?? [], record.family),
  );
  if (!usable.equals(record)) return true;
  if (Object.entries(labels).some(([k, v]) => pool.metadata.labels?.[k] !== v)) return true;
  return Object.entries(annotations).some(([k, v]) => pool.metadata.annotations?.[k] !== v);
}

function toRanges(texts: readonly string[], family: IpFamily): IntervalSet {
  const r = IntervalSet.fromRanges(texts, family);
  return r.ok ? r.value : IntervalSet.empty(family);
}

function toSet(addresses: readonly string[], family: IpFamily): IntervalSet {
  const values: bigint[] = [];
  for (const a of addresses) {
    const p = parseAddress(a, family);
    if (p.ok) values.push(p.value.value);
  }
  return IntervalSet.fromAddresses(family, values);
}
