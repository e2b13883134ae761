import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { adminClient } from "../cluster/cluster.js";
import { apply, createNamespace, listPods, waitGone, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import {
  deleteNamespaceAndWait,
  getSubnet,
  listPools,
  type Pool,
  poolAddresses,
  SP,
  subnetProblems,
} from "./autopool-checks.js";

/**
 * Many workloads against one subnet at once (I00006/I00008 in spirit): 20 Deployments created in
 * one `kubectl apply`, each asking replicas + 1 from a subnet of 70 addresses (60 needed). Every
 * pool must get its own addresses, every Pod must run with an address of its own pool, and the
 * subnet's accounting must be exact after creation, after scaling all of them at once, and after
 * deleting them all.
 */
describe("autopool: 20 Deployments from one subnet at once", function () {
  const ns = "autopool-many";
  const subnet = "autopool-many-v4";
  const count = 20;
  const names = Array.from({ length: count }, (_, i) => `app-${String(i).padStart(2, "0")}`);
  let api: ApiClient;

  before(async () => {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata: {name: ${subnet}}
spec: {subnet: 10.151.0.0/16, ips: ["10.151.1.1-10.151.1.70"]}
`);
    await createNamespace(api, ns);
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns);
    await waitFor(
      "pools of the subnet gone",
      async () => (await poolsOf()).length === 0,
      90_000,
    ).catch(() => undefined);
    await api.delete(`${SP}/spidersubnets/${subnet}`).catch(() => undefined);
    await waitFor(
      "subnet gone",
      () =>
        getSubnet(api, subnet).then(
          () => false,
          () => true,
        ),
      60_000,
    ).catch(() => undefined);
    api.close();
  });

  const poolsOf = () => listPools(api, `ipam.spidernet.io/owner-spider-subnet=${subnet}`);

  const deployments = (replicas: number) =>
    names
      .map(
        name => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}, suite: many}
      annotations:
        ipam.spidernet.io/subnet: '{"ipv4": ["${subnet}"]}'
        ipam.spidernet.io/ippool-ip-number: "+1"
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: registry.invalid/pause}]
`,
      )
      .join("---");

  /** Each Deployment's pool has `size` addresses and its Pods run inside it; pools disjoint; subnet exact. */
  async function checkAll(replicas: number): Promise<void> {
    const pods: Pod[] = await waitRunning(api, ns, "suite=many", count * replicas, 240_000);
    const pools = await waitFor(
      `${count} pools of ${replicas + 1} addresses, subnet consistent`,
      async () => {
        const ps = (await poolsOf()).filter(p => !p.metadata.deletionTimestamp);
        if (ps.length !== count || ps.some(p => poolAddresses(p).length !== replicas + 1))
          return undefined;
        return (await subnetProblems(api, subnet)).length === 0 ? ps : undefined;
      },
      120_000,
    );
    const owner = new Map<string, Pool>();
    for (const p of pools) {
      for (const a of poolAddresses(p)) {
        assert.ok(
          !owner.has(a),
          `${a} is in both ${owner.get(a)?.metadata.name} and ${p.metadata.name}`,
        );
        owner.set(a, p);
      }
    }
    const ips = pods.map(p => p.status!.podIPs![0]!.ip);
    assert.equal(new Set(ips).size, ips.length, "two Pods share an address");
    for (const pod of pods) {
      const ip = pod.status!.podIPs![0]!.ip;
      const app = pod.metadata.labels!.app!;
      assert.equal(
        owner.get(ip)?.metadata.labels?.["ipam.spidernet.io/owner-application-name"],
        app,
        `${pod.metadata.name} has ${ip}, not from its own pool`,
      );
    }
    const s = await getSubnet(api, subnet);
    assert.equal(s.status?.allocatedIPCount, count * (replicas + 1));
    assert.equal(s.status?.totalIPCount, 70);
  }

  it("creates 20 disjoint pools of 3, every Pod Running inside its own pool, allocatedIPCount exactly 60", async () => {
    apply(deployments(2));
    await checkAll(2);
  });

  it("scaled all at once to 1: 20 pools of 2, allocatedIPCount exactly 40", async () => {
    await Promise.all(
      names.map(n =>
        api.patch(`/apis/apps/v1/namespaces/${ns}/deployments/${n}`, { spec: { replicas: 1 } }),
      ),
    );
    await waitFor(
      "surplus pods gone",
      async () => (await listPods(api, ns, "suite=many")).length === count,
      120_000,
    );
    await checkAll(1);
  });

  it("deleted all at once: no pool left, allocatedIPCount 0, no record left", async () => {
    await Promise.all(
      names.map(n => api.delete(`/apis/apps/v1/namespaces/${ns}/deployments/${n}`)),
    );
    await waitGone(api, ns, "suite=many", 120_000);
    await waitFor("pools gone", async () => (await poolsOf()).length === 0, 120_000);
    const s = await waitFor(
      "subnet emptied",
      async () => {
        const x = await getSubnet(api, subnet);
        return (x.status?.allocatedIPCount ?? 0) === 0 && !x.status?.controlledIPPools
          ? x
          : undefined;
      },
      60_000,
    );
    assert.equal(s.status?.totalIPCount, 70);
  });
});
