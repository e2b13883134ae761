import assert from "node:assert/strict";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import { IMPORTED_ANNOTATION } from "../../lib/core/base/well-known-names.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import type { SpiderIPPool } from "../../lib/schemas/ippool.js";
import {
  adminClient,
  loadState,
  restartPeprWatcher,
  type ClusterState,
} from "../cluster/cluster.js";
import { stopDaemon, type Daemon } from "../cluster/daemon.js";
import {
  apply,
  createNamespace,
  deleteNamespace,
  isRunning,
  listPods,
  podEvents,
  waitRunning,
} from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";

const POOLS = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";
/** Eight addresses: three held by the "Spiderpool" pods, one by a pod that is gone, four left. */
const FIRST = 1;
const LAST = 8;
const addr = (i: number) => `10.186.0.${i}`;

/**
 * Migration from a live Spiderpool (docs/usage/migrate-from-spiderpool.md). The cluster is put
 * in the state Spiderpool leaves behind: pods running at addresses of a pool, their SpiderEndpoints,
 * and the pool's `status.allocatedIPs` listing them — and no IPClaims. The pods really run at
 * those addresses (sandboxes on the fabric): our agents set them up while our watcher was not
 * running, then the claims were deleted and the status written through the status subresource,
 * as Spiderpool's agent writes it. One more record names a pod that no longer exists.
 *
 * Then our watcher starts ("install"), and: until it has imported the pool, a new pod of the pool
 * is refused with a message naming the pool; after, the new pods fill the pool without ever
 * getting a recorded address, the status still lists the records, and the import shows as an
 * Event on the pool and in the watcher's metrics. Without the import, the status projection would
 * erase the records at once and the new pods would be handed the running pods' addresses.
 */
describe("migration: a pool whose status.allocatedIPs Spiderpool wrote for running pods", function () {
  const ns = `migr-${Date.now().toString(36)}`;
  const pool = ns;
  let api: ApiClient;
  let state: ClusterState;
  let watcherStopped = false;
  let old: Pod[] = [];
  const liveAddresses = new Set<string>();

  const podYaml = (name: string, app: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${app}}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: registry.invalid/pause}]
`;
  const claimsOfPool = async () =>
    (
      await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, {
        labelSelector: `ipam.pepr-spiderpool.io/pool=${pool}`,
      })
    ).items;
  const poolNow = () => api.get<Stored<SpiderIPPool>>(`${POOLS}/${pool}`);

  before(async function () {
    state = loadState()!;
    api = adminClient();
    await createNamespace(
      api,
      ns,
      {},
      { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([pool]) },
    );
    // Our watcher is "not installed yet": nothing imports, projects status or collects garbage.
    const watcher = state.pepr.find(d => d.name === "pepr-watcher") as Daemon;
    await stopDaemon(watcher);
    watcherStopped = true;
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${pool}}
spec: {subnet: 10.186.0.0/24, ips: ["${addr(FIRST)}-${addr(LAST)}"], gateway: 10.186.0.254}
`);
    for (let i = 0; i < 3; i++) apply(podYaml(`old-${i}`, "old"));
    old = await waitRunning(api, ns, "app=old", 3);
    for (const p of old) liveAddresses.add(p.status!.podIPs![0]!.ip);
    // Spiderpool's ledger: one record per running pod, plus one for a pod deleted long ago.
    const records: Record<string, { pod: string; podUid: string }> = {};
    for (const p of old)
      records[p.status!.podIPs![0]!.ip] = {
        pod: `${ns}/${p.metadata.name}`,
        podUid: p.metadata.uid!,
      };
    const ghost = [...Array(LAST).keys()]
      .map(i => addr(i + FIRST))
      .find(a => !liveAddresses.has(a))!;
    records[ghost] = {
      pod: `${ns}/deleted-long-ago`,
      podUid: "00000000-0000-0000-0000-00000000dead",
    };
    await api.patch(
      `${POOLS}/${pool}/status`,
      { status: { allocatedIPs: JSON.stringify(records), allocatedIPCount: 4 } },
      "merge",
    );
    // Spiderpool has no claims: ours go, the pods and their sandboxes stay. Each node's agent
    // claims a running Pod's address again on its own (docs/concepts/gc.md, claims against
    // reality), as it would right after an install; the ghost record stays uncovered, which is
    // what keeps the pool closed until the import.
    const deleted = await claimsOfPool();
    for (const c of deleted) await api.delete(`${CLAIMS_PATH}/${c.metadata.name}`);
    const gone = new Set(deleted.map(c => c.metadata.uid));
    await waitFor(
      "the deleted claims gone",
      async () => !(await claimsOfPool()).some(c => gone.has(c.metadata.uid)),
      30_000,
    );
    assert.ok(
      !(await claimsOfPool()).some(c => c.spec.address === ghost),
      "the ghost record's address is claimed before the import",
    );
  });

  after(async function () {
    if (!api) return;
    if (watcherStopped) await restartPeprWatcher(state);
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
    // The gone pod's claim is IP GC's to judge; do not wait for it to delete the pool.
    for (const c of await claimsOfPool().catch(() => []))
      await api.delete(`${CLAIMS_PATH}/${c.metadata.name}`).catch(() => undefined);
    await api.delete(`${POOLS}/${pool}`).catch(() => undefined);
    api.close();
  });

  it("before the import, a new pod of the pool is refused with the pool and the reason", async function () {
    apply(podYaml("new-0", "new"));
    const refusal = await waitFor(
      "new-0's sandbox refused",
      async () =>
        (await podEvents(api, ns, "new-0")).find(
          e =>
            e.reason === "FailedCreatePodSandBox" &&
            e.message.includes("not usable until the watcher imports it"),
        ),
      60_000,
    );
    assert.match(
      refusal.message,
      new RegExp(
        `pool ${pool}: not usable until the watcher imports it: \\d of Spiderpool's allocation records`,
      ),
    );
    const [p] = await listPods(api, ns, "app=new");
    assert.ok(p && !isRunning(p), "new-0 runs although the pool is not imported");
    const stored = await poolNow();
    assert.equal(
      Object.keys(JSON.parse(stored.status?.allocatedIPs ?? "{}") as object).length,
      4,
      "the records are no longer all in the status",
    );
  });

  it("after the install, the records are claims, the pool is marked, and the import is reported", async function () {
    await restartPeprWatcher(state);
    watcherStopped = false;
    state = loadState()!;
    const marked = await waitFor(
      "pool marked imported",
      async () => (await poolNow()).metadata.annotations?.[IMPORTED_ANNOTATION],
      60_000,
    );
    assert.equal(marked, "4");
    const claims = await claimsOfPool();
    for (const p of old) {
      const c = claims.find(x => x.spec.address === p.status!.podIPs![0]!.ip);
      assert.ok(c, `no claim for ${p.metadata.name}'s address`);
      assert.equal(c.spec.podUID, p.metadata.uid);
      assert.equal(c.spec.podName, p.metadata.name);
      assert.equal(c.spec.node, p.spec.nodeName);
      assert.equal(c.spec.interface, "eth0", "the NIC comes from the pod's SpiderEndpoint");
    }
    const event = await waitFor(
      "AllocationsImported event on the pool",
      async () => {
        const l = await api.get<
          KubeList<{
            reason: string;
            message: string;
            involvedObject: { name: string; kind?: string };
          }>
        >("/api/v1/namespaces/default/events", {
          fieldSelector: `involvedObject.name=${pool}`,
        });
        return l.items.find(e => e.reason === "AllocationsImported");
      },
      30_000,
    );
    assert.match(
      event.message,
      /^imported 4 Spiderpool allocation records of status\.allocatedIPs: /,
    );
    assert.match(event.message, / 0 claimed by another Pod$/);
    const port = (
      state.pepr.find(d => d.name === "pepr-watcher") as Daemon & { metricsPort?: number }
    ).metricsPort;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const count = (result: string) =>
      Number(
        new RegExp(
          `^spiderpool_imported_allocation_record_counts_total\\{result="${result}"\\} (\\S+)$`,
          "m",
        ).exec(text)?.[1] ?? 0,
      );
    assert.equal(
      count("created") + count("covered"),
      4,
      text
        .split("\n")
        .filter(l => l.includes("imported"))
        .join("\n"),
    );
    assert.equal(count("conflict"), 0);
  });

  it("new pods fill the pool and never get a recorded address; the status keeps the records", async function () {
    for (let i = 1; i < LAST - FIRST + 1 - 4; i++) apply(podYaml(`new-${i}`, "new"));
    const fresh = await waitRunning(api, ns, "app=new", LAST - FIRST + 1 - 4, 120_000);
    const given = fresh.map(p => p.status!.podIPs![0]!.ip);
    assert.equal(
      new Set(given).size,
      given.length,
      `two new pods share an address: ${given.join(" ")}`,
    );
    for (const a of given)
      assert.ok(!liveAddresses.has(a), `a new pod got ${a}, which a running Spiderpool pod holds`);
    const status = await waitFor(
      "status projected from the claims, records kept",
      async () => {
        const s = (await poolNow()).status;
        const view = s?.allocatedIPs
          ? (JSON.parse(s.allocatedIPs) as Record<string, { pod: string; podUid: string }>)
          : {};
        return given.every(a => view[a]) ? view : undefined;
      },
      30_000,
    );
    for (const p of old) {
      const rec = status[p.status!.podIPs![0]!.ip];
      assert.deepEqual(
        rec,
        { pod: `${ns}/${p.metadata.name}`, podUid: p.metadata.uid },
        `the record of ${p.metadata.name} was erased or changed`,
      );
    }
    for (const p of await listPods(api, ns, "app=old"))
      assert.ok(isRunning(p), `${p.metadata.name} stopped running`);
    const claims = await claimsOfPool();
    for (const p of old) {
      const c = claims.find(x => x.spec.address === p.status!.podIPs![0]!.ip);
      assert.equal(
        c?.spec.podUID,
        p.metadata.uid,
        `${p.metadata.name}'s address is no longer claimed for it`,
      );
    }
  });
});
