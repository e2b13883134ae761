/**
 * Priority-1 candidate source (docs/reference/allocation.md#pool-sources, docs/reference/auto-pools.md#the-agents-side): a Pod annotated with `ipam.spidernet.io/subnet(s)`
 * gets the auto-created pool of its workload, found in the cache by its owner labels. The core
 * never creates or waits: a missing pool is the retryable `auto_pool_not_ready`, carrying what
 * the agent needs to wait for it or, for a third-party controller, to create it.
 */
import type { IpFamily } from "../net/address.js";
import type { PoolView } from "./pool-view.js";
import { err, ok, type Result } from "../base/result.js";
import type { SelectionError } from "./selection-errors.js";
import type { CandidateNic, SelectionInput } from "./selection-input.js";
import {
  ANNO_SUBNET,
  ANNO_SUBNETS,
  LABEL_IPPOOL_INTERFACE,
  LABEL_IPPOOL_IP_VERSION,
  LABEL_IPPOOL_RECLAIM,
  LABEL_OWNER_APPLICATION_GV,
  LABEL_OWNER_APPLICATION_KIND,
  LABEL_OWNER_APPLICATION_NAME,
  LABEL_OWNER_APPLICATION_NAMESPACE,
  LABEL_OWNER_APPLICATION_UID,
  LABEL_OWNER_SPIDER_SUBNET,
} from "../base/well-known-names.js";
import {
  hasSubnetAnnotation,
  parseSubnetAnnotations,
  type SubnetItem,
} from "./subnet-annotations.js";
import {
  apiVersionOf,
  isOrphan,
  isThirdPartyController,
  type TopController,
} from "./top-controller.js";

const SUBNET_PREFIX = "failed to get IPPool candidates from Subnet: ";

/**
 * The labels identifying the auto pool of (`subnet`, workload, NIC, family). Built-in workloads
 * are matched with their UID; third-party ones without it, so that a retained pool
 * (`ippool-reclaim: false`) of a same-name predecessor can be adopted.
 */
export function autoPoolLabels(
  subnet: string,
  top: TopController,
  nic: string,
  family: IpFamily,
  withUid: boolean,
): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL_OWNER_SPIDER_SUBNET]: subnet,
    [LABEL_OWNER_APPLICATION_GV]: top.group === "" ? top.version : `${top.group}_${top.version}`,
    [LABEL_OWNER_APPLICATION_KIND]: top.kind,
    [LABEL_OWNER_APPLICATION_NAMESPACE]: top.namespace,
    [LABEL_OWNER_APPLICATION_NAME]: top.name,
    [LABEL_IPPOOL_INTERFACE]: nic,
    [LABEL_IPPOOL_IP_VERSION]: `IPv${family}`,
  };
  if (withUid) labels[LABEL_OWNER_APPLICATION_UID] = top.uid;
  return labels;
}

/**
 * The current NIC's auto pools, or `undefined` when the source does not apply (subnet feature
 * off, or no subnet annotation). Errors carry Spiderpool's `failed to get IPPool candidates from Subnet: ` prefix.
 */
export function subnetCandidates(
  input: SelectionInput,
): Result<CandidateNic | undefined, SelectionError> {
  const { config, pod, top } = input;
  if (!config.enableSpiderSubnet) return ok(undefined);
  if (!config.enableAutoPoolForApplication) {
    if (!hasSubnetAnnotation(pod.annotations)) return ok(undefined);
    const message = `it's invalid to use '${ANNO_SUBNETS}' or '${ANNO_SUBNET}' annotation when Auto-Pool feature is disabled`;
    return err({ code: "auto_pool_disabled", message });
  }
  const parsed = parseSubnetAnnotations(pod.annotations);
  if (!parsed.ok) return err({ ...parsed.error, message: SUBNET_PREFIX + parsed.error.message });
  const request = parsed.value;
  if (request === undefined) return ok(undefined);
  if (isOrphan(top))
    return err({
      code: "orphan_pod",
      message: `${SUBNET_PREFIX}SpiderSubnet feature doesn't support no-controller pod`,
    });

  // `subnets` picks the item of this NIC; the single `subnet` form serves whatever NIC asks.
  const none: SubnetItem = { interface: "", ipv4: [], ipv6: [] };
  const item =
    request.multiple.length > 0
      ? (request.multiple.find(i => i.interface === input.ifName) ?? none)
      : (request.single ?? none);
  const thirdParty = isThirdPartyController(top);
  if (thirdParty && request.ipNumber === undefined) {
    const controller = `${top.kind}/${top.namespace}/${top.name}`;
    return err({
      code: "auto_pool_ip_number_required",
      message: `${SUBNET_PREFIX}${controller} only supports fixed auto-created IPPool IP Number`,
      controller,
    });
  }
  let desired: number | undefined;
  if (input.autoPool !== undefined) {
    const number = request.ipNumber;
    desired =
      thirdParty || (number !== undefined && !number.flexible)
        ? (number?.count ?? 0)
        : input.autoPool.replicas + (number?.count ?? 0);
  }

  const families: CandidateNic["families"] = [];
  const wanted = [
    [4, item.ipv4[0], config.enableIPv4],
    [6, item.ipv6[0], config.enableIPv6],
  ] as const;
  for (const [family, subnet, enabled] of wanted) {
    if (!enabled || subnet === undefined) continue;
    const found = findAutoPool({
      pools: input.pools,
      subnet,
      top,
      nic: input.ifName,
      family,
      thirdParty,
      reclaim: request.reclaim,
      desired,
    });
    if (!found.ok) return found;
    families.push({ family, names: [found.value.name] });
  }
  return ok({
    nic: input.ifName,
    cleanGateway: input.netconf.cleanGateway ?? false,
    source: "subnet",
    mode: "single",
    families,
  });
}

interface AutoPoolQuery {
  readonly pools: readonly PoolView[];
  readonly subnet: string;
  readonly top: TopController;
  readonly nic: string;
  readonly family: IpFamily;
  readonly thirdParty: boolean;
  readonly reclaim: boolean;
  readonly desired: number | undefined;
}

/**
 * Built-in workloads: exactly one pool with all labels, UID included (several is an error).
 * Third-party workloads: the first pool with the labels except UID, skipping reclaimable pools of
 * another UID (a predecessor being deleted).
 */
function findAutoPool(query: AutoPoolQuery): Result<PoolView, SelectionError> {
  const { top, subnet, family, nic, thirdParty } = query;
  const matchLabels = autoPoolLabels(subnet, top, nic, family, !thirdParty);
  const matching = query.pools.filter(pool =>
    Object.entries(matchLabels).every(([k, v]) => pool.labels[k] === v),
  );
  const shown = goMap(matchLabels);
  const notReady = (message: string, found?: PoolView): Result<never, SelectionError> =>
    err({
      code: "auto_pool_not_ready",
      message: SUBNET_PREFIX + message,
      subnet,
      family,
      nic,
      matchLabels,
      thirdParty,
      reclaim: query.reclaim,
      ...(query.desired === undefined ? {} : { desiredIPNumber: query.desired }),
      ...(found === undefined ? {} : { pool: found.name, poolSize: found.total }),
    });

  let pool: PoolView | undefined;
  if (thirdParty) {
    pool = matching.find(
      p =>
        !(
          p.labels[LABEL_IPPOOL_RECLAIM] === "true" &&
          p.labels[LABEL_OWNER_APPLICATION_UID] !== top.uid
        ),
    );
    if (pool === undefined)
      return notReady(
        `no matching third-party controller auto-created IPPool candidate with matchLables '${shown}'`,
      );
  } else {
    if (matching.length > 1) {
      const pools = matching.map(p => p.name);
      const message =
        `${SUBNET_PREFIX}it's invalid for '${top.kind}/${top.namespace}/${top.name}' corresponding SpiderSubnet '${subnet}' ` +
        `owns multiple matchLables '${shown}' corresponding IPPools '[${pools.join(" ")}]' for one specify application`;
      return err({ code: "multiple_auto_pools", message, subnet, pools, matchLabels });
    }
    pool = matching[0];
    if (pool === undefined)
      return notReady(`no matching auto-created IPPool candidate with matchLables '${shown}'`);
  }
  if (query.desired !== undefined && pool.total !== BigInt(query.desired)) {
    return notReady(
      `auto-created IPPool ${pool.name} of ${apiVersionOf(top)} ${top.kind} ${top.namespace}/${top.name} has ${pool.total} IPs, desired ${query.desired}`,
      pool,
    );
  }
  return ok(pool);
}

/** Go's `%v` of a `map[string]string`: `map[k1:v1 k2:v2]`, keys sorted. */
function goMap(map: Readonly<Record<string, string>>): string {
  const keys = Object.keys(map).sort();
  return `map[${keys.map(k => `${k}:${map[k] ?? ""}`).join(" ")}]`;
}
