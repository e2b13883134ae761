/**
 * The validating webhook of SpiderMultusConfig (docs/usage/multus-config.md#refused-at-admission),
 * as a pure function: Spiderpool's rules, in its order, with its texts, and like it one error at
 * a time. Two things it does not do, as Spiderpool does not: look at nodes (a `master` is a name
 * the plugin resolves on each node at ADD, so an interface missing there fails that Pod's ADD,
 * not the SMC), and judge the `coordinator` block beyond its types (its fields go to the
 * coordinator plugin, which names the ones it does not implement).
 */
import {
  ANNO_MULTUS_CNI_VERSION,
  ANNO_MULTUS_CR_NAME,
  ANNO_NETWORK_RESOURCE_INJECT,
  ANNO_RDMA_RESOURCE_INJECT,
} from "../base/well-known-names.js";
import { dns1123SubdomainErrors } from "../compat/label-syntax.js";
import { goString, goStruct, goUnmarshal } from "../compat/go-json.js";
import { SUPPORTED_CNI_VERSIONS } from "../multus/nad-config.js";
import type {
  MultusConfigSpec,
  SpiderMultusConfig,
  SpiderpoolPools,
} from "../../schemas/multus-config.js";
import { ALLOWED, verdictOf, type AdmissionVerdict } from "./admission-verdict.js";
import {
  forbidden,
  formatGoList,
  invalidValue,
  requiredValue,
  type FieldError,
  type FieldValue,
} from "./field-error.js";

/** What the caller read for the rules: the NAD the SMC would write, if one exists. */
export interface MultusConfigPeers {
  /** Owner references of the existing NAD of the target name; undefined when there is none. */
  readonly existingNadOwners?: readonly { readonly kind: string; readonly name: string }[];
}

const ANNOTATIONS = "metadata.annotations";
const CNI_TYPE = "spec.cniType";
/** Spiderpool's field paths name its Go fields, not the JSON keys: kept for the same texts. */
const PATH: Readonly<Record<string, string>> = {
  macvlan: "spec.macvlanConfig",
  ipvlan: "spec.ipvlanConfig",
  vlan: "spec.vlan",
  sriov: "spec.sriovConfig",
  "ib-sriov": "spec.ibsriovConfig",
  ipoib: "spec.ipoibConfig",
  ovs: "spec.ovsConfig",
  custom: "spec.customCniTypeConfig",
};
/** The JSON key of each type's block. */
const KEY: Readonly<Record<string, keyof MultusConfigSpec>> = {
  macvlan: "macvlan",
  ipvlan: "ipvlan",
  vlan: "vlan",
  sriov: "sriov",
  "ib-sriov": "ibsriov",
  ipoib: "ipoib",
  ovs: "ovs",
  custom: "customCNI",
};

const asValue = (v: unknown): FieldValue => JSON.parse(JSON.stringify(v ?? null)) as FieldValue;

/** CREATE (`old` undefined) and UPDATE. */
export function validateMultusConfig(
  smc: SpiderMultusConfig,
  old: SpiderMultusConfig | undefined,
  peers: MultusConfigPeers,
): AdmissionVerdict {
  const name = smc.metadata?.name ?? "";
  const error =
    (old ? nameChangeError(old, smc) : undefined) ??
    annotationError(smc, peers) ??
    cniConfigError(smc);
  return error ? verdictOf("SpiderMultusConfig", name, [error]) : ALLOWED;
}

/** UPDATE: the NAD an SMC writes keeps its name. */
function nameChangeError(old: SpiderMultusConfig, smc: SpiderMultusConfig): FieldError | undefined {
  const before = old.metadata?.annotations?.[ANNO_MULTUS_CR_NAME];
  const after = smc.metadata?.annotations?.[ANNO_MULTUS_CR_NAME];
  if (before !== undefined && after !== undefined && before !== after)
    return invalidValue(
      "nad_name_changed",
      ANNOTATIONS,
      before,
      `it's unsupported to change customized Multus net-attach-def resource name from '${before}' to '${after}'`,
    );
  if (before === undefined && after !== undefined)
    return invalidValue(
      "nad_name_changed",
      ANNOTATIONS,
      after,
      `it's unsupported to changed Multus net-attach-def '${old.metadata?.name ?? ""}' to customized name '${after}'`,
    );
  return undefined;
}

function annotationError(
  smc: SpiderMultusConfig,
  peers: MultusConfigPeers,
): FieldError | undefined {
  const annotations = smc.metadata?.annotations ?? {};
  const ns = smc.metadata?.namespace ?? "";
  const custom = annotations[ANNO_MULTUS_CR_NAME];
  if (custom !== undefined) {
    const errors = dns1123SubdomainErrors(custom);
    if (errors.length)
      return invalidValue(
        "invalid_nad_name",
        ANNOTATIONS,
        annotations,
        `invalid custom net-attach-def resource name, err: ${formatGoList(errors)}`,
      );
  }
  const nad = custom ?? smc.metadata?.name ?? "";
  const other = peers.existingNadOwners?.find(
    r => r.kind === "SpiderMultusConfig" && r.name !== smc.metadata?.name,
  );
  if (other)
    return invalidValue(
      "nad_managed_elsewhere",
      ANNOTATIONS,
      annotations,
      `the net-attach-def ${ns}/${nad} already exists and is managed by SpiderMultusConfig ${ns}/${other.name}.`,
    );
  const version = annotations[ANNO_MULTUS_CNI_VERSION];
  if (version !== undefined && !SUPPORTED_CNI_VERSIONS.includes(version))
    return invalidValue(
      "unsupported_cni_version",
      ANNOTATIONS,
      annotations,
      `unsupported CNI version ${version}`,
    );
  return undefined;
}

/** Whether a block other than the one `cniType` selects is set. */
function foreignBlock(spec: MultusConfigSpec, cniType: string): boolean {
  return Object.entries(KEY).some(([t, key]) => t !== cniType && spec[key] !== undefined);
}

function cniConfigError(smc: SpiderMultusConfig): FieldError | undefined {
  const spec = (smc.spec ?? { cniType: "custom" }) as MultusConfigSpec;
  const cniType = spec.cniType ?? "custom";
  const annotations = smc.metadata?.annotations ?? {};
  const rdma = annotations[ANNO_RDMA_RESOURCE_INJECT] !== undefined;
  const network = annotations[ANNO_NETWORK_RESOURCE_INJECT] !== undefined;
  const id = `${smc.metadata?.namespace ?? ""}/${smc.metadata?.name ?? ""}`;
  const path = PATH[cniType] ?? CNI_TYPE;
  const onlyThis = () =>
    forbidden(
      "cni_block_foreign",
      CNI_TYPE,
      `the cniType ${cniType} only supports ${path}, please remove other CNI configs`,
    );
  const required = (what = path) =>
    requiredValue("cni_block_missing", path, `no ${what} specified`);
  const injected = (
    resource: string,
    pools: SpiderpoolPools | undefined,
    block: unknown,
  ): FieldError | undefined => {
    const poolCount = (pools?.ipv4?.length ?? 0) + (pools?.ipv6?.length ?? 0);
    const noPools = `no any ippools configured for spidermultusconfig ${id}`;
    if (rdma) {
      if (!resource)
        return invalidValue(
          "rdma_resource_missing",
          path,
          asValue(block),
          `rdmaResourceName can not empty for spidermultusconfig ${id}`,
        );
      if (poolCount === 0)
        return invalidValue("inject_pools_missing", path, asValue(block), noPools);
    }
    if (network && resource && poolCount === 0)
      return invalidValue("inject_pools_missing", path, asValue(block), noPools);
    return undefined;
  };

  switch (cniType) {
    case "macvlan":
    case "ipvlan":
    case "vlan": {
      const c = cniType === "vlan" ? spec.vlan : cniType === "macvlan" ? spec.macvlan : spec.ipvlan;
      if (!c) return required();
      if (cniType === "vlan" && spec.vlan) {
        const v = spec.vlan;
        const mode = v.vlanMode as string | undefined;
        const problem =
          mode === undefined
            ? "vlanMode must not be nil"
            : mode === "manual"
              ? v.vlanID === undefined
                ? "vlanId must not be nil when vlanMode is manual"
                : undefined
              : mode === "auto"
                ? v.vlanID !== undefined
                  ? "vlanId must not be specified when vlanMode is auto"
                  : undefined
                : `invalid vlanMode ${mode}, supported values are manual and auto`;
        if (problem) return invalidValue("invalid_vlan_mode", path, asValue(c), problem);
      }
      if (c.vlanID !== undefined && (c.vlanID < 0 || c.vlanID > 4094))
        return invalidValue(
          "invalid_vlan_id",
          path,
          c.vlanID,
          `invalid vlanId ${c.vlanID}, please make sure vlanId in range [0,4094]`,
        );
      if (c.mtu !== undefined && c.mtu < 0)
        return invalidValue("invalid_mtu", path, c.mtu, "MTU must be greater than or equal to 0");
      if (c.ippools?.matchMasterSubnet)
        return invalidValue(
          "match_master_subnet_unsupported",
          path,
          asValue(c),
          `MatchMasterSubnet feature is not supported for ${cniType}`,
        );
      if (c.master.length === 0)
        return invalidValue("master_empty", path, asValue(c), "master can't be empty");
      if (c.master.length >= 2 && !c.bond)
        return invalidValue(
          "bond_missing",
          path,
          asValue(c),
          "the bond property is nil with multiple Interfaces",
        );
      if (c.master.length >= 2 && !c.bond?.name)
        return invalidValue("bond_name_empty", path, asValue(c), "bond name can't be empty");
      if (foreignBlock(spec, cniType)) return onlyThis();
      const e = injected(c.rdmaResourceName ?? "", c.ippools, c);
      if (e) return e;
      break;
    }
    case "sriov": {
      const c = spec.sriov;
      if (!c) return required();
      if (c.vlanID !== undefined && (c.vlanID < 0 || c.vlanID > 4094))
        return invalidValue(
          "invalid_vlan_id",
          path,
          c.vlanID,
          `invalid vlanId ${c.vlanID}, please make sure vlanId in range [0,4094]`,
        );
      if (c.mtu !== undefined && c.mtu < 0)
        return invalidValue("invalid_mtu", path, c.mtu, "MTU must be greater than or equal to 0");
      if (
        c.minTxRateMbps !== undefined &&
        c.maxTxRateMbps !== undefined &&
        c.minTxRateMbps > c.maxTxRateMbps
      )
        return invalidValue(
          "tx_rate_reversed",
          path,
          c.minTxRateMbps,
          "minTxRateMbps must be less than maxTxRateMbps",
        );
      if (!c.resourceName)
        return requiredValue("resource_name_missing", path, `no ${path}[resourceName] specified`);
      if (foreignBlock(spec, cniType)) return onlyThis();
      const e = injected(c.resourceName, c.ippools, c);
      if (e) return e;
      break;
    }
    case "ib-sriov": {
      const c = spec.ibsriov;
      if (!c) return required();
      if (!c.resourceName)
        return requiredValue("resource_name_missing", path, `no ${path}[resourceName] specified`);
      if (foreignBlock(spec, cniType)) return onlyThis();
      const e = injected(c.resourceName, c.ippools, c);
      if (e) return e;
      break;
    }
    case "ipoib": {
      const c = spec.ipoib;
      if (!c) return required();
      if (!c.master)
        return requiredValue("cni_block_missing", path, `no ${path}[master] specified`);
      if (foreignBlock(spec, cniType)) return onlyThis();
      const e = injected(c.master, c.ippools, c);
      if (e) return e;
      break;
    }
    case "ovs": {
      if (rdma || network)
        return forbidden(
          "resource_inject_unsupported",
          CNI_TYPE,
          `the cniType ${cniType} does not support RDMA resource or network resource injected`,
        );
      const c = spec.ovs;
      if (!c) return required();
      if (c.vlan !== undefined && (c.vlan < 0 || c.vlan > 4094))
        return invalidValue(
          "invalid_vlan_id",
          path,
          c.vlan,
          `invalid vlanId ${c.vlan}, please make sure vlanId in range [0,4094]`,
        );
      for (const t of c.trunk ?? []) {
        const bad = (detail: string) => invalidValue("invalid_trunk", path, asValue(t), detail);
        if (t.minID !== undefined && t.minID > 4094) return bad("incorrect trunk minID parameter");
        if (t.maxID !== undefined && t.maxID > 4094) return bad("incorrect trunk maxID parameter");
        if (t.maxID !== undefined && t.maxID < (t.minID ?? 0))
          return bad("minID is greater than maxID in trunk parameter");
        if (t.id !== undefined && t.id > 4096) return bad("incorrect trunk id parameter");
      }
      if (foreignBlock(spec, cniType)) return onlyThis();
      break;
    }
    case "custom": {
      if (rdma || network)
        return forbidden(
          "resource_inject_unsupported",
          CNI_TYPE,
          `the cniType ${cniType} does not support RDMA resource or network resource injected`,
        );
      if (foreignBlock(spec, cniType)) return onlyThis();
      if (spec.customCNI && !isJson(spec.customCNI))
        return forbidden("invalid_custom_cni", path, "customCniConfig isn't a valid JSON encoding");
      break;
    }
  }
  for (const text of spec.chainCNIJsonData ?? []) {
    const problem = cniConfProblem(text);
    if (problem)
      return forbidden("invalid_chain_cni", "spec.chainCNIJsonData", `invalid ${text}: ${problem}`);
  }
  return undefined;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const NetConf = goStruct("types.NetConf", {
  cniVersion: goString,
  name: goString,
  type: goString,
});

/** libcni's `ConfFromBytes`: Go's JSON decoding into a NetConf, then a non-empty `type`. */
function cniConfProblem(text: string): string | undefined {
  const conf = goUnmarshal(text, NetConf);
  if (!conf.ok) return `error parsing configuration: ${conf.error}`;
  if (!conf.value.type) return "error parsing configuration: missing 'type'";
  return undefined;
}
