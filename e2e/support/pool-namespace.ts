import type { ApiClient } from "../../lib/k8s/api-client.js";
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
