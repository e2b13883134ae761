/**
 * The NetworkAttachmentDefinition a SpiderMultusConfig stands for, built the way Spiderpool's
 * controller builds it, so a NAD we write reads the same to Multus, to our plugin and to anyone
 * comparing it with Spiderpool's (docs/usage/multus-config.md#what-the-nad-contains):
 *
 * - name: annotation `multus.spidernet.io/cr-name`, else the SMC's name; same namespace;
 * - annotations: the SMC's own, plus `k8s.v1.cni.cncf.io/resourceName` for sriov, ib-sriov and
 *   offloaded ovs;
 * - config: `{"cniVersion", "name", "plugins": [ifacer?, main, rdma?, chained…, coordinator?,
 *   tuning?]}` (custom: `customCNI` verbatim, or no config at all when it is empty). Key order
 *   follows Spiderpool's Go structs, so the JSON text is byte-identical where it can be.
 */
import { err, ok, type Result } from "../base/result.js";
import {
  ANNO_CNI_CONFIG_NAME,
  ANNO_MULTUS_CNI_VERSION,
  ANNO_MULTUS_CR_NAME,
  ANNO_NAD_RESOURCE_NAME,
} from "../base/well-known-names.js";
import type {
  BondConfig,
  MultusConfigSpec,
  SpiderpoolPools,
  SpiderMultusConfig,
} from "../../schemas/multus-config.js";
import type { CoordinatorSpec } from "../../schemas/coordinator.js";

/** `cniVersion` when the SMC names none. */
export const DEFAULT_CNI_VERSION = "0.3.1";
/** The versions Spiderpool accepts in `multus.spidernet.io/cni-version`. */
export const SUPPORTED_CNI_VERSIONS: readonly string[] = ["0.3.0", "0.3.1", "0.4.0", "1.0.0"];
/** Prefix of the resource name an offloaded ovs NAD asks for. */
export const OVS_RESOURCE_PREFIX = "ovs-cni.network.kubevirt.io";

/** What the watcher writes: the NAD's identity, annotations and `spec.config` (absent: none). */
export interface NadContent {
  readonly name: string;
  readonly namespace: string;
  readonly annotations: Record<string, string>;
  readonly config?: string;
}

/** Why an SMC yields no NAD: only objects that never passed our admission get here. */
export interface NadContentError {
  readonly code: "missing_cni_block" | "invalid_custom_cni" | "invalid_chain_cni";
  readonly message: string;
}

type Plugin = Record<string, unknown>;

/** The NAD name an SMC writes: its `multus.spidernet.io/cr-name`, else its own name. */
export function nadNameOf(smc: Pick<SpiderMultusConfig, "metadata">): string {
  return smc.metadata?.annotations?.[ANNO_MULTUS_CR_NAME] ?? smc.metadata?.name ?? "";
}

/** The NAD of `smc` (defaulted as admission leaves it; missing defaults are taken as Spiderpool's). */
export function nadContentOf(smc: SpiderMultusConfig): Result<NadContent, NadContentError> {
  const name = nadNameOf(smc);
  const namespace = smc.metadata?.namespace ?? "";
  const annotations: Record<string, string> = { ...(smc.metadata?.annotations ?? {}) };
  const spec: Partial<MultusConfigSpec> = smc.spec ?? {};
  const cniType = spec.cniType ?? "custom";
  const cniVersion = annotations[ANNO_MULTUS_CNI_VERSION] ?? DEFAULT_CNI_VERSION;
  const configName = annotations[ANNO_CNI_CONFIG_NAME] || name;
  const disableIPAM = spec.disableIPAM === true;
  const missing = (block: string) =>
    err<NadContentError>({
      code: "missing_cni_block",
      message: `cniType ${cniType} needs spec.${block}`,
    });

  const chained: Plugin[] = [];
  for (const text of spec.chainCNIJsonData ?? []) {
    try {
      chained.push(JSON.parse(text) as Plugin);
    } catch (e) {
      return err({
        code: "invalid_chain_cni",
        message: `spec.chainCNIJsonData: ${JSON.stringify(text)} is not JSON: ${(e as Error).message}`,
      });
    }
  }
  // custom carries no coordinator whatever enableCoordinator says (admission forces it false).
  if (cniType !== "custom" && spec.enableCoordinator !== false)
    chained.push(coordinatorPlugin(spec.coordinator));
  const list = (plugins: Plugin[]) =>
    JSON.stringify({ cniVersion, name: configName, plugins: plugins });
  const done = (config: string | undefined) =>
    ok<NadContent>(
      config === undefined
        ? { name, namespace, annotations }
        : { name, namespace, annotations, config },
    );

  switch (cniType) {
    case "macvlan":
    case "ipvlan": {
      const c = cniType === "macvlan" ? spec.macvlan : spec.ipvlan;
      if (!c) return missing(cniType);
      const vlanID = c.vlanID ?? 0;
      const base = c.master.length === 1 ? (c.master[0] ?? "") : (c.bond?.name ?? "");
      const master = vlanID !== 0 ? `${base}.${vlanID}` : base;
      const main: Plugin =
        cniType === "macvlan"
          ? { type: "macvlan", master, mode: "bridge" }
          : { type: "ipvlan", master };
      if (c.mtu !== undefined) main.mtu = c.mtu;
      withIpam(main, disableIPAM, c.ippools, false);
      const head =
        vlanID !== 0 || c.master.length >= 2 ? [ifacerPlugin(c.master, vlanID, c.bond)] : [];
      return done(list([...head, main, ...chained]));
    }
    case "vlan": {
      const c = spec.vlan;
      if (!c) return missing("vlan");
      const master = c.master.length === 1 ? (c.master[0] ?? "") : (c.bond?.name ?? "");
      const main: Plugin = { type: "vlan", master, vlanMode: c.vlanMode };
      if (c.vlanMode === "manual" && c.vlanID !== undefined) main.vlanId = c.vlanID;
      if (c.mtu !== undefined) main.mtu = c.mtu;
      withIpam(main, disableIPAM, c.ippools, false);
      const head = c.master.length >= 2 ? [ifacerPlugin(c.master, 0, c.bond)] : [];
      return done(list([...head, main, ...chained]));
    }
    case "sriov": {
      const c = spec.sriov;
      if (!c) return missing("sriov");
      annotations[ANNO_NAD_RESOURCE_NAME] = c.resourceName ?? "";
      const main: Plugin = {};
      if (c.vlanID !== undefined) main.vlan = c.vlanID;
      if (c.minTxRateMbps !== undefined) main.min_tx_rate = c.minTxRateMbps;
      if (c.maxTxRateMbps !== undefined) main.max_tx_rate = c.maxTxRateMbps;
      main.type = "sriov";
      withIpam(main, disableIPAM, c.ippools, true);
      const rdma = c.rdmaIsolation ? [{ type: "rdma" }] : [];
      const tuning = (c.mtu ?? 0) > 0 ? [{ type: "tuning", mtu: c.mtu }] : [];
      return done(list([main, ...rdma, ...chained, ...tuning]));
    }
    case "ib-sriov": {
      const c = spec.ibsriov;
      if (!c) return missing("ibsriov");
      annotations[ANNO_NAD_RESOURCE_NAME] = c.resourceName ?? "";
      const main: Plugin = { type: "ib-sriov" };
      if (c.pkey !== undefined) main.pkey = c.pkey;
      if (c.linkState !== undefined) main.link_state = c.linkState;
      if (c.rdmaIsolation !== undefined) main.rdmaIsolation = c.rdmaIsolation;
      if (c.enableIbKubernetes !== undefined) main.ibKubernetesEnabled = c.enableIbKubernetes;
      withIpam(main, disableIPAM, c.ippools, false);
      return done(list([main, ...chained]));
    }
    case "ipoib": {
      const c = spec.ipoib;
      if (!c) return missing("ipoib");
      const main: Plugin = { type: "ipoib" };
      if (c.master) main.master = c.master;
      withIpam(main, disableIPAM, c.ippools, false);
      return done(list([main, ...chained]));
    }
    case "ovs": {
      const c = spec.ovs;
      if (!c) return missing("ovs");
      const main: Plugin = {};
      if (c.vlan !== undefined) main.vlan = c.vlan;
      main.type = "ovs";
      main.bridge = c.bridge;
      if (c.deviceID) main.deviceID = c.deviceID;
      withIpam(main, disableIPAM, c.ippools, false);
      if (c.trunk?.length)
        main.trunk = c.trunk.map(t => {
          const o: Plugin = {};
          if (t.minID !== undefined) o.minID = t.minID;
          if (t.maxID !== undefined) o.maxID = t.maxID;
          if (t.id !== undefined) o.id = t.id;
          return o;
        });
      if (c.deviceID) annotations[ANNO_NAD_RESOURCE_NAME] = `${OVS_RESOURCE_PREFIX}/${c.bridge}`;
      return done(list([main, ...chained]));
    }
    case "custom": {
      const text = spec.customCNI ?? "";
      if (!text) return done(undefined);
      try {
        JSON.parse(text);
      } catch {
        return err({
          code: "invalid_custom_cni",
          message: "customCniConfig isn't a valid JSON encoding",
        });
      }
      return done(text);
    }
  }
}

/** The `spiderpool` IPAM section, with the default pools (empty lists are left out, as Go's omitempty does). */
function withIpam(
  main: Plugin,
  disableIPAM: boolean,
  pools: SpiderpoolPools | undefined,
  matchMasterSubnet: boolean,
): void {
  if (disableIPAM) return;
  const ipam: Plugin = { type: "spiderpool" };
  if (pools?.ipv4?.length) ipam.default_ipv4_ippool = pools.ipv4;
  if (pools?.ipv6?.length) ipam.default_ipv6_ippool = pools.ipv6;
  if (matchMasterSubnet && pools?.matchMasterSubnet) ipam.match_master_subnet = true;
  main.ipam = ipam;
}

/** Spiderpool's `ifacer`: makes the bond and/or VLAN sub-interface the main plugin hangs off. */
function ifacerPlugin(
  master: readonly string[],
  vlanID: number,
  bond: BondConfig | undefined,
): Plugin {
  const p: Plugin = {};
  if (vlanID !== 0) p.vlanID = vlanID;
  p.type = "ifacer";
  if (master.length) p.interfaces = master;
  // Go's field order, whatever order the stored object has.
  if (bond)
    p.bond =
      bond.options === undefined
        ? { name: bond.name, mode: bond.mode }
        : { name: bond.name, mode: bond.mode, options: bond.options };
  return p;
}

/**
 * The chained `coordinator`. Spiderpool copies mode, routes and veth tuning from the SMC's
 * `coordinator` block (its plugin reads the rest from the cluster's SpiderCoordinator at ADD);
 * we do the same and also copy `detectIPConflict` and `detectGateway`, the two fields our
 * coordinator implements, which Spiderpool's generator leaves out (docs/usage/multus-config.md).
 */
function coordinatorPlugin(c: CoordinatorSpec | undefined): Plugin {
  const p: Plugin = {};
  if (c?.txQueueLen !== undefined) p.txQueueLen = c.txQueueLen;
  if (c?.detectIPConflict !== undefined) p.detectIPConflict = c.detectIPConflict;
  if (c?.detectGateway !== undefined) p.detectGateway = c.detectGateway;
  if (c?.vethLinkAddress) p.vethLinkAddress = c.vethLinkAddress;
  if (c?.vethMTU !== undefined) p.vethMTU = c.vethMTU;
  if (c?.tunePodRoutes !== undefined) p.tunePodRoutes = c.tunePodRoutes;
  if (c?.podMACPrefix) p.podMACPrefix = c.podMACPrefix;
  if (c?.mode) p.mode = c.mode;
  p.type = "coordinator";
  if (c?.podDefaultRouteNIC) p.podDefaultRouteNic = c.podDefaultRouteNIC;
  // Spiderpool copies podRPFilter only when podCIDRType is set; kept, so the NADs compare equal.
  if (c?.podCIDRType !== undefined && c.podRPFilter !== undefined) p.podRPFilter = c.podRPFilter;
  if (c?.hijackCIDR?.length) p.hijackCIDR = c.hijackCIDR;
  if (c?.policyRoutes?.length) p.policyRoutes = c.policyRoutes;
  return p;
}
