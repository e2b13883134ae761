import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { adminClient, kubectl } from "../cluster/cluster.js";
import {
  assertLedgerAgreesAll,
  claimsOf,
  deleteNamespaceAndWait,
  deletePools,
  endpointOf,
} from "../support/allocation-ledger.js";
import { apply, createNamespace, listPods, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";

/**
 * StatefulSet Pods keep their addresses (Spiderpool L00008 + A00009, docs/reference/allocation.md#statefulset-pods): a re-created Pod of
 * the same name takes over its claims (re-pointed to the new Pod UID), even on another node; a
 * change of the annotated pool moves it to the new pool and releases the old address; scaling
 * down releases the addresses of the removed ordinals.
 */
describe("allocation: StatefulSet Pods keep their addresses", function () {
  const ns = "alloc-sts";
  const pools = ["sts-v4", "sts-moved-v4", "sts-dual-v4", "sts-dual-v6"];
  let api: ApiClient;

  const statefulSet = (pool: string, replicas: number, name = "db", v6Pool?: string) => `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  serviceName: ${name}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}}
      annotations: {ipam.spidernet.io/ippool: '{"ipv4": ["${pool}"]${v6Pool ? `, "ipv6": ["${v6Pool}"]` : ""}}'}
    spec:
      terminationGracePeriodSeconds: 3
      containers: [{name: c, image: registry.invalid/pause}]
`;

  before(async () => {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: sts-v4}
spec: {subnet: 10.127.0.0/24, ips: ["10.127.0.10-10.127.0.29"], gateway: 10.127.0.1}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: sts-moved-v4}
spec: {subnet: 10.127.1.0/24, ips: ["10.127.1.10-10.127.1.29"], gateway: 10.127.1.1}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: sts-dual-v4}
spec: {subnet: 10.127.2.0/24, ips: ["10.127.2.10-10.127.2.29"], gateway: 10.127.2.1}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: sts-dual-v6}
spec: {subnet: "fd00:120:127::/64", ips: ["fd00:120:127::10-fd00:120:127::2f"], gateway: "fd00:120:127::1"}
`);
    await createNamespace(api, ns);
  });
  after(async () => {
    kubectl(["uncordon", "node-1", "node-2", "node-3"]);
    // Scaled to zero first: a StatefulSet Pod's endpoint outlives the Pod by design.
    for (const sts of ["db", "dual"])
      await api
        .patch(`/apis/apps/v1/namespaces/${ns}/statefulsets/${sts}`, { spec: { replicas: 0 } })
        .catch(() => undefined);
    await waitFor(
      "StatefulSet Pods gone",
      async () => (await listPods(api, ns)).length === 0,
      60_000,
    ).catch(() => undefined);
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await deletePools(api, pools).catch(() => undefined);
    api.close();
  });

  let first: Pod[] = [];

  it("runs two ordinals with static claims", async () => {
    apply(statefulSet("sts-v4", 2));
    first = await waitRunning(api, ns, "app=db", 2);
    await assertLedgerAgreesAll(api, first);
    for (const p of first) {
      const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`);
      assert.deepEqual(
        claims.map(c => [c.spec.pool, c.spec.static]),
        [["sts-v4", true]],
      );
      const ep = await endpointOf(api, p);
      assert.deepEqual(
        ep.metadata.ownerReferences ?? [],
        [],
        "a StatefulSet Pod's endpoint has no owner: it outlives the Pod",
      );
      assert.equal(ep.status?.ownerControllerType, "StatefulSet");
    }
  });

  it("gives a re-created ordinal its address back, on another node, and re-points its claim", async () => {
    const old = first.find(p => p.metadata.name === "db-0")!;
    const oldClaim = (await claimsOf(api, `${CLAIM_LABELS.podUid}=${old.metadata.uid}`))[0]!;
    // Cordon the old node, so the new incarnation lands elsewhere.
    kubectl(["cordon", old.spec.nodeName!]);
    await api.delete(`/api/v1/namespaces/${ns}/pods/db-0`);
    const fresh = await waitFor(
      "a new db-0 Running",
      async () => {
        const p = (await listPods(api, ns, "app=db")).find(x => x.metadata.name === "db-0");
        return p && p.metadata.uid !== old.metadata.uid && p.status?.phase === "Running" && p;
      },
      120_000,
    );
    kubectl(["uncordon", old.spec.nodeName!]);
    assert.notEqual(fresh.spec.nodeName, old.spec.nodeName);
    assert.equal(fresh.status?.podIP, old.status?.podIP, "db-0 keeps its address");
    const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${fresh.metadata.uid}`);
    assert.equal(claims.length, 1);
    assert.equal(
      claims[0]!.metadata.uid,
      oldClaim.metadata.uid,
      "the same claim object, re-pointed",
    );
    assert.equal(claims[0]!.spec.podUID, fresh.metadata.uid);
    assert.equal(claims[0]!.spec.node, fresh.spec.nodeName);
    assert.deepEqual(await claimsOf(api, `${CLAIM_LABELS.podUid}=${old.metadata.uid}`), []);
    await assertLedgerAgreesAll(api, await waitRunning(api, ns, "app=db", 2));
  });

  it("moves the Pods to a new pool when the annotation changes, releasing the old addresses", async () => {
    apply(statefulSet("sts-moved-v4", 2));
    const moved = await waitFor(
      "both ordinals re-created from sts-moved-v4",
      async () => {
        const pods = await listPods(api, ns, "app=db");
        return (
          pods.length === 2 &&
          pods.every(
            p => p.status?.phase === "Running" && p.status.podIP?.startsWith("10.127.1."),
          ) &&
          pods
        );
      },
      180_000,
    );
    await waitFor(
      "sts-v4 has no claims left",
      async () => (await claimsOf(api, `${CLAIM_LABELS.pool}=sts-v4`)).length === 0,
    );
    await assertLedgerAgreesAll(api, moved);
  });

  it("releases the address and endpoint of an ordinal scaled away", async () => {
    await api.patch(`/apis/apps/v1/namespaces/${ns}/statefulsets/db`, { spec: { replicas: 1 } });
    await waitFor(
      "db-1 gone",
      async () => (await listPods(api, ns, "app=db")).every(p => p.metadata.name !== "db-1"),
      60_000,
    );
    await waitFor(
      "db-1 released",
      async () =>
        (await claimsOf(api, `${CLAIM_LABELS.podName}=db-1,${CLAIM_LABELS.podNamespace}=${ns}`))
          .length === 0,
    );
    await waitFor("db-1 endpoint gone", () =>
      api.get(`/apis/spiderpool.spidernet.io/v2beta1/namespaces/${ns}/spiderendpoints/db-1`).then(
        () => false,
        () => true,
      ),
    );
    assert.equal((await claimsOf(api, `${CLAIM_LABELS.pool}=sts-moved-v4`)).length, 1);
  });

  it("drops the IPv6 address, and keeps the IPv4 one, when the annotation stops naming an IPv6 pool", async () => {
    apply(statefulSet("sts-dual-v4", 1, "dual", "sts-dual-v6"));
    const [before] = await waitRunning(api, ns, "app=dual", 1);
    const v4 = before!.status!.podIPs!.map(x => x.ip).find(ip => !ip.includes(":"));
    assert.equal(before!.status!.podIPs!.length, 2);
    apply(statefulSet("sts-dual-v4", 1, "dual"));
    const after = await waitFor(
      "dual-0 re-created IPv4-only",
      async () => {
        const [p] = await listPods(api, ns, "app=dual");
        return p && p.metadata.uid !== before!.metadata.uid && p.status?.phase === "Running" && p;
      },
      120_000,
    );
    assert.deepEqual(
      after.status?.podIPs?.map(x => x.ip),
      [v4],
      "the IPv4 address is kept and no IPv6 address remains",
    );
    await waitFor(
      "sts-dual-v6 released",
      async () => (await claimsOf(api, `${CLAIM_LABELS.pool}=sts-dual-v6`)).length === 0,
    );
    const seen = await assertLedgerAgreesAll(api, [after]);
    assert.equal(seen["dual-0"]?.eth0?.length, 1);
  });
});
