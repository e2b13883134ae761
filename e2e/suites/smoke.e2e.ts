import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { adminClient } from "../cluster/cluster.js";
import { addressesIn, listNetns } from "../cluster/netns.js";
import {
  apply,
  createNamespace,
  deleteNamespace,
  listPods,
  waitGone,
  waitRunning,
} from "../support/kube.js";
import { sandboxOf } from "../support/sandboxes.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The foundation: real controllers create pods, the real scheduler binds them, simulated nodes
 * run the real CNI chain. Every address asserted here is read from inside the pod's namespace.
 */
describe("smoke: workloads on simulated nodes with real CNI plugins", function () {
  const ns = `smoke-${Date.now().toString(36)}`;
  let api: ApiClient;

  before(async () => {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${ns}}
spec: {subnet: 10.250.0.0/16, ips: ["10.250.1.1-10.250.1.50"], gateway: 10.250.0.1}
`);
    // The namespace's default pool (Spiderpool's namespace annotation) serves every pod here.
    await createNamespace(
      api,
      ns,
      {},
      { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([ns]) },
    );
  });
  after(async () => {
    await deleteNamespace(api, ns);
    await waitGone(api, ns, "app").catch(() => undefined);
    await api
      .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${ns}`)
      .catch(() => undefined);
    api.close();
  });

  const workloads = (statefulReplicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 5
      # one replica per node, so the three pods land on three different simulated nodes
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}
      containers: [{name: c, image: registry.invalid/pause}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${ns}}
spec:
  replicas: ${statefulReplicas}
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 5
      containers: [{name: c, image: registry.invalid/pause}]
`;

  let web: Pod[] = [];
  let db: Pod[] = [];

  it("runs a 3-replica Deployment across 3 nodes and a 2-replica StatefulSet", async () => {
    apply(workloads(2));
    web = await waitRunning(api, ns, "app=web", 3);
    db = await waitRunning(api, ns, "app=db", 2);
    assert.equal(
      new Set(web.map(p => p.spec.nodeName)).size,
      3,
      "web pods must be on 3 different nodes",
    );
    assert.deepEqual(db.map(p => p.metadata.name).sort(), ["db-0", "db-1"]);
  });

  it("reports the address configured inside each pod's network namespace", async () => {
    for (const p of [...web, ...db]) {
      const sb = sandboxOf(p.spec.nodeName!, p.metadata.uid!);
      assert.ok(sb, `no sandbox for ${p.metadata.name} on ${p.spec.nodeName}`);
      const inside = (await addressesIn(sb.netns, "eth0")).map(a => a.split("/")[0]);
      assert.ok(inside.length > 0, `${p.metadata.name}: eth0 has no global address in ${sb.netns}`);
      assert.deepEqual(
        p.status?.podIPs?.map(x => x.ip).sort(),
        [...inside].sort(),
        `${p.metadata.name}: pod status disagrees with the netns`,
      );
    }
    const all = [...web, ...db].flatMap(p => p.status?.podIPs?.map(x => x.ip) ?? []);
    assert.equal(new Set(all).size, all.length, `duplicate pod addresses: ${all.join(" ")}`);
  });

  it("lets pods on different nodes reach each other over the shared L2 segment", () => {
    const [a, b] = web;
    assert.ok(a && b && a.spec.nodeName !== b.spec.nodeName);
    const from = sandboxOf(a.spec.nodeName!, a.metadata.uid!)!.netns;
    const to = b.status!.podIPs![0]!.ip;
    const out = execFileSync("ip", ["netns", "exec", from, "ping", "-c", "2", "-W", "2", to], {
      encoding: "utf8",
    });
    assert.match(out, / 0% packet loss/);
  });

  it("removes the pods' network namespaces when the Deployment is deleted (CNI DEL ran)", async () => {
    const netns = web.map(p => sandboxOf(p.spec.nodeName!, p.metadata.uid!)!.netns);
    await api.delete(`/apis/apps/v1/namespaces/${ns}/deployments/web`, {
      propagationPolicy: "Foreground",
    });
    await waitGone(api, ns, "app=web");
    const left = listNetns().filter(n => netns.includes(n));
    assert.deepEqual(left, [], "network namespaces of deleted pods remain");
  });

  it("removes the highest ordinal when the StatefulSet scales down", async () => {
    const victim = db.find(p => p.metadata.name === "db-1")!;
    const victimNetns = sandboxOf(victim.spec.nodeName!, victim.metadata.uid!)!.netns;
    await api.patch(`/apis/apps/v1/namespaces/${ns}/statefulsets/db`, { spec: { replicas: 1 } });
    await waitFor("db-1 gone", async () =>
      (await listPods(api, ns, "app=db")).every(p => p.metadata.name !== "db-1"),
    );
    const left = await listPods(api, ns, "app=db");
    assert.deepEqual(
      left.map(p => p.metadata.name),
      ["db-0"],
    );
    assert.equal(
      left[0]?.metadata.uid,
      db.find(p => p.metadata.name === "db-0")?.metadata.uid,
      "db-0 must not be recreated",
    );
    assert.ok(!listNetns().includes(victimNetns), `netns ${victimNetns} of db-1 remains`);
  });
});
