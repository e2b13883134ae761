/**
 * Names, labels and selectors of auto-created pools (docs/reference/auto-pools.md#names-and-labels), shared by the watcher
 * (built-in workloads) and the agent (third-party controllers), so both build the same object.
 */
import type { IpFamily } from "../net/address.js";
import { cidrLabelValue } from "../net/cidr.js";
import {
  LABEL_APP_API_GROUP,
  LABEL_APP_API_VERSION,
  LABEL_APP_KIND,
  LABEL_APP_NAME,
  LABEL_APP_NAMESPACE,
  LABEL_IPPOOL_CIDR,
  LABEL_IPPOOL_RECLAIM,
  LABEL_OWNER_APPLICATION_GV,
  LABEL_OWNER_APPLICATION_KIND,
  LABEL_OWNER_APPLICATION_NAME,
  LABEL_OWNER_APPLICATION_NAMESPACE,
  LABEL_OWNER_APPLICATION_UID,
} from "../base/well-known-names.js";
import { autoPoolLabels } from "../selection/subnet-source.js";
import type { TopController } from "../selection/top-controller.js";

/** Kubernetes object names are DNS subdomains: at most 253 characters. */
const MAX_NAME = 253;

/**
 * `auto<4|6>-<workload name>-<nic>-<uid part>`, lowercase, where the uid part is the first five
 * characters of the last dash-separated segment of the workload UID. The workload name is cut
 * so the whole stays a valid name (≤ 253), and a cut that ends in `-` or `.` is trimmed further.
 */
export function autoPoolName(
  family: IpFamily,
  workloadName: string,
  nic: string,
  uid: string,
): string {
  const segments = uid.split("-");
  const uidPart = (segments[segments.length - 1] ?? "").slice(0, 5).toLowerCase();
  const fixed = `auto${family}--${nic.toLowerCase()}-${uidPart}`.length;
  let name = workloadName.toLowerCase().slice(0, Math.max(0, MAX_NAME - fixed));
  while (/[-.]$/.test(name)) name = name.slice(0, -1);
  return `auto${family}-${name}-${nic.toLowerCase()}-${uidPart}`;
}

/**
 * The key of an application in `controlledIPPools`: `<group>_<version>_<Kind>_<ns>_<name>`, or
 * `<version>_<Kind>_<ns>_<name>` for the core group. Unambiguous because none of the parts may
 * contain `_`.
 */
export function applicationKey(
  top: Pick<TopController, "group" | "version" | "kind" | "namespace" | "name">,
): string {
  const gv = top.group === "" ? top.version : `${top.group}_${top.version}`;
  return `${gv}_${top.kind}_${top.namespace}_${top.name}`;
}

/** The parts of an application key, or undefined when it has neither 4 nor 5 parts. */
export function parseApplicationKey(
  key: string,
): { group: string; version: string; kind: string; namespace: string; name: string } | undefined {
  const parts = key.split("_");
  if (parts.length === 5) {
    const [group, version, kind, namespace, name] = parts as [
      string,
      string,
      string,
      string,
      string,
    ];
    return { group, version, kind, namespace, name };
  }
  if (parts.length === 4) {
    const [version, kind, namespace, name] = parts as [string, string, string, string];
    return { group: "", version, kind, namespace, name };
  }
  return undefined;
}

/** `spec.podAffinity` of an auto pool: only Pods of this workload may use it. */
export function autoPoolPodAffinity(top: TopController): { matchLabels: Record<string, string> } {
  return {
    matchLabels: {
      [LABEL_APP_API_GROUP]: top.group,
      [LABEL_APP_API_VERSION]: top.version,
      [LABEL_APP_KIND]: top.kind,
      [LABEL_APP_NAMESPACE]: top.namespace,
      [LABEL_APP_NAME]: top.name,
    },
  };
}

/** Every label an auto pool carries (docs/reference/annotations.md#labels-and-annotations-on-our-objects), UID and reclaim flag included. */
export function autoPoolObjectLabels(
  subnet: string,
  subnetCidr: string,
  top: TopController,
  nic: string,
  family: IpFamily,
  reclaim: boolean,
): Record<string, string> {
  return {
    ...autoPoolLabels(subnet, top, nic, family, true),
    [LABEL_IPPOOL_RECLAIM]: String(reclaim),
    [LABEL_IPPOOL_CIDR]: cidrLabelValue(subnetCidr),
  };
}

/** The owner a pool's labels name, if it is an auto pool. */
export interface AutoPoolOwner {
  readonly gv: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly reclaim: boolean;
}

/** Reads the owning application back from an auto pool's labels; undefined for other pools. */
export function autoPoolOwner(labels: Readonly<Record<string, string>>): AutoPoolOwner | undefined {
  const name = labels[LABEL_OWNER_APPLICATION_NAME];
  const kind = labels[LABEL_OWNER_APPLICATION_KIND];
  const namespace = labels[LABEL_OWNER_APPLICATION_NAMESPACE];
  const gv = labels[LABEL_OWNER_APPLICATION_GV];
  if (name === undefined || kind === undefined || namespace === undefined || gv === undefined)
    return undefined;
  return {
    gv,
    kind,
    namespace,
    name,
    uid: labels[LABEL_OWNER_APPLICATION_UID] ?? "",
    reclaim: labels[LABEL_IPPOOL_RECLAIM] === "true",
  };
}

/** `apps_v1` → `apps/v1`; `v1` stays. */
export function apiVersionOfGv(gv: string): string {
  const i = gv.lastIndexOf("_");
  return i < 0 ? gv : `${gv.slice(0, i)}/${gv.slice(i + 1)}`;
}
