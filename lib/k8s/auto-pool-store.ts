import type { KubeApi, KubeList, Stored } from "./api-client.js";
import { CLAIMS_PATH } from "./claim-store.js";
import { K8sError } from "./k8s-error.js";
import { type IPClaim } from "../schemas/ip-claim.js";
import type { IPPoolSpecInput, SpiderIPPool } from "../schemas/ippool.js";
import {
  CLAIM_LABELS,
  SPIDERPOOL_API_VERSION,
  SPIDERPOOL_GROUP,
} from "../core/base/well-known-names.js";

export const POOLS_PATH = `/apis/${SPIDERPOOL_API_VERSION}/spiderippools`;

export type Pool = Stored<SpiderIPPool>;

export async function getPool(api: KubeApi, name: string): Promise<Pool | undefined> {
  try {
    return await api.get<Pool>(`${POOLS_PATH}/${name}`);
  } catch (e) {
    if (e instanceof K8sError && e.code === "not_found") return undefined;
    throw e;
  }
}

export interface NewAutoPool {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The SpiderSubnet that controls the pool (garbage collection, adoption checks). */
  subnet: { name: string; uid: string };
  spec: IPPoolSpecInput;
}

/** Creates an auto pool; `already_exists` is left to the caller (another writer won). */
export async function createAutoPool(api: KubeApi, p: NewAutoPool): Promise<Pool> {
  return api.create<Pool>(POOLS_PATH, {
    apiVersion: SPIDERPOOL_API_VERSION,
    kind: "SpiderIPPool",
    metadata: {
      name: p.name,
      labels: p.labels,
      annotations: p.annotations,
      finalizers: [SPIDERPOOL_GROUP],
      ownerReferences: [
        {
          apiVersion: SPIDERPOOL_API_VERSION,
          kind: "SpiderSubnet",
          name: p.subnet.name,
          uid: p.subnet.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: p.spec,
  });
}

/**
 * Sets an auto pool's `spec.ips` and adds/overwrites the given labels and annotations in one
 * merge patch. Deliberately without a resourceVersion: the pool's status is rewritten on every
 * claim change, so a precondition would lose to status writes again and again during a Pod storm
 * (each attempt paying the admission webhooks). Correctness does not rest on it: the pool webhook
 * refuses `ips` that differ from the subnet's current record, which is itself written by
 * compare-and-swap, so a stale writer is refused rather than obeyed.
 */
export async function updateAutoPool(
  api: KubeApi,
  pool: Pool,
  change: { ips: string[]; labels: Record<string, string>; annotations: Record<string, string> },
): Promise<Pool> {
  return api.patch<Pool>(
    `${POOLS_PATH}/${pool.metadata.name}`,
    {
      metadata: { labels: change.labels, annotations: change.annotations },
      spec: { ips: change.ips },
    },
    "merge",
  );
}

/** Deletes a pool (only the incarnation with `uid`, when given); absent is success. */
export async function deletePool(api: KubeApi, name: string, uid?: string): Promise<boolean> {
  try {
    await api.request("DELETE", `${POOLS_PATH}/${name}`, {
      body: { apiVersion: "v1", kind: "DeleteOptions", ...(uid ? { preconditions: { uid } } : {}) },
    });
    return true;
  } catch (e) {
    if (e instanceof K8sError && (e.code === "not_found" || e.code === "conflict")) return false;
    throw e;
  }
}

/**
 * Addresses claimed in a pool, read from the API server rather than a watch: a shrink must not
 * drop an address an agent claimed a moment ago. Selected by label when the name fits one.
 */
export async function poolClaimAddresses(api: KubeApi, pool: string): Promise<string[]> {
  const selector = pool.length <= 63 ? `${CLAIM_LABELS.pool}=${pool}` : undefined;
  const l = await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, { labelSelector: selector });
  return l.items.filter(c => c.spec.pool === pool).map(c => c.spec.address);
}
