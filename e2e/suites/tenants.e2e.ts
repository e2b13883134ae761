import assert from "node:assert/strict";
import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { adminClient } from "../cluster/cluster.js";
import { apply, listPods, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import {
  applyExample,
  claimsOfPool,
  deleteNamespaceAndWait,
  type Pool,
  poolAddresses,
  SP,
} from "./autopool-checks.js";

/**
 * Tenants (docs/usage/tenants.md): a pool bound to a namespace by name (`namespaceName`), one bound by a
 * namespace label (`namespaceAffinity`), each tenant namespace's default pool set by annotation,
 * and a cluster default pool that serves every other namespace. A tenant's pool refuses Pods of
 * other namespaces even when they name it.
 */
describe("tenants: pools bound to namespaces, and a shared default", function () {
  const pools = ["tenant-red-pool", "tenant-blue-pool", "shared-default-pool"];
  const namespaces = ["tenant-red", "tenant-blue", "tenant-green"];
  let api: ApiClient;

  before(() => {
    api = adminClient();
    applyExample("tenants.yaml");
  });
  after(async () => {
    await Promise.all(namespaces.map(n => deleteNamespaceAndWait(api, n)));
    // The cluster default pool must not outlive the suite: other suites rely on having none.
    for (const p of pools) await api.delete(`${SP}/spiderippools/${p}`).catch(() => undefined);
    await waitFor(
      "tenant pools gone",
      async () => {
        const l = await api.get<KubeList<Pool>>(`${SP}/spiderippools`);
        return l.items.every(p => !pools.includes(p.metadata.name));
      },
      60_000,
    ).catch(() => undefined);
    api.close();
  });

  const deployment = (
    ns: string,
    name: string,
    annotations: Record<string, string> = {},
    replicas = 2,
  ) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}}
      annotations: ${JSON.stringify(annotations)}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: registry.invalid/pause}]
`;

  async function addressesOf(pool: string): Promise<Set<string>> {
    return new Set(poolAddresses(await api.get<Pool>(`${SP}/spiderippools/${pool}`)));
  }
  const ipOf = (p: Pod) => p.status!.podIPs![0]!.ip;

  it("gives each namespace's Pods addresses from its own pool, and other namespaces the shared default", async () => {
    apply(
      [
        deployment("tenant-red", "app"),
        deployment("tenant-blue", "app"),
        deployment("tenant-green", "app"),
      ].join("---"),
    );
    const expect: Array<[string, string]> = [
      ["tenant-red", "tenant-red-pool"],
      ["tenant-blue", "tenant-blue-pool"],
      ["tenant-green", "shared-default-pool"],
    ];
    for (const [ns, pool] of expect) {
      const pods = await waitRunning(api, ns, "app=app", 2);
      const set = await addressesOf(pool);
      for (const p of pods)
        assert.ok(set.has(ipOf(p)), `${ns}/${p.metadata.name} has ${ipOf(p)}, not from ${pool}`);
    }
  });

  it("refuses a tenant's pool to a Pod of another namespace that names it", async () => {
    apply(
      deployment(
        "tenant-green",
        "intruder",
        { "ipam.spidernet.io/ippool": '{"ipv4": ["tenant-red-pool"]}' },
        1,
      ),
    );
    const message = await waitFor(
      "a failed sandbox event naming the namespace rule",
      async () => {
        const pods = await listPods(api, "tenant-green", "app=intruder");
        if (pods.length === 0) return undefined;
        const l = await api.get<KubeList<{ reason: string; message: string }>>(
          `/api/v1/namespaces/tenant-green/events`,
          { fieldSelector: `involvedObject.name=${pods[0]!.metadata.name}` },
        );
        return l.items.find(
          e => e.reason === "FailedCreatePodSandBox" && e.message.includes("tenant-red-pool"),
        )?.message;
      },
      60_000,
    );
    assert.match(message, /namespace/i, message);
    const pods = await listPods(api, "tenant-green", "app=intruder");
    assert.ok(
      pods.every(p => !p.status?.podIPs?.length),
      "the intruder must get no address",
    );
    // The claims are the ledger; the pool status is a view that may lag them by the watcher's
    // status interval (docs/usage/ippool.md), so it is waited for.
    const held = await claimsOfPool(api, "tenant-red-pool");
    assert.deepEqual(
      held.map(c => c.spec.podNamespace),
      ["tenant-red", "tenant-red"],
      "only tenant-red's two Pods hold tenant-red-pool addresses",
    );
    await waitFor("tenant-red-pool's status counts its two claims", async () => {
      const red = await api.get<Pool>(`${SP}/spiderippools/tenant-red-pool`);
      return red.status?.allocatedIPCount === 2;
    });
  });

  it("lets a namespace that gains the tenant label use the label-bound pool by annotation", async () => {
    await api.patch(`/api/v1/namespaces/tenant-green`, {
      metadata: { labels: { tenant: "blue" } },
    });
    apply(
      deployment(
        "tenant-green",
        "joined",
        { "ipam.spidernet.io/ippool": '{"ipv4": ["tenant-blue-pool"]}' },
        1,
      ),
    );
    const [pod] = await waitRunning(api, "tenant-green", "app=joined", 1, 120_000);
    assert.ok((await addressesOf("tenant-blue-pool")).has(ipOf(pod!)));
  });
});
