import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { adminClient } from "../cluster/cluster.js";
import {
  assertLedgerAgreesAll,
  claimsOf,
  deleteNamespaceAndWait,
  deletePools,
} from "../support/allocation-ledger.js";
import { exampleObjects, exampleText } from "../support/examples.js";
import { apply, isRunning, listPods } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Which rule picks the pool (Spiderpool A00004–A00006, docs/reference/allocation.md#pool-sources), with docs/examples/allocation/default-pools.yaml:
 * Pod `ippools` > Pod `ippool` > Namespace defaults > netconf `default_ipv4_ippool` > cluster
 * default pools. The netconf rule is exercised the user-facing way: a NetworkAttachmentDefinition
 * whose IPAM section names its pool, attached through `k8s.v1.cni.cncf.io/networks`.
 */
describe("allocation: default pools and their precedence", function () {
  const EXAMPLE = "allocation/default-pools.yaml";
  const objects = exampleObjects(EXAMPLE);
  const pools = objects.filter(o => o.kind === "SpiderIPPool").map(o => o.metadata.name);
  const namespaces = objects.filter(o => o.kind === "Namespace").map(o => o.metadata.name);
  const podNames = objects
    .filter(o => o.kind === "Pod")
    .map(o => `${o.metadata.namespace}/${o.metadata.name}`);
  let api: ApiClient;
  let pods: Pod[] = [];

  before(() => {
    api = adminClient();
    apply(exampleText(EXAMPLE));
  });
  // The example creates a cluster default pool: it must not outlive this suite.
  after(async () => {
    for (const n of namespaces) await deleteNamespaceAndWait(api, n).catch(() => undefined);
    await deletePools(api, pools).catch(() => undefined);
    api.close();
  });

  const poolsOf = async (name: string) => {
    const p = pods.find(x => `${x.metadata.namespace}/${x.metadata.name}` === name);
    assert.ok(p, `no Pod ${name}`);
    const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`);
    return claims.map(c => `${c.spec.interface}:${c.spec.pool}`).sort();
  };

  it("runs every example Pod", async () => {
    pods = await waitFor(
      "every example Pod Running",
      async () => {
        const all = (await Promise.all(namespaces.map(n => listPods(api, n)))).flat();
        return all.length === podNames.length && all.every(isRunning) && all;
      },
      120_000,
    );
    assert.deepEqual(
      pods.map(p => `${p.metadata.namespace}/${p.metadata.name}`).sort(),
      [...podNames].sort(),
    );
  });

  it("takes the namespace default pool over the cluster default pool", async () => {
    assert.deepEqual(await poolsOf("alloc-defaults/from-namespace"), ["eth0:ns-default-v4"]);
  });

  it("takes the Pod's ippool annotation over the namespace and cluster defaults", async () => {
    assert.deepEqual(await poolsOf("alloc-defaults/from-pod-annotation"), ["eth0:pod-choice-v4"]);
  });

  it("takes the Pod's ippools annotation over its ippool annotation", async () => {
    assert.deepEqual(await poolsOf("alloc-defaults/ippools-wins"), ["eth0:pod-nics-v4"]);
  });

  it("falls back to the cluster default pool when nothing else applies", async () => {
    assert.deepEqual(await poolsOf("alloc-defaults-plain/from-cluster-default"), [
      "eth0:cluster-default-v4",
    ]);
  });

  it("takes the network's default_ipv4_ippool for the NIC it attaches, with its clean_gateway", async () => {
    assert.deepEqual(await poolsOf("alloc-defaults-plain/from-netconf"), [
      "eth0:cluster-default-v4",
      "net1:netconf-v4",
    ]);
    const p = pods.find(x => x.metadata.name === "from-netconf")!;
    const ep = await api.get<{
      status: { current: { ips: { interface: string; cleanGateway?: boolean }[] } };
    }>(
      `/apis/spiderpool.spidernet.io/v2beta1/namespaces/${p.metadata.namespace}/spiderendpoints/${p.metadata.name}`,
    );
    assert.deepEqual(ep.status.current.ips.map(d => `${d.interface}:${d.cleanGateway}`).sort(), [
      "eth0:false",
      "net1:true",
    ]);
  });

  it("keeps kernel, SpiderEndpoint, IPClaims and pool status in agreement, with no address twice", async () => {
    await assertLedgerAgreesAll(api, pods);
  });
});
