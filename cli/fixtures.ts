/** Plain objects for the CLI's unit specs, shaped as the API server returns them. */
import type { Pod } from "../lib/k8s/core-kinds.js";
import type { Claim, Pool, ReservedIP } from "./selection-request.js";
import { CLAIM_API_VERSION, SPIDERPOOL_API_VERSION } from "../lib/core/base/well-known-names.js";

export function pool(
  name: string,
  spec: Partial<Pool["spec"]>,
  meta: Partial<Pool["metadata"]> = {},
): Pool {
  return {
    apiVersion: SPIDERPOOL_API_VERSION,
    kind: "SpiderIPPool",
    metadata: { name, ...meta },
    spec: { ipVersion: 4, subnet: "10.9.0.0/24", ips: [], ...spec },
  } as Pool;
}

export function claim(
  address: string,
  poolName: string,
  podUID: string,
  extra: Partial<Claim["spec"]> = {},
): Claim {
  const v6 = address.includes(":");
  return {
    apiVersion: CLAIM_API_VERSION,
    kind: "IPClaim",
    metadata: { name: address, uid: `claim-${address}` },
    spec: {
      address,
      ipVersion: v6 ? 6 : 4,
      pool: poolName,
      podNamespace: "ns",
      podName: `pod-${podUID}`,
      podUID,
      interface: "eth0",
      node: "node-1",
      ...extra,
    },
  } as Claim;
}

export function reservedIP(
  name: string,
  ips: string[],
  meta: Partial<ReservedIP["metadata"]> = {},
): ReservedIP {
  return {
    apiVersion: SPIDERPOOL_API_VERSION,
    kind: "SpiderReservedIP",
    metadata: { name, ...meta },
    spec: { ipVersion: 4, ips },
  } as ReservedIP;
}

export function pod(
  name: string,
  uid: string,
  extra: {
    phase?: string;
    deleting?: boolean;
    annotations?: Record<string, string>;
    nodeName?: string;
    restartPolicy?: string;
  } = {},
): Pod {
  return {
    metadata: {
      name,
      namespace: "ns",
      uid,
      annotations: extra.annotations ?? {},
      ...(extra.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
    },
    spec: {
      nodeName: extra.nodeName ?? "node-1",
      containers: [{ name: "c" }],
      ...(extra.restartPolicy ? { restartPolicy: extra.restartPolicy } : {}),
    },
    status: { phase: extra.phase ?? "Running" },
  };
}
