import type { KubeApi, Stored } from "./api-client.js";
import { K8sError } from "./k8s-error.js";
import {
  ControlledIPPoolsJsonSchema,
  type PoolIPPreAllocations,
  type SpiderSubnet,
  type SubnetStatus,
} from "../schemas/subnet.js";
import { SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

export const SUBNETS_PATH = `/apis/${SPIDERPOOL_API_VERSION}/spidersubnets`;

export type Subnet = Stored<SpiderSubnet>;

/** A subnet read straight from the API server; undefined when it does not exist. */
export async function getSubnet(api: KubeApi, name: string): Promise<Subnet | undefined> {
  try {
    return await api.get<Subnet>(`${SUBNETS_PATH}/${name}`);
  } catch (e) {
    if (e instanceof K8sError && e.code === "not_found") return undefined;
    throw e;
  }
}

/**
 * The decoded `status.controlledIPPools`: `{}` when absent, or a K8sError-free `undefined` when
 * the stored text is unreadable (the caller decides; nothing is overwritten silently).
 */
export function controlledPoolsOf(subnet: Subnet): PoolIPPreAllocations | undefined {
  const text = subnet.status?.controlledIPPools;
  if (!text) return {};
  const r = ControlledIPPoolsJsonSchema.safeParse(text);
  return r.success ? r.data : undefined;
}

/** The status text for a set of records: absent when there are none, keys sorted. */
export function encodeControlledPools(records: PoolIPPreAllocations): string | undefined {
  const names = Object.keys(records).sort();
  if (names.length === 0) return undefined;
  const sorted: PoolIPPreAllocations = {};
  for (const n of names) sorted[n] = records[n]!;
  return JSON.stringify(sorted);
}

/**
 * Compare-and-swap of a subnet's status: `decide` sees the subnet as stored and returns the
 * status to write, or undefined for "nothing to change". The write is a PUT of the status
 * subresource carrying the resourceVersion that was read, so a concurrent writer makes it fail
 * with 409; the subnet is then read again and `decide` runs on the fresh copy. Bounded: after
 * `attempts` lost races the last conflict is thrown.
 */
export async function casSubnetStatus(
  api: KubeApi,
  name: string,
  decide: (subnet: Subnet) => SubnetStatus | undefined,
  attempts = 10,
): Promise<{ subnet: Subnet; written: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const subnet = await getSubnet(api, name);
    if (!subnet) throw new K8sError("not_found", 404, "NotFound", `SpiderSubnet ${name} not found`);
    const status = decide(subnet);
    if (status === undefined) return { subnet, written: false };
    const body = { ...subnet, status: withoutUndefined(status) };
    try {
      const stored = await api.replace<Subnet>(`${SUBNETS_PATH}/${name}/status`, body);
      return { subnet: stored, written: true };
    } catch (e) {
      if (!(e instanceof K8sError && e.code === "conflict") || attempt >= attempts) throw e;
    }
  }
}

function withoutUndefined(status: SubnetStatus): SubnetStatus {
  const out: SubnetStatus = {};
  if (status.controlledIPPools !== undefined) out.controlledIPPools = status.controlledIPPools;
  if (status.totalIPCount !== undefined) out.totalIPCount = status.totalIPCount;
  if (status.allocatedIPCount !== undefined) out.allocatedIPCount = status.allocatedIPCount;
  return out;
}
