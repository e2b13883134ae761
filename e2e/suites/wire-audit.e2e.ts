import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { adminClient, loadState, type ClusterState } from "../cluster/cluster.js";
import { fabricNetns } from "../cluster/fabric.js";
import { ip, listNetns } from "../cluster/netns.js";
import { apply, createNamespace, deleteNamespace, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import { assertWireClean, wireAudit } from "../support/wire-audit.js";

/**
 * The wire audit every fault scenario ends with must be able to fail: foreign hosts are plugged
 * into the fabric holding an address someone else holds too, and the audit has to name it, for
 * IPv4 (ARP) and IPv6 (neighbour discovery), and for a Running Pod's own address.
 */
describe("wire audit: sees an address answered by two hosts", function () {
  const ns = `wireaudit-${Date.now().toString(36)}`;
  let api: ApiClient;
  let state: ClusterState;
  const planted: string[] = [];

  /** A foreign host on the fabric: its own namespace and veth on the bridge, holding `addresses`. */
  const plant = (name: string, addresses: string[]) => {
    const host = `${state.netnsPrefix}-${name}`;
    const port = `v-${name}`.slice(0, 15);
    ip("netns", "add", host);
    planted.push(host);
    ip("-n", host, "link", "set", "lo", "up");
    ip(
      "link",
      "add",
      "eth0",
      "netns",
      host,
      "type",
      "veth",
      "peer",
      "name",
      port,
      "netns",
      fabricNetns(state.netnsPrefix),
    );
    ip("-n", fabricNetns(state.netnsPrefix), "link", "set", port, "master", "br0", "up");
    // nodad: a real second holder would lose DAD and go quiet; this one must answer as a misconfigured host does.
    for (const a of addresses)
      ip("-n", host, "addr", "add", a, "dev", "eth0", ...(a.includes(":") ? ["nodad"] : []));
    ip("-n", host, "link", "set", "eth0", "up");
  };
  const unplant = () => {
    for (const h of planted.splice(0)) if (listNetns().includes(h)) ip("netns", "delete", h);
  };

  before(async function () {
    state = loadState()!;
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${ns}}
spec: {subnet: 10.187.0.0/24, ips: ["10.187.0.1-10.187.0.10"], gateway: 10.187.0.254}
`);
    await createNamespace(
      api,
      ns,
      {},
      { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([ns]) },
    );
  });

  afterEach(unplant);

  after(async function () {
    if (!api) return;
    unplant();
    await deleteNamespace(api, ns);
    await waitFor(
      `namespace ${ns} gone`,
      () =>
        api.get(`/api/v1/namespaces/${ns}`).then(
          () => false,
          () => true,
        ),
      120_000,
    ).catch(() => undefined);
    await api
      .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${ns}`)
      .catch(() => undefined);
    api.close();
  });

  it("reports an IPv4 and an IPv6 address held by two foreign hosts, and not the ones held once", async function () {
    plant("dupa", ["10.187.0.100/24", "10.187.0.101/24", "fd00:187::100/64", "fd00:187::101/64"]);
    plant("dupb", ["10.187.0.100/24", "fd00:187::100/64"]);
    const audit = await wireAudit(state.netnsPrefix, [
      "10.187.0.100",
      "10.187.0.101",
      "10.187.0.102",
      "fd00:187::100",
      "fd00:187::101",
      "fd00:187::102",
    ]);
    assert.deepEqual(audit.duplicates, ["10.187.0.100", "fd00:187::100"]);
    assert.equal(
      audit.answered.get("10.187.0.100")?.length,
      2,
      "two MACs answered ARP for the doubled IPv4 address",
    );
    assert.equal(
      audit.answered.get("fd00:187::100")?.length,
      2,
      "two MACs answered NDP for the doubled IPv6 address",
    );
    assert.equal(audit.answered.get("10.187.0.101")?.length, 1);
    assert.equal(audit.answered.get("fd00:187::101")?.length, 1);
    assert.ok(
      !audit.answered.has("10.187.0.102") && !audit.answered.has("fd00:187::102"),
      "nobody holds .102",
    );
  });

  it("fails the scenario's audit step when a foreign host answers for a Running Pod's address, and passes once it left", async function () {
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: victim, namespace: ${ns}, labels: {app: victim}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: registry.invalid/pause}]
`);
    const [pod] = await waitRunning(api, ns, "app=victim", 1);
    const address = pod!.status!.podIPs![0]!.ip;
    plant("thief", [`${address}/24`]);
    await assert.rejects(
      assertWireClean(api, state, "with a foreign host holding the Pod's address"),
      (e: Error) =>
        e.message.includes(`${address}:`) &&
        e.message.includes("unknown host") &&
        e.message.includes("-p"),
      "the audit names the address, the foreign host and the Pod's sandbox",
    );
    unplant();
    const clean = await assertWireClean(api, state, "after the foreign host left");
    assert.equal(clean.answered.get(address)?.length, 1, "the Pod alone answers for its address");
  });
});
