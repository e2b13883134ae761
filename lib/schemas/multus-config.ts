/**
 * SpiderMultusConfig (namespaced, short name `smc`, no status): a Multus
 * NetworkAttachmentDefinition described by its CNI type and a few fields, from which the watcher
 * writes the NAD of the same name (docs/usage/multus-config.md). Field names, enums, bounds and
 * CRD defaults are Spiderpool's, so its manifests apply unchanged.
 */
import { z } from "zod";
import { SPIDERPOOL_CATEGORY } from "./api-group.js";
import type { CrdNames } from "./crd.js";
import { CoordinatorSpecSchema } from "./coordinator.js";
import { objectRootShape } from "./shared-fields.js";
import { SPIDERPOOL_GROUP, SPIDERPOOL_VERSION } from "../core/base/well-known-names.js";

/** Every `cniType` Spiderpool knows, in its order. */
export const MULTUS_CNI_TYPES = [
  "macvlan",
  "ipvlan",
  "vlan",
  "sriov",
  "ovs",
  "ib-sriov",
  "ipoib",
  "custom",
] as const;
export type MultusCniType = (typeof MULTUS_CNI_TYPES)[number];

const int32 = () => z.int().min(-2147483648).max(2147483647).meta({ format: "int32" });
const vlanId = () =>
  z.int().min(0).max(4094).meta({ format: "int32", description: "VLAN ID, 0 (none) to 4094." });
const mtu = () =>
  z
    .int()
    .min(0)
    .max(2147483647)
    .meta({ format: "int32", description: "MTU; 0 leaves it to the kernel." });

/** `ippools`: the default pools written into the NAD's `spiderpool` IPAM section. */
export const SpiderpoolPoolsSchema = z
  .strictObject({
    matchMasterSubnet: z
      .boolean()
      .meta({ description: "Only for sriov: pools must match the master's subnet." })
      .optional(),
    ipv4: z.array(z.string()).meta({ description: "IPv4 pools (default_ipv4_ippool)." }).optional(),
    ipv6: z.array(z.string()).meta({ description: "IPv6 pools (default_ipv6_ippool)." }).optional(),
  })
  .meta({ description: "Default pools of the NIC this network attaches." });
export type SpiderpoolPools = z.infer<typeof SpiderpoolPoolsSchema>;

export const BondConfigSchema = z.strictObject({
  name: z.string().meta({ description: "Name of the bond made of the masters." }),
  mode: z.int().min(0).max(6).meta({ format: "int32", description: "Bonding mode, 0 to 6." }),
  options: z.string().meta({ description: "Bonding options." }).optional(),
});
export type BondConfig = z.infer<typeof BondConfigSchema>;

const masterList = () =>
  z.array(z.string()).meta({
    description:
      "Host interface(s) the NICs hang off; two or more are bonded (then `bond` is required).",
  });

/** `macvlan` and `ipvlan` (same shape). */
export const VlanFamilyConfigSchema = z.strictObject({
  master: masterList(),
  mtu: mtu().default(0),
  vlanID: vlanId().optional(),
  bond: BondConfigSchema.optional(),
  rdmaResourceName: z.string().optional(),
  ippools: SpiderpoolPoolsSchema.optional(),
});
export type VlanFamilyConfig = z.infer<typeof VlanFamilyConfigSchema>;

export const VlanConfigSchema = z.strictObject({
  master: masterList(),
  mtu: mtu().default(0),
  vlanMode: z.enum(["manual", "auto"]).default("manual"),
  vlanID: vlanId().optional(),
  bond: BondConfigSchema.optional(),
  rdmaResourceName: z.string().optional(),
  ippools: SpiderpoolPoolsSchema.optional(),
});
export type VlanConfig = z.infer<typeof VlanConfigSchema>;

export const SriovConfigSchema = z.strictObject({
  resourceName: z.string().meta({ description: "Device-plugin resource of the VFs." }).optional(),
  vlanID: vlanId().optional(),
  mtu: mtu().default(0),
  minTxRateMbps: z.int().min(0).optional(),
  maxTxRateMbps: z.int().min(0).optional(),
  rdmaIsolation: z.boolean().default(false),
  ippools: SpiderpoolPoolsSchema.optional(),
});
export type SriovConfig = z.infer<typeof SriovConfigSchema>;

export const IbSriovConfigSchema = z.strictObject({
  resourceName: z.string().optional(),
  pkey: z.string().optional(),
  linkState: z.enum(["auto", "enable", "disable"]).default("enable"),
  rdmaIsolation: z.boolean().default(true),
  enableIbKubernetes: z.boolean().default(false),
  ippools: SpiderpoolPoolsSchema.optional(),
});
export type IbSriovConfig = z.infer<typeof IbSriovConfigSchema>;

export const IpoibConfigSchema = z.strictObject({
  master: z.string().optional(),
  ippools: SpiderpoolPoolsSchema.optional(),
});
export type IpoibConfig = z.infer<typeof IpoibConfigSchema>;

const trunkId = () => z.int().min(0).max(4094);
export const TrunkSchema = z.strictObject({
  minID: trunkId().optional(),
  maxID: trunkId().optional(),
  id: trunkId().optional(),
});

export const OvsConfigSchema = z.strictObject({
  bridge: z.string().meta({ description: "OVS bridge." }),
  vlan: int32().optional(),
  trunk: z.array(TrunkSchema).optional(),
  deviceID: z.string().meta({ description: "PCI address of a VF (hardware offload)." }).optional(),
  ippools: SpiderpoolPoolsSchema.optional(),
});
export type OvsConfig = z.infer<typeof OvsConfigSchema>;

export const MultusConfigSpecSchema = z
  .strictObject({
    cniType: z
      .enum(MULTUS_CNI_TYPES)
      .default("custom")
      .meta({ description: "Which main plugin the NAD runs; only its block may be set." }),
    macvlan: VlanFamilyConfigSchema.optional(),
    ipvlan: VlanFamilyConfigSchema.optional(),
    vlan: VlanConfigSchema.optional(),
    sriov: SriovConfigSchema.optional(),
    ovs: OvsConfigSchema.optional(),
    ibsriov: IbSriovConfigSchema.optional(),
    ipoib: IpoibConfigSchema.optional(),
    enableCoordinator: z
      .boolean()
      .default(true)
      .meta({ description: "Chain the coordinator plugin after the main one (not for custom)." }),
    disableIPAM: z
      .boolean()
      .default(false)
      .meta({ description: "Leave the spiderpool IPAM section out of the main plugin." }),
    coordinator: CoordinatorSpecSchema.optional(),
    chainCNIJsonData: z
      .array(z.string())
      .meta({ description: "Further plugin configs (JSON each), chained after the main one." })
      .optional(),
    customCNI: z
      .string()
      .meta({ description: "For cniType custom: the NAD's CNI config, verbatim (JSON)." })
      .optional(),
  })
  .meta({ description: "What the generated NetworkAttachmentDefinition configures." });
export type MultusConfigSpec = z.infer<typeof MultusConfigSpecSchema>;
export type MultusConfigSpecInput = z.input<typeof MultusConfigSpecSchema>;

export const SpiderMultusConfigSchema = z
  .strictObject({
    ...objectRootShape,
    spec: MultusConfigSpecSchema.optional(),
  })
  .meta({
    description:
      "SpiderMultusConfig describes a Multus NetworkAttachmentDefinition, which the watcher writes and owns.",
  });
export type SpiderMultusConfig = z.infer<typeof SpiderMultusConfigSchema>;

export const SpiderMultusConfigCrdNames: CrdNames = {
  group: SPIDERPOOL_GROUP,
  version: SPIDERPOOL_VERSION,
  kind: "SpiderMultusConfig",
  plural: "spidermultusconfigs",
  shortNames: ["smc"],
  categories: [SPIDERPOOL_CATEGORY],
  scope: "Namespaced",
  statusSubresource: false,
  printerColumns: [],
};
