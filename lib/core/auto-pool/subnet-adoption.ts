/**
 * A SpiderSubnet taking over the pools of its CIDR that existed before it
 * (docs/usage/subnet-adoption.md): which pools it adopts and what changes on each.
 */
import type { ObjectMeta, OwnerReference } from "../../schemas/index.js";
import { cidrsEqual } from "../net/cidr.js";
import { describeStored } from "../net/stored-objects.js";
import { controllerOf, withControllerReference } from "../compat/controller-reference.js";
import { LABEL_OWNER_SPIDER_SUBNET, SPIDERPOOL_API_VERSION } from "../base/well-known-names.js";

interface Route {
  readonly dst: string;
  readonly gw: string;
}

/** The parts of a subnet adoption reads. */
export interface AdoptingSubnet {
  /** A subnet without a uid is not stored yet and owns nothing. */
  readonly metadata: { readonly name: string; readonly uid?: string };
  readonly spec: {
    readonly ipVersion?: unknown;
    readonly subnet: string;
    readonly gateway?: string | null;
    readonly routes?: readonly Route[] | null;
  };
}

/** The parts of a pool adoption reads. */
export interface AdoptablePool {
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly ipVersion?: unknown;
    readonly subnet: string;
    readonly gateway?: string | null;
    readonly routes?: readonly Route[] | null;
  };
}

/** What to write on an adopted pool: its whole new `ownerReferences` and labels, and inherited fields. */
export interface AdoptionChange {
  readonly ownerReferences: OwnerReference[];
  readonly labels: Record<string, string>;
  readonly gateway?: string;
  readonly routes?: Route[];
}

export type AdoptionDecision =
  | { readonly kind: "unrelated" }
  | { readonly kind: "adopted" }
  | { readonly kind: "adopt"; readonly change: AdoptionChange }
  /** Another object is the pool's controller: an object has at most one, so it is left alone. */
  | { readonly kind: "controlled_elsewhere"; readonly controller: string };

/**
 * Spiderpool's subnet reconciler, step "adopt": every pool whose `spec.subnet` is the subnet's
 * CIDR (compared as networks, so `10.6.0.0/16` and `10.6.0.0/016` are one) gets the subnet as
 * its controller reference and the `ipam.spidernet.io/owner-spider-subnet` label, and inherits
 * the subnet's gateway and routes where it has none. Whether the pool's addresses lie inside the
 * subnet's `ips` is not looked at here: admission refused the subnet when an existing pool of its
 * CIDR held addresses it cannot control, and the accounting counts only the intersection.
 */
export function decideAdoption(subnet: AdoptingSubnet, pool: AdoptablePool): AdoptionDecision {
  const mine = describeStored(subnet);
  const theirs = describeStored(pool);
  const { name, uid } = subnet.metadata;
  if (
    uid === undefined ||
    mine?.cidr === undefined ||
    theirs?.cidr === undefined ||
    mine.family !== theirs.family ||
    !cidrsEqual(mine.cidr, theirs.cidr)
  )
    return { kind: "unrelated" };
  const labels = pool.metadata.labels ?? {};
  const controller = controllerOf(pool.metadata);
  if (controller?.uid === uid && labels[LABEL_OWNER_SPIDER_SUBNET] === name)
    return { kind: "adopted" };
  const owned = withControllerReference(pool.metadata, {
    apiVersion: SPIDERPOOL_API_VERSION,
    kind: "SpiderSubnet",
    name,
    uid,
  });
  if (owned === undefined)
    return {
      kind: "controlled_elsewhere",
      controller: `${controller?.kind ?? "?"} ${controller?.name ?? "?"}`,
    };
  return {
    kind: "adopt",
    change: {
      ownerReferences: [...(owned.ownerReferences ?? [])],
      labels: { ...labels, [LABEL_OWNER_SPIDER_SUBNET]: name },
      ...inheritSubnetProperties(subnet.spec, pool.spec),
    },
  };
}

/**
 * Spiderpool's `InheritSubnetProperties`: the subnet's gateway when the pool has none, its routes
 * when the pool's are absent (an explicit `[]` is the pool's own choice and stays).
 */
export function inheritSubnetProperties(
  subnet: AdoptingSubnet["spec"],
  pool: AdoptablePool["spec"],
): { gateway?: string; routes?: Route[] } {
  const out: { gateway?: string; routes?: Route[] } = {};
  if (subnet.gateway != null && pool.gateway == null) out.gateway = subnet.gateway;
  const routes = subnet.routes ?? [];
  if (routes.length > 0 && pool.routes == null) out.routes = routes.map(r => ({ ...r }));
  return out;
}
