/**
 * What a workload's Pod-template annotations ask of the subnet controller (docs/reference/annotations.md#pod-annotations,
 * docs/reference/auto-pools.md): one auto pool per NIC and family, each with its subnet, name and size. Every subnet is
 * checked before anything is created, so bad input leaves nothing half-made.
 */
import type { IpFamily } from "../net/address.js";
import { autoPoolName } from "./auto-pool-naming.js";
import { err, ok, type Result } from "../base/result.js";
import type { SelectionError } from "../selection/selection-errors.js";
import {
  parseSubnetAnnotations,
  type PoolIPNumber,
  type SubnetItem,
} from "../selection/subnet-annotations.js";
import { autoPoolLabels } from "../selection/subnet-source.js";
import type { TopController } from "../selection/top-controller.js";
import { ANNO_IPPOOL_IP_NUMBER, ANNO_SUBNET, ANNO_SUBNETS } from "../base/well-known-names.js";

/** A SpiderSubnet as far as the request needs it. */
export interface SubnetFacts {
  readonly name: string;
  /** `spec.ipVersion`, or inferred from `spec.subnet`; undefined when neither tells. */
  readonly family: IpFamily | undefined;
  /** `spec.subnet`. */
  readonly cidr: string;
  readonly terminating: boolean;
}

export interface AutoPoolRequestConfig {
  readonly enableIPv4: boolean;
  readonly enableIPv6: boolean;
  /** `clusterSubnetAutoPoolDefaultRedundantIPNumber`: the `+N` used when the annotation is absent. */
  readonly defaultFlexibleIPNumber: number;
}

/** One pool the workload needs. */
export interface AutoPoolTarget {
  readonly subnet: string;
  readonly subnetCidr: string;
  readonly family: IpFamily;
  readonly nic: string;
  /** Name for a new pool; a retained pool found by `lookupLabels` keeps its own name. */
  readonly poolName: string;
  /** Labels that find this pool whatever the workload's UID (a retained pool is adopted). */
  readonly lookupLabels: Readonly<Record<string, string>>;
  readonly desired: number;
  /** Value of the pool annotation `ipam.spidernet.io/ippool-ip-number`: `N` or `+N`. */
  readonly ipNumber: string;
  readonly reclaim: boolean;
}

/** Why a workload's annotations cannot be served; `retry` says whether waiting may help. */
export type AutoPoolInputError =
  | {
      readonly code: "invalid_annotation";
      readonly annotation: string;
      readonly message: string;
      readonly retry: false;
    }
  | {
      readonly code: "subnet_not_found";
      readonly annotation: string;
      readonly subnet: string;
      readonly message: string;
      readonly retry: true;
    }
  | {
      readonly code: "subnet_family_mismatch";
      readonly annotation: string;
      readonly subnet: string;
      readonly message: string;
      readonly retry: false;
    }
  | {
      readonly code: "subnet_terminating";
      readonly annotation: string;
      readonly subnet: string;
      readonly message: string;
      readonly retry: true;
    };

/**
 * The pools a workload's template asks for, or `undefined` when it carries no subnet annotation.
 * Sizes: `N` → N; `+N` → replicas + N; absent → replicas + the cluster default.
 */
export function autoPoolTargets(
  top: TopController,
  annotations: Readonly<Record<string, string>>,
  replicas: number,
  subnets: ReadonlyMap<string, SubnetFacts>,
  config: AutoPoolRequestConfig,
): Result<AutoPoolTarget[] | undefined, AutoPoolInputError> {
  const parsed = parseSubnetAnnotations(annotations);
  if (!parsed.ok) return err(namedAnnotationError(parsed.error));
  if (parsed.value === undefined) return ok(undefined);
  const request = parsed.value;
  const annotation = annotations[ANNO_SUBNETS] !== undefined ? ANNO_SUBNETS : ANNO_SUBNET;
  const items: SubnetItem[] =
    request.multiple.length > 0 ? request.multiple : request.single ? [request.single] : [];
  const desired = desiredPoolSize(replicas, request.ipNumber, config.defaultFlexibleIPNumber);
  const ipNumber = ipNumberText(request.ipNumber, config.defaultFlexibleIPNumber);

  const targets: AutoPoolTarget[] = [];
  for (const item of items) {
    const wanted = [
      [4, item.ipv4[0], config.enableIPv4],
      [6, item.ipv6[0], config.enableIPv6],
    ] as const;
    for (const [family, name, enabled] of wanted) {
      if (!enabled || name === undefined) continue;
      const subnet = subnets.get(name);
      const where = `ipv${family} of interface ${item.interface}`;
      if (subnet === undefined) {
        return err({
          code: "subnet_not_found",
          annotation,
          subnet: name,
          message: `annotation ${annotation}: SpiderSubnet '${name}' (${where}) not found`,
          retry: true,
        });
      }
      if (subnet.family !== family) {
        const is = subnet.family === undefined ? "of unknown family" : `IPv${subnet.family}`;
        return err({
          code: "subnet_family_mismatch",
          annotation,
          subnet: name,
          message: `annotation ${annotation}: SpiderSubnet '${name}' is ${is} (${subnet.cidr}) but is listed as ${where}`,
          retry: false,
        });
      }
      if (subnet.terminating) {
        return err({
          code: "subnet_terminating",
          annotation,
          subnet: name,
          message: `annotation ${annotation}: SpiderSubnet '${name}' is terminating, we can't reconcile an auto-created IPPool from it`,
          retry: true,
        });
      }
      targets.push({
        subnet: name,
        subnetCidr: subnet.cidr,
        family,
        nic: item.interface,
        poolName: autoPoolName(family, top.name, item.interface, top.uid),
        lookupLabels: autoPoolLabels(name, top, item.interface, family, false),
        desired,
        ipNumber,
        reclaim: request.reclaim,
      });
    }
  }
  return ok(targets);
}

/**
 * A parse failure as the controller reports it: the text names the annotation. One source of the
 * text for the controller's Warning Event and the workload admission check (docs/usage/subnet-auto-pool.md).
 */
export function namedAnnotationError(
  e: SelectionError,
): Extract<AutoPoolInputError, { code: "invalid_annotation" }> {
  const annotation = e.code === "invalid_annotation" ? e.annotation : ANNO_SUBNET;
  const message = e.message.includes(annotation)
    ? e.message
    : `annotation ${annotation}: ${e.message}`;
  return { code: "invalid_annotation", annotation, message, retry: false };
}

/** docs/reference/auto-pools.md#size: `N` fixed, `+N` on top of replicas, absent = replicas + the default flexible number. */
export function desiredPoolSize(
  replicas: number,
  ipNumber: PoolIPNumber | undefined,
  defaultFlexible: number,
): number {
  if (ipNumber === undefined) return replicas + defaultFlexible;
  return ipNumber.flexible ? replicas + ipNumber.count : ipNumber.count;
}

/** What the pool annotation records: the request as given, or `+<default>` when absent. */
export function ipNumberText(ipNumber: PoolIPNumber | undefined, defaultFlexible: number): string {
  if (ipNumber === undefined) return `+${defaultFlexible}`;
  return ipNumber.flexible ? `+${ipNumber.count}` : String(ipNumber.count);
}

export { ANNO_IPPOOL_IP_NUMBER };
