import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { kubectl } from "../cluster/cluster.js";
import { apply, createNamespace, deleteNamespace, waitGone } from "./kube.js";

/**
 * A namespace whose Pods take their addresses from one IPv4 pool of its own (the namespace's
 * `ipam.spidernet.io/default-ipv4-ippool`), as the real-node suites set up before each run.
 */
export async function createPoolNamespace(
  api: ApiClient,
  o: { namespace: string; pool: string; subnet: string; ips: string },
): Promise<void> {
  apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${o.pool}}
spec: {subnet: ${o.subnet}, ips: ["${o.ips}"]}
`);
  await createNamespace(
    api,
    o.namespace,
    {},
    { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([o.pool]) },
  );
}

/** Deletes the namespace, waits for its `app` Pods to go, then deletes the pool; never throws. */
export async function removePoolNamespace(
  api: ApiClient,
  o: { namespace: string; pool: string },
): Promise<void> {
  await deleteNamespace(api, o.namespace);
  await waitGone(api, o.namespace, "app").catch(() => undefined);
  await api
    .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${o.pool}`)
    .catch(() => undefined);
}

/** A one-replica Deployment `peer` of pause on `node`: the simulated node's pod the real node's pods ping. */
export function peerDeployment(namespace: string, node: string): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: peer, namespace: ${namespace}}
spec:
  replicas: 1
  selector: {matchLabels: {app: peer}}
  template:
    metadata: {labels: {app: peer}}
    spec:
      terminationGracePeriodSeconds: 1
      nodeSelector: {kubernetes.io/hostname: ${node}}
      containers: [{name: c, image: registry.invalid/pause}]
`;
}

/** Asserts, through `kubectl exec`, that each Pod's eth0 holds its podIP with `prefix`. */
export function assertPodIpOnEth0(pods: readonly Pod[], prefix: number): void {
  for (const p of pods) {
    const out = kubectl([
      ...["exec", "-n", p.metadata.namespace!, p.metadata.name, "--"],
      ...["ip", "-4", "addr", "show", "dev", "eth0"],
    ]);
    assert.ok(
      out.includes(`inet ${p.status!.podIP}/${prefix}`),
      `${p.metadata.name}: eth0 shows\n${out}\nnot ${p.status!.podIP}/${prefix}`,
    );
  }
}
