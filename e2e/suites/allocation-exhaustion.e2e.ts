import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { adminClient } from "../cluster/cluster.js";
import { repoRoot } from "../cluster/paths.js";
import {
  assertLedgerAgreesAll,
  claimsOf,
  deleteNamespaceAndWait,
  deletePools,
} from "../support/allocation-ledger.js";
import { scrapeAgent, scrapeWatcher } from "../support/agent-metrics.js";
import { apply, createNamespace, listPods, podEvents, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";

/**
 * A full pool (Spiderpool's "all IP addresses used out"): the Pod stays Pending with an Event that
 * says why, pool by pool, holds nothing meanwhile, and starts as soon as an address is freed. The
 * full pool's usage as the watcher's gauges serve it (docs/usage/metrics.md#pool-and-subnet-usage).
 */
describe("allocation: pool exhausted", function () {
  const ns = "alloc-full";
  let api: ApiClient;

  const pod = (name: string, node?: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels: {app: full}
  annotations: {ipam.spidernet.io/ippool: '{"ipv4": ["tiny-v4"]}'}
spec:
  ${node ? `nodeName: ${node}` : ""}
  terminationGracePeriodSeconds: 3
  containers: [{name: c, image: registry.invalid/pause}]
`;

  before(async () => {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: tiny-v4}
spec: {subnet: 10.128.0.0/24, ips: ["10.128.0.10-10.128.0.11"], gateway: 10.128.0.1}
`);
    await createNamespace(api, ns);
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await deletePools(api, ["tiny-v4"]).catch(() => undefined);
    api.close();
  });

  let freed = "";

  it("keeps a Pod Pending with the precise reason while the pool is full", async () => {
    apply(pod("holder-a") + "---" + pod("holder-b"));
    const holders = await waitRunning(api, ns, "app=full", 2);
    freed = holders.find(p => p.metadata.name === "holder-a")!.status!.podIP!;
    const before = await scrapeAgent("node-3");
    apply(pod("waiter", "node-3"));
    const ev = await waitFor(
      "FailedCreatePodSandBox on waiter",
      async () =>
        (await podEvents(api, ns, "waiter")).find(e => e.reason === "FailedCreatePodSandBox"),
      30_000,
    );
    assert.match(ev.message, /spiderpool IP allocation error/);
    assert.match(ev.message, /all IP addresses used out/);
    assert.match(ev.message, /pool tiny-v4: 2\/2 addresses used/);
    // The agent's own Event names the NIC and the reason, once per refusal however often the kubelet retries.
    await waitFor(
      "the kubelet retried the sandbox",
      async () =>
        (await podEvents(api, ns, "waiter")).filter(e => e.reason === "FailedCreatePodSandBox")
          .length >= 2,
      30_000,
    );
    const mine = (await podEvents(api, ns, "waiter")).filter(
      e => e.reason === "IPAllocationFailed",
    );
    assert.equal(
      mine.length,
      1,
      "one Event for the refusal, however often the kubelet retries within a minute",
    );
    assert.match(mine[0]!.message, /^eth0: .*all IP addresses used out/);
    const waiter = (await listPods(api, ns)).find(p => p.metadata.name === "waiter")!;
    assert.equal(waiter.status?.phase, "Pending");
    assert.deepEqual(
      await claimsOf(api, `${CLAIM_LABELS.podUid}=${waiter.metadata.uid}`),
      [],
      "a refused Pod holds nothing",
    );
    const after = await scrapeAgent("node-3");
    assert.ok(
      after.value("spiderpool_ipam_allocation_err_ip_used_out_counts_total") >
        before.value("spiderpool_ipam_allocation_err_ip_used_out_counts_total"),
      "the used-out failure is counted",
    );
    assert.ok(
      after.value("spiderpool_ipam_allocation_failure_counts_total") >
        before.value("spiderpool_ipam_allocation_failure_counts_total"),
    );
  });

  it("serves the full pool's usage on the watcher's /metrics (allocated = its Pods) and the build on both processes", async () => {
    const holders = (await listPods(api, ns)).filter(p => p.status?.podIP);
    assert.equal(holders.length, 2, "the two holders have addresses, the waiter none");
    const pool = { SpiderIPPool: "tiny-v4" };
    // The gauges read the status the watcher writes from the claims: wait for that write.
    const watcher = await waitFor(
      "the watcher serves tiny-v4 allocated = the number of its Pods",
      async () => {
        const w = await scrapeWatcher();
        return (
          w.labelled("spiderpool_debug_ippool_allocated_ip_counts", pool) === holders.length && w
        );
      },
      30_000,
    );
    assert.equal(watcher.labelled("spiderpool_debug_ippool_total_ip_counts", pool), 2);
    assert.equal(watcher.labelled("spiderpool_debug_ippool_available_ip_counts", pool), 0);
    assert.ok(watcher.value("spiderpool_total_ippool_counts") >= 1);
    assert.equal(watcher.types.get("spiderpool_ip_gc_counts_total"), "counter");
    const { version } = JSON.parse(
      fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"),
    ) as { version: string };
    const agent = await scrapeAgent("node-3");
    assert.equal(agent.labelled("spiderpool_build_info", { version, component: "agent" }), 1);
    assert.equal(watcher.labelled("spiderpool_build_info", { version, component: "watcher" }), 1);
  });

  it("starts the Pending Pod with the address freed by deleting another Pod", async () => {
    await api.delete(`/api/v1/namespaces/${ns}/pods/holder-a`);
    const running = await waitFor(
      "waiter Running",
      async () => {
        const w = (await listPods(api, ns)).find(p => p.metadata.name === "waiter");
        return w?.status?.phase === "Running" && w;
      },
      60_000,
    );
    assert.equal(running.status?.podIP, freed);
    await assertLedgerAgreesAll(
      api,
      (await listPods(api, ns)).filter(
        p => p.status?.phase === "Running" && !p.metadata.deletionTimestamp,
      ),
    );
  });
});
