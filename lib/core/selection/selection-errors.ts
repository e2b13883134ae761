/**
 * Why pool selection refused a CNI ADD, as typed values with a literal `code`. `message` is the
 * user-facing text: Spiderpool's wording first (so tools grepping `no IPPool available`,
 * `all IP addresses used out`, `wrong input` keep working), then our detail.
 */
import type { IpFamily } from "../net/address.js";
import type { SkippedPool } from "./pool-filter.js";
import {
  ANNO_NS_DEFAULT_V4_POOL,
  ANNO_NS_DEFAULT_V6_POOL,
  ANNO_POD_IPPOOL,
  ANNO_POD_IPPOOLS,
  ANNO_SUBNET,
} from "../base/well-known-names.js";

/** Where the candidates of a NIC came from (docs/reference/allocation.md#pool-sources), highest priority first. */
export type PoolSource =
  | "subnet"
  | "ippools"
  | "ippool"
  | "namespace"
  | "netconf"
  | "cluster-default";

/** Every way selection can fail. */
export type SelectionError =
  /** A JSON annotation that does not decode, or breaks Spiderpool's rules for it. */
  | {
      readonly code: "invalid_annotation";
      readonly message: string;
      readonly owner: "Pod" | "Namespace";
      readonly annotation: string;
    }
  /** `subnet`/`subnets` annotation while `enableAutoPoolForApplication` is off. */
  | { readonly code: "auto_pool_disabled"; readonly message: string }
  /** `subnet`/`subnets` annotation on a Pod without a controller. */
  | { readonly code: "orphan_pod"; readonly message: string }
  /** Third-party controller without `ippool-ip-number`. */
  | {
      readonly code: "auto_pool_ip_number_required";
      readonly message: string;
      readonly controller: string;
    }
  /**
   * The auto pool of the workload is not in the cache yet, or (when sizing facts were given) has
   * not reached its size. Retryable: the agent waits (docs/reference/auto-pools.md#the-agents-side) or, for a third-party controller,
   * creates / scales the pool itself (docs/reference/auto-pools.md#the-agents-side) with the labels and size carried here.
   */
  | {
      readonly code: "auto_pool_not_ready";
      readonly message: string;
      readonly subnet: string;
      readonly family: IpFamily;
      readonly nic: string;
      /** The labels the pool must carry; the lookup key. */
      readonly matchLabels: Readonly<Record<string, string>>;
      readonly thirdParty: boolean;
      readonly reclaim: boolean;
      /** Desired usable size, when known (docs/reference/auto-pools.md#size). */
      readonly desiredIPNumber?: number;
      /** The pool found with the wrong size, if any. */
      readonly pool?: string;
      readonly poolSize?: bigint;
    }
  | {
      readonly code: "multiple_auto_pools";
      readonly message: string;
      readonly subnet: string;
      readonly pools: readonly string[];
      readonly matchLabels: Readonly<Record<string, string>>;
    }
  /** A malformed glob in a pool list (docs/reference/allocation.md#wildcards). */
  | {
      readonly code: "invalid_wildcard";
      readonly message: string;
      readonly pattern: string;
      readonly family: IpFamily;
    }
  | {
      readonly code: "duplicate_pool";
      readonly message: string;
      readonly pool: string;
      readonly nic: string;
    }
  | {
      readonly code: "pool_not_found";
      readonly message: string;
      readonly pool: string;
      readonly nic: string;
    }
  /** No source applies and no pool has `spec.default: true`. */
  | { readonly code: "no_pool_rules"; readonly message: string }
  /** The chosen source names no pool of an enabled family for a NIC. */
  | {
      readonly code: "no_family_candidates";
      readonly message: string;
      readonly nic: string;
      readonly source: PoolSource;
    }
  /** Every candidate of one NIC and family was filtered out; `skipped` says why, pool by pool. */
  | {
      readonly code: "all_pools_filtered";
      readonly message: string;
      readonly nic: string;
      readonly family: IpFamily;
      readonly original: readonly string[];
      readonly skipped: readonly SkippedPool[];
      /** Every pool was skipped only because it has no free address. */
      readonly exhausted: boolean;
    };

/** Every `code` a {@link SelectionError} can carry. */
export type SelectionErrorCode = SelectionError["code"];

/** The text to show the user (Pod event, CNI error message). */
export function describeSelectionError(error: SelectionError): string {
  return error.message;
}

/** An annotation problem; `message` is the complete text. */
export function invalidAnnotation(
  owner: "Pod" | "Namespace",
  annotation: string,
  message: string,
): SelectionError {
  return { code: "invalid_annotation", message, owner, annotation };
}

/** `wrong input, duplicate IPPool <p> specified for NIC <nic>`. */
export function duplicatePool(pool: string, nic: string): SelectionError {
  return {
    code: "duplicate_pool",
    message: `wrong input, duplicate IPPool ${pool} specified for NIC ${nic}`,
    pool,
    nic,
  };
}

/** `failed to get original IPPool <p>: not found`. */
export function poolNotFound(pool: string, nic: string): SelectionError {
  return {
    code: "pool_not_found",
    message: `failed to get original IPPool ${pool}: not found`,
    pool,
    nic,
  };
}

/** `no IPPool available, no pool selection rules of any type are specified`. */
export function noPoolRules(): SelectionError {
  return {
    code: "no_pool_rules",
    message: "no IPPool available, no pool selection rules of any type are specified",
  };
}

/**
 * `no IPPool available, no IPPool of an enabled IP family specified for NIC <nic> by <source>`.
 * Spiderpool lets such a NIC through and fails later, in the plugin, with
 * `no Interface <nic> IP allocation found`; failing here says why.
 */
export function noFamilyCandidates(nic: string, source: PoolSource): SelectionError {
  const from = SOURCE_TEXT[source];
  return {
    code: "no_family_candidates",
    message: `no IPPool available, no IPPool of an enabled IP family specified for NIC ${nic} by ${from}`,
    nic,
    source,
  };
}

/**
 * Spiderpool's `no IPPool available, all IPv4 IPPools [a b] of eth0 filtered out: ` followed by
 * every pool's reason, `[pool a: <reason>; pool b: <reason>]`. When every pool was skipped only
 * for exhaustion, `all IP addresses used out: ` precedes the list, Spiderpool's text for that case.
 */
export function allPoolsFiltered(
  nic: string,
  family: IpFamily,
  original: readonly string[],
  skipped: readonly SkippedPool[],
): SelectionError {
  const exhausted = skipped.length > 0 && skipped.every(s => s.rule === "exhausted");
  const reasons = `[${skipped.map(s => `pool ${s.pool}: ${s.reason}`).join("; ")}]`;
  const message =
    `no IPPool available, all IPv${family} IPPools [${original.join(" ")}] of ${nic} filtered out: ` +
    `${exhausted ? "all IP addresses used out: " : ""}${reasons}`;
  return {
    code: "all_pools_filtered",
    message,
    nic,
    family,
    original: [...original],
    skipped: [...skipped],
    exhausted,
  };
}

const SOURCE_TEXT: Readonly<Record<PoolSource, string>> = {
  subnet: `Pod annotation '${ANNO_SUBNET}(s)'`,
  ippools: `Pod annotation '${ANNO_POD_IPPOOLS}'`,
  ippool: `Pod annotation '${ANNO_POD_IPPOOL}'`,
  namespace: `Namespace annotations '${ANNO_NS_DEFAULT_V4_POOL}'/'${ANNO_NS_DEFAULT_V6_POOL}'`,
  netconf: "CNI network configuration 'default_ipv4_ippool'/'default_ipv6_ippool'",
  "cluster-default": "cluster default IPPools",
};
