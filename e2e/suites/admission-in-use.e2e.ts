import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { adminClient, kubectl } from "../cluster/cluster.js";
import { apply, createNamespace, deleteNamespace, waitGone, waitRunning } from "../support/kube.js";
import { assertPatchRefused, kubectlRefusal } from "../support/refusals.js";
import { removeAndWait, stored } from "../support/spider-objects.js";
import { waitFor } from "../support/wait-for.js";

/**
 * What admission protects once a Pod holds an address: the address cannot be taken out of the
 * pool, and the pool (and its subnet) cannot disappear under the Pod. A real Pod on a simulated
 * node gets its address through the real CNI chain from a pool named by its namespace's default
 * pool annotation. The deletion webhook (`enableValidatingResourcesDeletedWebhook`) is off, as
 * in Spiderpool's chart, so deleting is accepted and the finalizer defers it.
 * Addresses: 10.104.0.0/16.
 */
describe("admission: addresses in use", function () {
  const id = Date.now().toString(36);
  const ns = `adm-inuse-${id}`;
  const POOL = `adm-inuse-${id}`;
  const SUBNET = `adm-inuse-${id}`;
  let api: ApiClient;
  let address: string;

  before(async () => {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata: {name: ${SUBNET}}
spec: {subnet: 10.104.0.0/16, ips: [10.104.1.1-10.104.1.100], gateway: 10.104.0.1}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${POOL}}
spec: {subnet: 10.104.0.0/16, ips: [10.104.1.1-10.104.1.20]}
`);
    await createNamespace(
      api,
      ns,
      {},
      { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([POOL]) },
    );
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: holder, namespace: ${ns}, labels: {app: holder}}
spec:
  terminationGracePeriodSeconds: 2
  containers: [{name: c, image: registry.invalid/pause}]
`);
    const [pod] = await waitRunning(api, ns, "app=holder", 1);
    address = pod!.status!.podIPs![0]!.ip;
  });
  after(async () => {
    await deleteNamespace(api, ns);
    await waitGone(api, ns, "app").catch(() => undefined);
    await removeAndWait(api, "SpiderIPPool", POOL, 120_000);
    await removeAndWait(api, "SpiderSubnet", SUBNET);
    api.close();
  });

  const inUse = () =>
    `spec.ips: Forbidden: remove an IP address ${address} that is being used by Pod ${ns}/holder, total IP addresses of an IPPool are jointly determined by 'spec.ips' and 'spec.excludeIPs'`;

  it("gave the Pod an address of the pool", () => {
    assert.match(address, /^10\.104\.1\.([1-9]|1[0-9]|20)$/);
  });

  it("refuses to shrink ips so that the Pod's address leaves the pool", async () => {
    const last = Number(address.split(".")[3]);
    // Keep every address but the Pod's: the rest of the pool is free to change.
    const ips = [
      last > 1 ? `10.104.1.1-10.104.1.${last - 1}` : undefined,
      last < 20 ? `10.104.1.${last + 1}-10.104.1.20` : undefined,
    ].filter(Boolean);
    await assertPatchRefused(
      api,
      "SpiderIPPool",
      POOL,
      { spec: { ips } },
      {
        status: 422,
        message: [`SpiderIPPool.spiderpool.spidernet.io "${POOL}" is invalid: `, inUse()],
      },
    );
  });

  it("refuses to put the Pod's address into excludeIPs", () =>
    assertPatchRefused(
      api,
      "SpiderIPPool",
      POOL,
      { spec: { excludeIPs: [address] } },
      { status: 422, message: inUse() },
    ));

  it("still lets free addresses go", async () => {
    const spare = address === "10.104.1.20" ? "10.104.1.19" : "10.104.1.20";
    kubectl([
      "patch",
      "spiderippool",
      POOL,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { excludeIPs: [spare] } }),
    ]);
    assert.deepEqual((await stored(api, "SpiderIPPool", POOL))!.spec.excludeIPs, [spare]);
  });

  it("accepts deleting the pool but keeps it Terminating with its finalizer while the Pod holds the address", async () => {
    kubectl(["delete", "spiderippool", POOL, "--wait=false"]);
    // Give the watcher time to act on the deletion: it must not release the finalizer.
    await new Promise(r => setTimeout(r, 3000));
    const p = await stored(api, "SpiderIPPool", POOL);
    assert.ok(p?.metadata.deletionTimestamp, "the pool must be Terminating");
    assert.deepEqual(p.metadata.finalizers, ["spiderpool.spidernet.io"]);
  });

  it("refuses any change to the Terminating pool (403)", () =>
    assertPatchRefused(
      api,
      "SpiderIPPool",
      POOL,
      { spec: { gateway: "10.104.0.2" } },
      { status: 403, message: "forbidden: cannot update a terminating IPPool" },
    ));

  it("refuses any change to a Terminating subnet that still holds its finalizer (403)", async () => {
    kubectl(["delete", "spidersubnet", SUBNET, "--wait=false"]);
    const s = await stored(api, "SpiderSubnet", SUBNET);
    assert.ok(
      s?.metadata.deletionTimestamp && s.metadata.finalizers?.includes("spiderpool.spidernet.io"),
      "the subnet must be Terminating with its finalizer",
    );
    await assertPatchRefused(
      api,
      "SpiderSubnet",
      SUBNET,
      { spec: { gateway: "10.104.0.2" } },
      { status: 403, message: "forbidden: cannot update a terminaing Subnet" },
    );
  });

  it("lets the pool go once the Pod is gone", async () => {
    kubectl(["delete", "pod", "holder", "-n", ns, "--wait=false"]);
    await waitGone(api, ns, "app=holder");
    await waitFor(
      `pool ${POOL} gone`,
      async () => (await stored(api, "SpiderIPPool", POOL)) === undefined,
      60_000,
    );
    assert.equal(kubectlRefusal(["get", "spiderippool", POOL]).includes("NotFound"), true);
  });
});
