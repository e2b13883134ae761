import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { adminClient } from "../cluster/cluster.js";
import { listPods, waitGone, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import {
  applyExample,
  autoPoolsOf,
  claimsOfPool,
  deleteNamespaceAndWait,
  exampleText,
  getSubnet,
  type Pool,
  poolAddresses,
  SP,
  subnetProblems,
} from "./autopool-checks.js";
import { apply } from "../support/kube.js";

/**
 * StatefulSet Pods keep their addresses by name (docs/reference/allocation.md#statefulset-pods): across a restart on the same node,
 * across a move to another node, and from an auto pool that follows the StatefulSet's replicas.
 * Scale-down releases the removed ordinals, scale-up allocates new ones, and changing the
 * annotated pool moves each Pod to the new pool when it restarts.
 */
describe("statefulset: addresses that follow the Pod name", function () {
  const ns = "autopool-demo";
  const subnet = "demo-v4-subnet";
  let api: ApiClient;
  const cordoned: string[] = [];

  before(() => {
    api = adminClient();
    applyExample("subnet.yaml");
  });
  after(async () => {
    for (const n of cordoned)
      await api
        .patch(`/api/v1/nodes/${n}`, { spec: { unschedulable: false } })
        .catch(() => undefined);
    for (const s of ["db", "cache"])
      await api.delete(`/apis/apps/v1/namespaces/${ns}/statefulsets/${s}`).catch(() => undefined);
    await waitGone(api, ns, "app in (db,cache)").catch(() => undefined);
    await waitFor(
      "auto pools gone",
      async () => (await autoPoolsOf(api, "StatefulSet", ns, "db")).length === 0,
      60_000,
    ).catch(() => undefined);
    for (const p of ["demo-sts-pool-a", "demo-sts-pool-b"])
      await api.delete(`${SP}/spiderippools/${p}`).catch(() => undefined);
    await deleteNamespaceAndWait(api, ns);
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

  const ipOf = (p: Pod) => p.status!.podIPs![0]!.ip;
  const byName = (pods: Pod[]) => new Map(pods.map(p => [p.metadata.name, p]));

  async function dbPool(size: number): Promise<Pool> {
    return waitFor(
      `auto pool of db at ${size}`,
      async () => {
        const ps = (await autoPoolsOf(api, "StatefulSet", ns, "db")).filter(
          p => !p.metadata.deletionTimestamp,
        );
        return ps.length === 1 &&
          poolAddresses(ps[0]!).length === size &&
          (await subnetProblems(api, subnet)).length === 0
          ? ps[0]
          : undefined;
      },
      90_000,
    );
  }

  /** Deletes a Pod and waits for its successor of the same name (a new UID) to run. */
  async function recreate(name: string): Promise<Pod> {
    const old = (await listPods(api, ns, "app=db")).find(p => p.metadata.name === name)!;
    await api.delete(`/api/v1/namespaces/${ns}/pods/${name}`);
    return waitFor(
      `${name} running again`,
      async () => {
        const p = (await listPods(api, ns, "app=db")).find(x => x.metadata.name === name);
        return p &&
          p.metadata.uid !== old.metadata.uid &&
          p.status?.phase === "Running" &&
          p.status.podIPs?.length
          ? p
          : undefined;
      },
      120_000,
    );
  }

  let first: Map<string, Pod>;

  it("runs db-0..2 with addresses from its auto pool of replicas + 1", async () => {
    applyExample("statefulset.yaml");
    first = byName(await waitRunning(api, ns, "app=db", 3, 120_000));
    const pool = await dbPool(4);
    for (const p of first.values())
      assert.ok(
        poolAddresses(pool).includes(ipOf(p)),
        `${p.metadata.name} ${ipOf(p)} not in ${pool.metadata.name}`,
      );
    const claims = await claimsOfPool(api, pool.metadata.name);
    assert.ok(
      claims.every(c => c.spec.static === true),
      "StatefulSet claims are marked static",
    );
  });

  it("keeps db-1's address when it is deleted and comes back", async () => {
    const again = await recreate("db-1");
    assert.equal(ipOf(again), ipOf(first.get("db-1")!));
  });

  it("keeps db-0's address when it moves to another node (its node cordoned)", async () => {
    const node = first.get("db-0")!.spec.nodeName!;
    await api.patch(`/api/v1/nodes/${node}`, { spec: { unschedulable: true } });
    cordoned.push(node);
    const moved = await recreate("db-0");
    assert.notEqual(moved.spec.nodeName, node, "db-0 must land on another node");
    assert.equal(ipOf(moved), ipOf(first.get("db-0")!));
    const [claim] = (await claimsOfPool(api, (await dbPool(4)).metadata.name)).filter(
      c => c.spec.podName === "db-0",
    );
    assert.equal(claim?.spec.podUID, moved.metadata.uid, "the claim follows the new Pod");
    assert.equal(claim?.spec.node, moved.spec.nodeName);
    await api.patch(`/api/v1/nodes/${node}`, { spec: { unschedulable: false } });
    cordoned.pop();
  });

  it("releases the removed ordinals on scale-down to 1, and the pool shrinks to 2 around db-0", async () => {
    await api.patch(`/apis/apps/v1/namespaces/${ns}/statefulsets/db`, { spec: { replicas: 1 } });
    await waitFor(
      "db-1, db-2 gone",
      async () => (await listPods(api, ns, "app=db")).length === 1,
      90_000,
    );
    const pool = await dbPool(2);
    const claims = await claimsOfPool(api, pool.metadata.name);
    assert.deepEqual(
      claims.map(c => [c.spec.podName, c.spec.address]),
      [["db-0", ipOf(first.get("db-0")!)]],
    );
  });

  it("allocates new ordinals on scale-up to 3 from the regrown pool", async () => {
    await api.patch(`/apis/apps/v1/namespaces/${ns}/statefulsets/db`, { spec: { replicas: 3 } });
    const pods = await waitRunning(api, ns, "app=db", 3, 120_000);
    const pool = await dbPool(4);
    for (const p of pods) assert.ok(poolAddresses(pool).includes(ipOf(p)));
    assert.equal(
      ipOf(byName(pods).get("db-0")!),
      ipOf(first.get("db-0")!),
      "db-0 keeps its address throughout",
    );
    assert.equal(new Set(pods.map(ipOf)).size, 3);
  });

  it("moves each Pod to the newly annotated pool when it restarts", async () => {
    applyExample("statefulset-pool-move.yaml");
    const inA = await waitRunning(api, ns, "app=cache", 2, 120_000);
    const a = new Set(poolAddresses(await api.get<Pool>(`${SP}/spiderippools/demo-sts-pool-a`)));
    for (const p of inA) assert.ok(a.has(ipOf(p)), `${p.metadata.name} not in pool a`);
    // A rolling update restarts cache-1 then cache-0 with the new annotation.
    apply(
      exampleText("statefulset-pool-move.yaml").replace(
        '{"ipv4": ["demo-sts-pool-a"]}',
        '{"ipv4": ["demo-sts-pool-b"]}',
      ),
    );
    const b = new Set(poolAddresses(await api.get<Pool>(`${SP}/spiderippools/demo-sts-pool-b`)));
    const moved = await waitFor(
      "both cache Pods running with pool b addresses",
      async () => {
        const pods = await listPods(api, ns, "app=cache");
        return pods.length === 2 &&
          pods.every(
            p => p.status?.phase === "Running" && p.status.podIPs?.length && b.has(ipOf(p)),
          )
          ? pods
          : undefined;
      },
      180_000,
    );
    assert.equal(moved.length, 2);
    assert.deepEqual(
      await claimsOfPool(api, "demo-sts-pool-a"),
      [],
      "pool a's addresses are released",
    );
  });
});
