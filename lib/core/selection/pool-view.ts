/**
 * What pool selection knows about one SpiderIPPool: its name, spec, labels and deletion state
 * from the agent's cache, plus address counts the caller derives from `spec` and `status`.
 */
import type { IPPoolSpec } from "../../schemas/index.js";
import { LABEL_OWNER_APPLICATION_NAME } from "../base/well-known-names.js";

/**
 * The spec fields selection reads. Everything is optional so that objects that skipped API
 * defaulting are still accepted; an unset `disable` means enabled, an unset `ipVersion` makes the
 * pool unusable (`nil ippool ipVersion`).
 */
export type PoolSpecView = Readonly<Partial<IPPoolSpec>>;

/** One pool as seen by selection. */
export interface PoolView {
  readonly name: string;
  readonly spec: PoolSpecView;
  readonly labels: Readonly<Record<string, string>>;
  /** `metadata.deletionTimestamp` is set. */
  readonly terminating: boolean;
  /** Usable addresses not yet claimed and not reserved; 0n means exhausted. */
  readonly free: bigint;
  /** Usable addresses: `ips` minus `excludeIPs` (`status.totalIPCount`). */
  readonly total: bigint;
  /** Addresses with an allocation record (`status.allocatedIPCount`). */
  readonly used: bigint;
}

/**
 * Whether the subnet controller (or the agent, for third-party workloads) created the pool for an
 * application: only such pools carry `ipam.spidernet.io/owner-application-name`.
 */
export function isAutoCreatedPool(pool: Pick<PoolView, "labels">): boolean {
  return Object.hasOwn(pool.labels, LABEL_OWNER_APPLICATION_NAME);
}
