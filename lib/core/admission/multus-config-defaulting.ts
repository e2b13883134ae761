/**
 * The defaulting (mutating) webhook of SpiderMultusConfig (docs/usage/multus-config.md#defaults),
 * as a pure function. Spiderpool fills the per-type fields its NAD generator reads, so the stored
 * object says what the NAD will carry; we fill the same ones.
 */
import {
  ANNO_NETWORK_RESOURCE_INJECT,
  ANNO_RDMA_RESOURCE_INJECT,
} from "../base/well-known-names.js";
import type { CoordinatorSpec } from "../../schemas/coordinator.js";

/** The SMC as admission sees it: loosely typed, since defaulting runs before validation. */
export interface MultusConfigObject {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

type Block = Record<string, unknown>;

const emptyPools = () => ({ ipv4: [], ipv6: [] });

/** Per-type fields Spiderpool fills, for the block `cniType` selects. */
function defaultBlock(cniType: string, block: Block): Block {
  const b: Block = { ...block };
  const fill = (key: string, value: unknown) => {
    if (b[key] === undefined) b[key] = value;
  };
  const bond = () => {
    const bond = b.bond as Block | undefined;
    if (bond && bond.options === undefined) b.bond = { ...bond, options: "" };
  };
  switch (cniType) {
    case "macvlan":
    case "ipvlan":
      fill("vlanID", 0);
      bond();
      fill("mtu", 0);
      fill("rdmaResourceName", "");
      fill("ippools", emptyPools());
      break;
    case "vlan":
      fill("vlanMode", "manual");
      if (b.vlanMode === "manual") fill("vlanID", 0);
      fill("rdmaResourceName", "");
      fill("mtu", 0);
      bond();
      fill("ippools", emptyPools());
      break;
    case "sriov": {
      fill("vlanID", 0);
      fill("mtu", 0);
      fill("minTxRateMbps", 0);
      fill("maxTxRateMbps", 0);
      fill("rdmaIsolation", false);
      fill("resourceName", "");
      const pools = b.ippools as Block | undefined;
      b.ippools =
        pools === undefined
          ? { ...emptyPools(), matchMasterSubnet: false }
          : { ...pools, matchMasterSubnet: pools.matchMasterSubnet ?? false };
      break;
    }
    case "ib-sriov":
      fill("pkey", "");
      fill("enableIbKubernetes", false);
      fill("rdmaIsolation", true);
      fill("resourceName", "");
      fill("linkState", "enable");
      fill("ippools", emptyPools());
      break;
    case "ipoib":
      fill("ippools", emptyPools());
      break;
    case "ovs":
      fill("vlan", 0);
      fill("ippools", emptyPools());
      break;
  }
  return b;
}

/** Where each type's block lives in `spec`. */
export const BLOCK_OF_TYPE: Readonly<Record<string, string>> = {
  macvlan: "macvlan",
  ipvlan: "ipvlan",
  vlan: "vlan",
  sriov: "sriov",
  ovs: "ovs",
  "ib-sriov": "ibsriov",
  ipoib: "ipoib",
};

/**
 * Spiderpool's coordinator defaults. A block the user wrote without `tunePodRoutes` gets `false`,
 * an absent block gets `true`: Spiderpool's own asymmetry, kept so stored objects compare equal.
 */
function defaultCoordinator(c: CoordinatorSpec | undefined): CoordinatorSpec {
  if (c === undefined)
    return {
      mode: "auto",
      hijackCIDR: [],
      policyRoutes: [],
      vethLinkAddress: "",
      podMACPrefix: "",
      podDefaultRouteNIC: "",
      podRPFilter: 0,
      tunePodRoutes: true,
    };
  return {
    ...c,
    mode: c.mode ?? "auto",
    hijackCIDR: c.hijackCIDR ?? [],
    policyRoutes: c.policyRoutes ?? [],
    podMACPrefix: c.podMACPrefix ?? "",
    podDefaultRouteNIC: c.podDefaultRouteNIC ?? "",
    tunePodRoutes: c.tunePodRoutes ?? false,
    txQueueLen: c.txQueueLen ?? 0,
    podRPFilter: c.podRPFilter ?? 0,
  };
}

/**
 * `cniType` → `custom` when absent; the selected block's defaults; `custom` loses the
 * coordinator (`enableCoordinator: false`, no block), every other type gets the coordinator
 * defaults; `chainCNIJsonData` → `[]`; the two resource-inject annotations are copied to labels
 * of the same key (Spiderpool's Pod webhook finds SMCs by them). An unknown `cniType` is left
 * for the CRD's enum to refuse. Returns a new object.
 */
export function defaultMultusConfig<T extends MultusConfigObject>(smc: T): T {
  const spec: Record<string, unknown> = { ...(smc.spec ?? {}) };
  if (spec.cniType === undefined || spec.cniType === null) spec.cniType = "custom";
  const cniType = String(spec.cniType);
  const key = BLOCK_OF_TYPE[cniType];
  if (key !== undefined && spec[key] && typeof spec[key] === "object")
    spec[key] = defaultBlock(cniType, spec[key] as Block);
  if (cniType === "custom" && spec.customCNI === undefined) spec.customCNI = "";
  if (cniType === "custom") {
    delete spec.coordinator;
    spec.enableCoordinator = false;
  } else {
    spec.coordinator = defaultCoordinator(spec.coordinator as CoordinatorSpec | undefined);
  }
  if (spec.chainCNIJsonData === undefined || spec.chainCNIJsonData === null)
    spec.chainCNIJsonData = [];

  let metadata = smc.metadata;
  for (const k of [ANNO_RDMA_RESOURCE_INJECT, ANNO_NETWORK_RESOURCE_INJECT]) {
    const value = metadata?.annotations?.[k];
    if (value === undefined) continue;
    metadata = { ...metadata, labels: { ...(metadata?.labels ?? {}), [k]: value } };
  }
  return { ...smc, metadata, spec };
}
