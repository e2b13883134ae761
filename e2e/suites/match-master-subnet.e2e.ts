import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { adminClient, loadState, restartAgent, type ClusterState } from "../cluster/cluster.js";
import { ip } from "../cluster/netns.js";
import { claimsOf, deleteNamespaceAndWait, deletePools } from "../support/allocation-ledger.js";
import { apply, listPods, podEvents, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";

/**
 * `match_master_subnet` (docs/usage/match-master-subnet.md) without SR-IOV hardware: on one node a
 * macvlan named like a PF (`enp59s0f0`) sits on the fabric with an address in 10.170.0.0/24, and
 * a NetworkAttachmentDefinition puts net1 on it with the flag set. The agent reads the master in
 * the node's network namespace, which stands for the host here (SPIDERPOOL_TEST_HOST_NETNS).
 */
describe("match master subnet: only pools of the master's subnet serve the NIC", function () {
  const ns = "match-master";
  const MASTER = "enp59s0f0";
  const pools = ["mms-eth0", "mms-right", "mms-wrong"];
  let api: ApiClient;
  let state: ClusterState;
  let node: string;
  let netns: string;

  before(async () => {
    api = adminClient();
    state = loadState()!;
    const sim = state.nodes[0]!;
    node = sim.name;
    netns = sim.netns;
    ip("-n", netns, "link", "add", MASTER, "link", "eth0", "type", "macvlan", "mode", "bridge");
    ip("-n", netns, "addr", "add", "10.170.0.2/24", "dev", MASTER);
    ip("-n", netns, "link", "set", MASTER, "up");
    const handle = netns.startsWith("/") ? netns : `/run/netns/${netns}`;
    await restartAgent(state, node, { env: { SPIDERPOOL_TEST_HOST_NETNS: handle } });
    const nad = (name: string, ipam: Record<string, unknown>) =>
      JSON.stringify({
        cniVersion: "1.0.0",
        name,
        type: "macvlan",
        master: MASTER,
        mode: "bridge",
        ipam: { type: "spiderpool", ...ipam },
      });
    apply(`apiVersion: v1
kind: Namespace
metadata: { name: ${ns} }
---
# eth0 of the suite's Pods: a cluster default pool, for this namespace only, so that net1 takes
# its pools from its netconf.
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: { name: mms-eth0 }
spec: { subnet: 10.172.0.0/24, ips: [10.172.0.10-10.172.0.20], default: true, namespaceName: [${ns}] }
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: { name: mms-right }
spec: { subnet: 10.170.0.0/24, ips: [10.170.0.10-10.170.0.20] }
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: { name: mms-wrong }
spec: { subnet: 10.171.0.0/24, ips: [10.171.0.10-10.171.0.20] }
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: { name: vf-net, namespace: ${ns} }
spec:
  config: '${nad("vf-net", { match_master_subnet: true, default_ipv4_ippool: ["mms-wrong", "mms-right"] })}'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: { name: vf-net-none, namespace: ${ns} }
spec:
  config: '${nad("vf-net-none", { match_master_subnet: true, default_ipv4_ippool: ["mms-wrong"] })}'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: { name: vf-net-off, namespace: ${ns} }
spec:
  config: '${nad("vf-net-off", { default_ipv4_ippool: ["mms-wrong"] })}'
`);
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await deletePools(api, pools).catch(() => undefined);
    try {
      ip("-n", netns, "link", "del", MASTER);
    } catch {
      // already gone
    }
    await restartAgent(state, node);
    api.close();
  });

  const pod = (name: string, network: string) =>
    apply(`apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
  annotations: { k8s.v1.cni.cncf.io/networks: ${network} }
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 2
  containers: [{ name: c, image: registry.invalid/pause }]
`);
  const net1PoolOf = async (name: string) => {
    const [p] = await waitRunning(api, ns, `app=${name}`, 1);
    const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${p!.metadata.uid}`);
    return claims
      .filter(c => c.spec.interface === "net1")
      .map(c => `${c.spec.pool} ${c.spec.address}`);
  };

  it("skips the pool whose subnet is not on the master and allocates from the one that is", async () => {
    pod("on-master", "vf-net");
    const got = await net1PoolOf("on-master");
    assert.equal(got.length, 1, got.join(","));
    assert.match(got[0]!, /^mms-right 10\.170\.0\.(1\d|20)$/);
  });

  it("without the flag the same pool order takes the first pool, off the master's subnet", async () => {
    pod("flag-off", "vf-net-off");
    const got = await net1PoolOf("flag-off");
    assert.equal(got.length, 1, got.join(","));
    assert.match(got[0]!, /^mms-wrong 10\.171\.0\./);
  });

  it("refuses the ADD when no pool matches, naming the pools, the master and its addresses", async () => {
    pod("no-match", "vf-net-none");
    const ev = await waitFor(
      "FailedCreatePodSandBox on no-match",
      async () =>
        (await podEvents(api, ns, "no-match")).find(e => e.reason === "FailedCreatePodSandBox"),
      90_000,
    );
    assert.match(ev.message, /all IPv4 IPPools \[mms-wrong\] of net1 filtered out/);
    assert.match(
      ev.message,
      /the ippool's subnet "10\.171\.0\.0\/24" not found on pod's PF "enp59s0f0" \(addresses of enp59s0f0: [^)]*10\.170\.0\.2/,
    );
    const p = (await listPods(api, ns, "app=no-match"))[0]!;
    const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`);
    assert.deepEqual(
      claims.filter(c => c.spec.interface === "net1"),
      [],
      "nothing is claimed for net1",
    );
  });
});
