import type { KubeObject } from "./api-client.js";

/**
 * The parts of built-in kinds this project reads. Kept narrow on purpose: a field appears here
 * only when some code depends on it.
 */
export interface Pod extends KubeObject {
  spec: {
    nodeName?: string;
    hostNetwork?: boolean;
    restartPolicy?: string;
    terminationGracePeriodSeconds?: number;
    containers: { name: string; image?: string }[];
    initContainers?: { name: string; image?: string }[];
  };
  status?: {
    phase?: string;
    reason?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    hostIP?: string;
    conditions?: { type: string; status: string }[];
  };
}

export interface Node extends KubeObject {
  spec?: { taints?: { key: string; effect: string; value?: string }[]; unschedulable?: boolean };
  status?: {
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
    addresses?: { type: string; address: string }[];
  };
}

export type Namespace = KubeObject;

export function podKey(p: KubeObject): string {
  return `${p.metadata.namespace}/${p.metadata.name}`;
}
