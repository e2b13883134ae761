/**
 * The contract of pool selection: what the agent hands in at CNI ADD and the per-NIC plan it
 * gets back. Kept apart from the algorithm so that every step can share it.
 */
import type { IpFamily } from "../net/address.js";
import type { SkippedPool } from "./pool-filter.js";
import type { PoolView } from "./pool-view.js";
import type { MasterFacts } from "./master-subnet.js";
import type { PoolSource } from "./selection-errors.js";
import type { TopController } from "./top-controller.js";

/** Everything selection reads; nothing here is fetched by the core. */
export interface SelectionInput {
  readonly pod: {
    readonly namespace: string;
    readonly name: string;
    readonly uid: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    /** `spec.nodeName`. */
    readonly nodeName: string;
  };
  /** The Pod's top controller (see top-controller.ts). */
  readonly top: TopController;
  readonly namespace: {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly node: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  /** `CNI_IFNAME` of this ADD. */
  readonly ifName: string;
  /** The `ipam` section of the CNI network configuration. */
  readonly netconf: {
    readonly defaultIPv4IPPool?: readonly string[];
    readonly defaultIPv6IPPool?: readonly string[];
    readonly cleanGateway?: boolean;
  };
  /** Every pool of the agent's cache, in cache order (wildcards and cluster defaults keep it). */
  readonly pools: readonly PoolView[];
  readonly config: {
    readonly enableIPv4: boolean;
    readonly enableIPv6: boolean;
    readonly enableSpiderSubnet: boolean;
    readonly enableAutoPoolForApplication: boolean;
  };
  /** Namespace of the agent: the namespace of bare `multusName` entries and of the default network. */
  readonly agentNamespace: string;
  /** `MULTUS_CLUSTER_NETWORK`, the `ns/name` of the default network. */
  readonly clusterNetwork?: string;
  /**
   * Pools that already hold an address of this Pod UID (a record in `status.allocatedIPs`, or an
   * address kept from a failed ADD, docs/reference/allocation.md#several-nics). Allocation reuses that address, so exhaustion does not
   * skip them: a retried ADD must not lose a pool it already got an address from (A00016).
   */
  readonly reusablePools?: readonly string[];
  /**
   * Sizing facts for the auto-pool readiness check (docs/reference/auto-pools.md#the-agents-side): with them, a found auto pool whose
   * usable size (`total`) differs from the desired size is reported `auto_pool_not_ready`.
   * Omit them to accept the pool whatever its size, as Spiderpool does after its last wait.
   */
  /**
   * The master of the NIC being added, when its netconf sets `match_master_subnet`
   * (docs/usage/match-master-subnet.md): its pools must have the master's subnet. Other NICs
   * planned in the same call are not checked (their netconf is not known yet).
   */
  readonly master?: MasterFacts;
  readonly autoPool?: {
    /** Replicas of the top controller as counted in docs/reference/auto-pools.md#workloads-and-pod-counts (ignored for third-party controllers). */
    readonly replicas: number;
  };
}

/** The candidates of one NIC and family. */
export interface FamilyCandidates {
  readonly family: IpFamily;
  /** Usable pools in try order: filtered, then sorted (docs/reference/allocation.md#order, stable). */
  readonly pools: string[];
  /** The source's list after wildcard expansion, before filtering. */
  readonly original: string[];
  /** Pools of `original` filtered out, in `original` order, with the reason. */
  readonly skipped: SkippedPool[];
}

/** How the NICs of a plan were named (docs/reference/allocation.md#several-nics). */
export type MultiNicMode = "single" | "named" | "unnamed";

/** What to allocate for one NIC. */
export interface NicPlan {
  /** NIC name; in unnamed multi-NIC mode the item index (`"0"`, `"1"`, …), as Spiderpool names them. */
  readonly nic: string;
  /** Suppress the default route via the pool gateway. */
  readonly cleanGateway: boolean;
  /** One entry per enabled family the source named, IPv4 first; may be empty for a NIC other than the current one. */
  readonly families: FamilyCandidates[];
  readonly source: PoolSource;
  /** Always set by selection; absent (plans built elsewhere) means `single`. */
  readonly mode?: MultiNicMode;
}

/** One NIC's pool names per family, as the source gives them (wildcards expanded). */
export interface CandidateNic {
  readonly nic: string;
  readonly cleanGateway: boolean;
  readonly source: PoolSource;
  readonly mode: MultiNicMode;
  /** IPv4 first; a family appears only when its list is non-empty after expansion. */
  readonly families: Array<{ readonly family: IpFamily; readonly names: string[] }>;
}
