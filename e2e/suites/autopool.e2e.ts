import assert from "node:assert/strict";
import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import {
  adminClient,
  loadState,
  restartPeprWatcher,
  type ClusterState,
} from "../cluster/cluster.js";
import { isAlive, signalGroup } from "../cluster/daemon.js";
import { apply, listPods, waitGone, waitRunning } from "../support/kube.js";
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
  rangesOf,
  SP,
  subnetProblems,
} from "./autopool-checks.js";

/**
 * Fixed IPs for a Deployment from a SpiderSubnet (docs/reference/auto-pools.md): the watcher makes the pool, sizes it
 * to replicas + the flexible number as the Deployment scales, gives the addresses back when the
 * Deployment goes (or keeps the pool with ippool-reclaim "false"), and converges after a crash.
 * Runs the documented examples in docs/examples/autopool/.
 */
describe("autopool: a Deployment with addresses from a SpiderSubnet", function () {
  const ns = "autopool-demo";
  const subnet = "demo-v4-subnet";
  let api: ApiClient;

  before(() => {
    api = adminClient();
    applyExample("subnet.yaml");
  });
  after(async () => {
    for (const d of ["web", "keep", "crash", "crash2"])
      await api.delete(`/apis/apps/v1/namespaces/${ns}/deployments/${d}`).catch(() => undefined);
    await waitGone(api, ns, "app in (web,keep,crash,crash2)").catch(() => undefined);
    for (const p of await autoPoolsOf(api, "Deployment", ns, "keep"))
      await api.delete(`${SP}/spiderippools/${p.metadata.name}`).catch(() => undefined);
    await waitFor(
      "auto pools of the suite gone",
      async () => (await listPoolsOfSubnet(api, subnet)).length === 0,
      60_000,
    ).catch(() => undefined);
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

  /** The single auto pool of the Deployment, once it has `size` addresses and the subnet agrees. */
  async function poolAtSize(name: string, size: number): Promise<Pool> {
    return waitFor(
      `auto pool of ${name} at ${size} addresses, subnet consistent`,
      async () => {
        const pools = (await autoPoolsOf(api, "Deployment", ns, name)).filter(
          p => !p.metadata.deletionTimestamp,
        );
        if (pools.length !== 1 || poolAddresses(pools[0]!).length !== size) return undefined;
        return (await subnetProblems(api, subnet)).length === 0 ? pools[0] : undefined;
      },
      90_000,
    );
  }

  function assertInside(pods: Pod[], pool: Pool): void {
    const inPool = new Set(poolAddresses(pool));
    const ips = pods.map(p => p.status!.podIPs![0]!.ip);
    for (const ip of ips)
      assert.ok(
        inPool.has(ip),
        `pod address ${ip} is not in pool ${pool.metadata.name} (${pool.spec.ips?.join(",")})`,
      );
    assert.equal(new Set(ips).size, ips.length, `duplicate addresses: ${ips.join(" ")}`);
  }

  let web: Pool;

  it("creates pool auto4-web-eth0-<uid> with replicas + 1 addresses, Spiderpool's labels and podAffinity", async () => {
    applyExample("deployment.yaml");
    const pods = await waitRunning(api, ns, "app=web", 2);
    web = await poolAtSize("web", 3);
    const deploy = await api.get<{ metadata: { uid: string } }>(
      `/apis/apps/v1/namespaces/${ns}/deployments/web`,
    );
    const uidPart = deploy.metadata.uid.split("-").pop()!.slice(0, 5);
    assert.equal(web.metadata.name, `auto4-web-eth0-${uidPart}`);
    const l = web.metadata.labels!;
    assert.equal(l["ipam.spidernet.io/owner-application-uid"], deploy.metadata.uid);
    assert.equal(l["ipam.spidernet.io/owner-application-gv"], "apps_v1");
    assert.equal(l["ipam.spidernet.io/ippool-reclaim"], "true");
    assert.equal(l["ipam.spidernet.io/owner-spider-subnet"], subnet);
    assert.equal(web.metadata.annotations?.["ipam.spidernet.io/ippool-ip-number"], "+1");
    assert.deepEqual(web.spec.podAffinity?.matchLabels, {
      "ipam.spidernet.io/app-api-group": "apps",
      "ipam.spidernet.io/app-api-version": "v1",
      "ipam.spidernet.io/app-kind": "Deployment",
      "ipam.spidernet.io/app-namespace": ns,
      "ipam.spidernet.io/app-name": "web",
    });
    assert.equal(web.spec.gateway, "10.150.0.1", "the pool inherits the subnet's gateway");
    assertInside(pods, web);
    const s = await getSubnet(api, subnet);
    assert.equal(
      JSON.parse(s.status!.controlledIPPools!)[web.metadata.name].application,
      `apps_v1_Deployment_${ns}_web`,
    );
    assert.equal(s.status?.allocatedIPCount, 3);
  });

  it("grows to 6 when scaled to 5; every new Pod is served from it, none fails for lack of an address", async () => {
    await api.patch(`/apis/apps/v1/namespaces/${ns}/deployments/web`, { spec: { replicas: 5 } });
    const pods = await waitRunning(api, ns, "app=web", 5);
    web = await poolAtSize("web", 6);
    assertInside(pods, web);
    const events = await api.get<KubeList<{ message: string; involvedObject: { name: string } }>>(
      `/api/v1/namespaces/${ns}/events`,
      { fieldSelector: "reason=FailedCreatePodSandBox" },
    );
    const full = events.items.filter(
      e => e.involvedObject.name.startsWith("web-") && /used out|filtered out/.test(e.message),
    );
    assert.deepEqual(
      full.map(e => e.message),
      [],
      "a Pod failed for lack of an address in its pool",
    );
  });

  it("gives Pods deleted by hand addresses from the same set", async () => {
    const before = new Set(poolAddresses(web));
    const victims = (await listPods(api, ns, "app=web")).slice(0, 2);
    for (const p of victims) await api.delete(`/api/v1/namespaces/${ns}/pods/${p.metadata.name}`);
    const pods = await waitFor(
      "2 replacements Running",
      async () => {
        const all = await waitRunning(api, ns, "app=web", 5);
        return all.every(p => !victims.some(v => v.metadata.uid === p.metadata.uid))
          ? all
          : undefined;
      },
      90_000,
    );
    for (const p of pods)
      assert.ok(
        before.has(p.status!.podIPs![0]!.ip),
        `${p.metadata.name} got ${p.status!.podIPs![0]!.ip}, outside the pool's set`,
      );
    web = await poolAtSize("web", 6);
    assert.deepEqual(
      new Set(poolAddresses(web)),
      before,
      "the pool's set must not change for a same-size restart",
    );
  });

  it("shrinks to 2 when scaled to 1, keeping the address the remaining Pod holds", async () => {
    await api.patch(`/apis/apps/v1/namespaces/${ns}/deployments/web`, { spec: { replicas: 1 } });
    const [pod] = await waitRunning(api, ns, "app=web", 1);
    web = await poolAtSize("web", 2);
    assertInside([pod!], web);
    const claims = await claimsOfPool(api, web.metadata.name);
    assert.deepEqual(
      claims.map(c => c.spec.address),
      [pod!.status!.podIPs![0]!.ip],
    );
  });

  it("returns the pool's addresses to the subnet when the Deployment is deleted", async () => {
    const name = web.metadata.name;
    await api.delete(`/apis/apps/v1/namespaces/${ns}/deployments/web`);
    await waitGone(api, ns, "app=web");
    await waitFor(
      `pool ${name} gone`,
      () =>
        api.get(`${SP}/spiderippools/${name}`).then(
          () => false,
          () => true,
        ),
      60_000,
    );
    await waitFor(
      "subnet record dropped",
      async () => {
        const s = await getSubnet(api, subnet);
        return (
          !(s.status?.controlledIPPools ?? "").includes(name) &&
          (s.status?.allocatedIPCount ?? 0) === 0
        );
      },
      60_000,
    );
  });

  it("keeps the pool when ippool-reclaim is false; a same-name Deployment adopts it", async () => {
    applyExample("deployment-retained.yaml");
    await waitRunning(api, ns, "app=keep", 2);
    const first = await poolAtSize("keep", 3);
    const set = poolAddresses(first);
    await api.delete(`/apis/apps/v1/namespaces/${ns}/deployments/keep`);
    await waitGone(api, ns, "app=keep");
    await new Promise(r => setTimeout(r, 3000)); // room for a wrong deletion to show
    const kept = await autoPoolsOf(api, "Deployment", ns, "keep");
    assert.deepEqual(
      kept.map(p => [p.metadata.name, !!p.metadata.deletionTimestamp]),
      [[first.metadata.name, false]],
      "the retained pool must stay",
    );
    assert.equal(
      (await claimsOfPool(api, first.metadata.name)).length,
      0,
      "its addresses are released",
    );
    assert.equal((await subnetProblems(api, subnet)).length, 0);

    applyExample("deployment-retained.yaml");
    const pods = await waitRunning(api, ns, "app=keep", 2);
    const again = await poolAtSize("keep", 3);
    const uid = (
      await api.get<{ metadata: { uid: string } }>(
        `/apis/apps/v1/namespaces/${ns}/deployments/keep`,
      )
    ).metadata.uid;
    assert.equal(again.metadata.name, first.metadata.name, "the same pool is adopted");
    assert.equal(
      again.metadata.labels?.["ipam.spidernet.io/owner-application-uid"],
      uid,
      "and relabelled with the new UID",
    );
    assert.deepEqual(poolAddresses(again), set);
    assertInside(pods, again);

    // Reclaim switched on: deleting the Deployment now removes the pool (I00019).
    apply(
      exampleText("deployment-retained.yaml").replace(
        'ippool-reclaim: "false"',
        'ippool-reclaim: "true"',
      ),
    );
    await waitFor(
      "reclaim label true",
      async () =>
        (await autoPoolsOf(api, "Deployment", ns, "keep"))[0]?.metadata.labels?.[
          "ipam.spidernet.io/ippool-reclaim"
        ] === "true",
      60_000,
    );
    await api.delete(`/apis/apps/v1/namespaces/${ns}/deployments/keep`);
    await waitFor(
      "retained pool reclaimed",
      async () => (await autoPoolsOf(api, "Deployment", ns, "keep")).length === 0,
      90_000,
    );
  });

  it("converges after the watcher is killed during a scale-up and during a deletion: no leak, no duplicate", async () => {
    const state = loadState()!;
    apply(exampleText("deployment.yaml").replaceAll("web", "crash"));
    await waitRunning(api, ns, "app=crash", 2);
    await poolAtSize("crash", 3);

    await api.patch(`/apis/apps/v1/namespaces/${ns}/deployments/crash`, { spec: { replicas: 7 } });
    await new Promise(r => setTimeout(r, 150)); // mid-way: events in flight, maybe a write done
    await restartPeprWatcher(state, { kill: true });
    const pods = await waitRunning(api, ns, "app=crash", 7, 180_000);
    const pool = await poolAtSize("crash", 8);
    assertInside(pods, pool);

    // The states a crash between the two writes of a resize leaves, made by hand while no
    // watcher runs: (a) a record grown for a scale-up whose pool was not updated, (b) a record
    // written for a new Deployment whose pool was not created, (c) a record of a workload that
    // no longer exists. The restarted watcher must finish (a) and (b) with exactly the recorded
    // addresses and drop (c).
    await killWatcher(state);
    await api.patch(`/apis/apps/v1/namespaces/${ns}/deployments/crash`, { spec: { replicas: 9 } });
    apply(
      exampleText("deployment.yaml")
        .replaceAll("web", "crash2")
        .replace("replicas: 2", "replicas: 1"),
    );
    const uid2 = (
      await api.get<{ metadata: { uid: string } }>(
        `/apis/apps/v1/namespaces/${ns}/deployments/crash2`,
      )
    ).metadata.uid;
    const pool2 = `auto4-crash2-eth0-${uid2.split("-").pop()!.slice(0, 5)}`;
    const s0 = await getSubnet(api, subnet);
    const records = JSON.parse(s0.status!.controlledIPPools!) as Record<
      string,
      { ips: string[]; application?: string }
    >;
    const taken = new Set(Object.values(records).flatMap(r => rangesOf(r.ips).toAddressStrings()));
    const free = rangesOf(s0.spec.ips)
      .toAddressStrings()
      .filter(a => !taken.has(a));
    const grownCrash = [
      ...rangesOf(records[pool.metadata.name]!.ips).toAddressStrings(),
      ...free.slice(0, 2),
    ];
    records[pool.metadata.name] = {
      ips: grownCrash,
      application: `apps_v1_Deployment_${ns}_crash`,
    };
    records[pool2] = { ips: free.slice(2, 4), application: `apps_v1_Deployment_${ns}_crash2` };
    records["auto4-gone-eth0-00000"] = {
      ips: free.slice(4, 5),
      application: `apps_v1_Deployment_${ns}_gone`,
    };
    await api.replace(`${SP}/spidersubnets/${subnet}/status`, {
      ...s0,
      status: { ...s0.status, controlledIPPools: JSON.stringify(records) },
    });
    await restartPeprWatcher(state);
    const grown = await poolAtSize("crash", 10);
    assert.deepEqual(
      poolAddresses(grown).sort(),
      [...grownCrash].sort(),
      "the interrupted scale-up must finish with the recorded addresses",
    );
    const made = await waitFor(
      `pool ${pool2} created from its record`,
      () => api.get<Pool>(`${SP}/spiderippools/${pool2}`).catch(() => undefined),
      60_000,
    );
    assert.deepEqual(poolAddresses(made).sort(), free.slice(2, 4).sort());
    await waitFor(
      "the record of the missing workload dropped",
      async () =>
        !(await getSubnet(api, subnet)).status?.controlledIPPools?.includes(
          "auto4-gone-eth0-00000",
        ),
      60_000,
    );
    assertInside(await waitRunning(api, ns, "app=crash", 9, 180_000), grown);
    assertInside(await waitRunning(api, ns, "app=crash2", 1), made);
    assert.deepEqual(await subnetProblems(api, subnet), []);

    // Deleted while no watcher runs: the restarted one must find the orphaned pools on its own.
    const name = grown.metadata.name;
    await killWatcher(state);
    await api.delete(`/apis/apps/v1/namespaces/${ns}/deployments/crash`);
    await api.delete(`/apis/apps/v1/namespaces/${ns}/deployments/crash2`);
    await waitGone(api, ns, "app in (crash,crash2)");
    await restartPeprWatcher(state);
    for (const gone of [name, pool2])
      await waitFor(
        `orphaned pool ${gone} reclaimed`,
        () =>
          api.get(`${SP}/spiderippools/${gone}`).then(
            () => false,
            () => true,
          ),
        120_000,
      );
    await waitFor(
      "subnet accounting back to zero",
      async () => {
        const s = await getSubnet(api, subnet);
        return (
          (s.status?.allocatedIPCount ?? 0) === 0 &&
          !s.status?.controlledIPPools &&
          (await subnetProblems(api, subnet)).length === 0
        );
      },
      60_000,
    );
  });
});

async function killWatcher(state: ClusterState): Promise<void> {
  const watcher = state.pepr.find(d => d.name === "pepr-watcher")!;
  signalGroup(watcher.pid, "SIGKILL");
  await waitFor("watcher dead", async () => !isAlive(watcher), 10_000);
}

async function listPoolsOfSubnet(api: ApiClient, subnet: string): Promise<Pool[]> {
  return (
    await api.get<KubeList<Pool>>(`${SP}/spiderippools`, {
      labelSelector: `ipam.spidernet.io/owner-spider-subnet=${subnet}`,
    })
  ).items;
}
