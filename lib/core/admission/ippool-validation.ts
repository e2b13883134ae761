/**
 * The validating webhook of SpiderIPPool (docs/reference/admission.md#spiderippool) as pure functions over plain data: the
 * caller supplies the other pools, the controlling subnet and the addresses in use.
 *
 * Where Spiderpool stops at the first failing group, every problem is reported. Rules that
 * depend on the pool's usable set (overlap with peers, in-use, controlling subnet) run only when
 * every `ips`/`excludeIPs` entry is valid, because a set built from a broken list would produce
 * misleading errors (Spiderpool never reaches them in that case either).
 */
import type { IpFamily } from "../net/address.js";
import type {
  AdmissionConfig,
  InUseAddress,
  IPPoolObject,
  OwnerSubnet,
} from "./admission-objects.js";
import {
  ALLOWED,
  denyAlreadyExists,
  denyDeletion,
  denyTerminating,
  verdictOf,
  type AdmissionVerdict,
} from "./admission-verdict.js";
import { parseCidr, parseCidrLenient, type Cidr } from "../net/cidr.js";
import { forbidden, invalidValue, type FieldError } from "./field-error.js";
import { checkGateway, checkRoutes } from "./gateway-route-rules.js";
import { checkPoolInUse } from "./in-use-rules.js";
import { checkIpVersion, checkIpVersionUnchanged } from "./ip-version-rules.js";
import { checkOwnerSubnet } from "./owner-subnet-rules.js";
import { checkPodAffinity } from "./pod-affinity-rules.js";
import {
  checkPoolCidrAgainstPeers,
  checkPoolRangesAgainstPeers,
  type PoolIdentity,
} from "./pool-peer-rules.js";
import { checkEntriesDisjoint, checkPoolEntries } from "./range-entry-rules.js";
import { IMPORTED_ANNOTATION, SPIDERPOOL_FINALIZER } from "../base/well-known-names.js";
import { IntervalSet } from "../net/interval-set.js";
import { lazyStoredRanges } from "../net/stored-objects.js";

/** Inputs of a CREATE. `peers` are the other pools of the cluster (all families). */
export interface IPPoolCreateInput {
  readonly pool: IPPoolObject;
  readonly peers: readonly IPPoolObject[];
  /** The subnet named by the pool's controller owner reference, when there is one. */
  readonly ownerSubnet?: OwnerSubnet;
  readonly config: AdmissionConfig;
}

/** Inputs of an UPDATE: the create inputs, the stored object and the addresses in use. */
export interface IPPoolUpdateInput extends IPPoolCreateInput {
  readonly oldPool: IPPoolObject;
  readonly inUse: readonly InUseAddress[];
}

/** Inputs of a DELETE. `inUse`, when given, counts too (our ledger may be ahead of the status). */
export interface IPPoolDeleteInput {
  readonly pool: IPPoolObject;
  readonly inUse?: readonly InUseAddress[];
  readonly config: AdmissionConfig;
}

const MISSING_VERSION = "is not generated correctly, 'spec.subnet' may be invalid";

/**
 * CREATE: ipVersion, canonical CIDR, CIDR overlap with other pools, then the spec rules. A name
 * already used by a same-family pool is a 409, but only once ipVersion and CIDR are valid (as
 * in Spiderpool, where those are checked first).
 */
export function validateIPPoolCreate(input: IPPoolCreateInput): AdmissionVerdict {
  const { pool, config } = input;
  const name = pool.metadata?.name ?? "";
  const errors: FieldError[] = [];
  const version = checkIpVersion(pool.spec.ipVersion, config, MISSING_VERSION);
  errors.push(...version.errors);
  const family = version.family;
  let cidr: Cidr | undefined;
  if (family !== undefined) {
    const parsed = parseCidr(pool.spec.subnet, family);
    if (parsed.ok) cidr = parsed.value;
    else
      errors.push(
        invalidValue(parsed.error.code, "spec.subnet", pool.spec.subnet, parsed.error.message),
      );
  }
  if (family !== undefined && cidr !== undefined) {
    const identity: PoolIdentity = { name, family, cidr, subnetText: pool.spec.subnet };
    const peers = checkPoolCidrAgainstPeers(identity, input.peers);
    if (peers.nameTaken && errors.length === 0) return denyAlreadyExists("SpiderIPPool", name);
    errors.push(...peers.errors);
  }
  errors.push(...checkSpec(input, family, cidr));
  return verdictOf("SpiderIPPool", name, errors);
}

/**
 * UPDATE: a terminating pool may only lose its finalizer (403 `cannot update a terminating
 * IPPool` otherwise); ipVersion and subnet are immutable; then the spec rules (the CIDR must
 * parse but need not be canonical, so that legacy objects stay editable), in-use protection and
 * the controlling subnet. CIDR overlap with other pools is not re-checked.
 */
export function validateIPPoolUpdate(input: IPPoolUpdateInput): AdmissionVerdict {
  const { pool, oldPool, config } = input;
  const name = pool.metadata?.name ?? "";
  if (pool.metadata?.deletionTimestamp != null) {
    return pool.metadata.finalizers?.includes(SPIDERPOOL_FINALIZER) === true &&
      !onlyImportMarkAdded(oldPool, pool)
      ? denyTerminating("cannot update a terminating IPPool")
      : ALLOWED;
  }
  const errors: FieldError[] = [
    ...checkIpVersionUnchanged(oldPool.spec.ipVersion, pool.spec.ipVersion),
  ];
  if (pool.spec.subnet !== oldPool.spec.subnet) {
    errors.push(forbidden("subnet_changed", "spec.subnet", "is not changeable", pool.spec.subnet));
  }
  const version = checkIpVersion(pool.spec.ipVersion, config, MISSING_VERSION);
  errors.push(...version.errors);
  const family = version.family;
  let cidr: Cidr | undefined;
  if (family !== undefined) {
    const parsed = parseCidrLenient(pool.spec.subnet, family);
    if (parsed.ok) cidr = parsed.value.cidr;
    else
      errors.push(
        invalidValue(parsed.error.code, "spec.subnet", pool.spec.subnet, parsed.error.message),
      );
  }
  errors.push(...checkSpec(input, family, cidr, input.inUse));
  return verdictOf("SpiderIPPool", name, errors);
}

/**
 * DELETE: only with `enableValidatingResourcesDeletedWebhook`, a pool with allocations is
 * refused: 403 `spiderippools.spiderpool.spidernet.io "<name>" is forbidden: cannot delete an
 * IPPool with allocated IPs(<n>)`, n being the larger of `status.allocatedIPCount` and `inUse`.
 */
export function validateIPPoolDelete(input: IPPoolDeleteInput): AdmissionVerdict {
  if (!input.config.enableValidatingResourcesDeletedWebhook) return ALLOWED;
  const count = Math.max(input.pool.status?.allocatedIPCount ?? 0, input.inUse?.length ?? 0);
  if (count <= 0) return ALLOWED;
  const name = input.pool.metadata?.name ?? "";
  return denyDeletion(
    "spiderippools",
    name,
    `cannot delete an IPPool with allocated IPs(${count})`,
  );
}

/**
 * The spec rules of docs/reference/admission.md#spiderippool (ranges, gateway, routes, podAffinity, controlling subnet), plus in-use protection when `inUse` is given (UPDATE).
 * Family-dependent rules are skipped without a family; subnet-dependent ones without a CIDR.
 */
function checkSpec(
  input: IPPoolCreateInput,
  family: IpFamily | undefined,
  cidr: Cidr | undefined,
  inUse?: readonly InUseAddress[],
): FieldError[] {
  const { pool, config } = input;
  const { spec } = pool;
  const errors: FieldError[] = [];
  if (family !== undefined && cidr !== undefined) {
    const ips = checkPoolEntries("spec.ips", spec.ips ?? [], cidr, spec.subnet);
    const excludeIPs = checkPoolEntries(
      "spec.excludeIPs",
      spec.excludeIPs ?? [],
      cidr,
      spec.subnet,
    );
    errors.push(
      ...ips.errors,
      ...checkEntriesDisjoint(ips.entries, spec.subnet),
      ...excludeIPs.errors,
    );
    const setDependent: FieldError[] = [];
    if (ips.errors.length === 0 && excludeIPs.errors.length === 0) {
      const usable = IntervalSet.of(family, ips.entries).subtract(
        IntervalSet.of(family, excludeIPs.entries),
      );
      const mine = lazyStoredRanges(cidr, spec.ips, spec.excludeIPs, usable);
      const identity: PoolIdentity = {
        name: pool.metadata?.name ?? "",
        family,
        cidr,
        subnetText: spec.subnet,
      };
      errors.push(...checkPoolRangesAgainstPeers(identity, mine, input.peers));
      if (inUse !== undefined) setDependent.push(...checkPoolInUse(mine.usable, inUse));
      if (config.enableSpiderSubnet)
        setDependent.push(...checkOwnerSubnet(pool, family, mine.usable, input.ownerSubnet));
    }
    errors.push(...checkGateway(spec.gateway, cidr, spec.subnet, ips.entries, excludeIPs.entries));
    errors.push(
      ...checkRoutes(spec.routes, family, cidr, spec.subnet),
      ...checkPodAffinity(pool),
      ...setDependent,
    );
    return errors;
  }
  if (family !== undefined)
    errors.push(...checkRoutes(spec.routes, family, undefined, spec.subnet));
  errors.push(...checkPodAffinity(pool));
  return errors;
}

/**
 * The watcher's migration mark added and nothing else changed (ours, not Spiderpool's rule): a
 * pool deleted before its Spiderpool records were imported must still be marked once they are
 * claims, or the watcher would keep its finalizer for good (docs/usage/migrate-from-spiderpool.md).
 */
function onlyImportMarkAdded(oldPool: IPPoolObject, pool: IPPoolObject): boolean {
  const { [IMPORTED_ANNOTATION]: mark, ...rest } = pool.metadata?.annotations ?? {};
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return (
    mark !== undefined &&
    oldPool.metadata?.annotations?.[IMPORTED_ANNOTATION] === undefined &&
    same(rest, oldPool.metadata?.annotations ?? {}) &&
    same(pool.spec, oldPool.spec) &&
    same(pool.metadata?.labels, oldPool.metadata?.labels) &&
    same(pool.metadata?.finalizers, oldPool.metadata?.finalizers) &&
    same(pool.metadata?.ownerReferences, oldPool.metadata?.ownerReferences)
  );
}
