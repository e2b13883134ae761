import assert from "node:assert/strict";
import fs from "node:fs";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import { CLAIM_LABELS, type IPClaim } from "../../lib/schemas/ip-claim.js";
import { adminClient, loadState } from "../cluster/cluster.js";
import { loseCreateReplies } from "../cluster/fault-proxy.js";
import { paths } from "../cluster/paths.js";
import { assertNoDuplicates, deleteNamespaceAndWait } from "../support/allocation-ledger.js";
import { apply, createNamespace, podEvents, waitRunning } from "../support/kube.js";
import { assertWireClean } from "../support/wire-audit.js";

/** How late the agents' IPClaim watches get their events while the fault is armed. */
const WATCH_LAG_MS = 10_000;

/**
 * A CREATE of an IPClaim reaches the API server and commits, and its answer never reaches the
 * agent: the fault proxy in front of the API server cuts the connection when the answer comes
 * back (an API server restart or a cut connection does the same). The agent must find out that
 * the claim it tried is its own and use it, not claim a second address for the same NIC
 * (docs/adr/0002-address-claims.md, "Lost replies").
 */
describe("lost CREATE reply: the agent adopts its own committed claim", function () {
  this.timeout(5 * 60_000);
  const ns = `lostreply-${Date.now().toString(36)}`;
  let api: ApiClient;

  before(async function () {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${ns}}
spec: {subnet: 10.183.0.0/16, ips: ["10.183.0.1-10.183.0.50"], gateway: 10.183.255.254}
`);
    await createNamespace(
      api,
      ns,
      {},
      { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([ns]) },
    );
  });

  after(async function () {
    if (!api) return;
    await loseCreateReplies(0).catch(() => undefined);
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await api
      .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${ns}`)
      .catch(() => undefined);
    api.close();
  });

  it("a Pod whose claim CREATE lost its answer runs with exactly one claim, adopted by the agent", async function () {
    const node = loadState()!.nodes[0]!.name;
    const logBefore = fs.statSync(paths.log(`agent-${node}`)).size;
    // The agent's claim watch lags too, so the runtime's retry of a failed ADD cannot lean on
    // having seen the committed claim: only reading it on the 409 tells the agent it is its own.
    const armed = await loseCreateReplies(1, WATCH_LAG_MS);
    assert.equal(armed.loseCreateReplies, 1);
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: lost, namespace: ${ns}, labels: {app: lost}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: registry.invalid/pause}]
`);
    const [pod] = await waitRunning(api, ns, "app=lost", 1, 120_000);
    const status = await loseCreateReplies(0);
    assert.equal(
      status.lostCreateReplies,
      1,
      "the proxy dropped the answer of one IPClaim CREATE (else the test saw no fault)",
    );

    // Exactly one claim per NIC, and it is the address the Pod runs with.
    const claims = (
      await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, {
        labelSelector: `${CLAIM_LABELS.pool}=${ns}`,
      })
    ).items;
    const byNic = new Map<string, string[]>();
    for (const c of claims)
      byNic.set(c.spec.interface, [...(byNic.get(c.spec.interface) ?? []), c.spec.address]);
    assert.deepEqual(
      [...byNic.keys()],
      ["eth0"],
      `claims of the pool: ${claims.map(c => `${c.spec.address} ${c.spec.podName}/${c.spec.interface}`).join(", ")}`,
    );
    assert.equal(
      byNic.get("eth0")!.length,
      1,
      `one claim for eth0, got ${byNic.get("eth0")!.join(", ")}`,
    );
    assert.ok(
      claims.every(c => c.spec.podUID === pod!.metadata.uid),
      "no claim of the pool belongs to anything but the pod (no orphan)",
    );
    assert.deepEqual(
      (pod!.status?.podIPs ?? []).map(p => p.ip),
      [claims[0]!.spec.address],
    );

    // The first ADD succeeded with the adopted claim: the lost answer did not fail the sandbox.
    const failures = (await podEvents(api, ns, "lost")).filter(
      e => e.reason === "FailedCreatePodSandBox",
    );
    assert.deepEqual(
      failures.map(e => e.message),
      [],
      "the sandbox was not failed by the lost answer",
    );
    const log = fs
      .readFileSync(paths.log(`agent-${node}`))
      .subarray(logBefore)
      .toString("utf8");
    assert.match(log, /adopted our own claim/, "the agent log shows the adoption");
    assert.ok(log.includes(claims[0]!.spec.address), "the adoption names the address");
    await assertNoDuplicates(api);
    await assertWireClean(api, loadState()!, "after the lost CREATE reply");
  });
});
