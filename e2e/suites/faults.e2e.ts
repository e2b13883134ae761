import assert from "node:assert/strict";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import type { SpiderEndpoint } from "../../lib/schemas/endpoint.js";
import {
  adminClient,
  killAgent,
  killNode,
  loadState,
  restartAgent,
  restartApiserver,
  restartNodeProcess,
  reviveNode,
  type ClusterState,
} from "../cluster/cluster.js";
import { addressesIn } from "../cluster/netns.js";
import { probe } from "../cluster/readiness.js";
import { apply, createNamespace, deleteNamespace, listPods } from "../support/kube.js";
import { sandboxOf } from "../support/sandboxes.js";
import { waitFor } from "../support/wait-for.js";
import { assertWireClean } from "../support/wire-audit.js";

const PODS = Number(process.env.SPIDERPOOL_FAULT_PODS ?? 300);
const DEPLOYMENTS = 10;
/** GC window the suite holds the system to: the local cluster's full-scan period (30 s) plus grace. */
const GC_WINDOW_MS = 120_000;

/**
 * The fault model end to end (docs/concepts/fault-model.md): a pod storm while agents are killed
 * with SIGKILL, the API server restarts, one node loses a tenth of its CNI DELs and another node
 * stops heartbeating until its pods are evicted. Afterwards: everything that should run runs, no
 * address is held twice, every address of a gone pod is back, endpoints match pods.
 */
describe("faults: storm under agent kills, API server restart, lost DELs and node loss", function () {
  const ns = `faults-${Date.now().toString(36)}`;
  let api: ApiClient;
  let state: ClusterState;
  const timeline: string[] = [];
  const t0 = Date.now();
  const mark = (what: string) => timeline.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);

  before(async function () {
    state = loadState()!;
    if (state.nodes.length < 5) this.skip(); // needs 5 nodes: SPIDERPOOL_E2E_NODES=5 (the default of npm run test:e2e)
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${ns}}
spec: {subnet: 10.180.0.0/16, ips: ["10.180.0.1-10.180.3.254"], gateway: 10.180.255.254}
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
    for (const n of state.nodes) reviveNode(state, n.name);
    process.stdout.write(`      timeline:\n${timeline.map(l => `        ${l}`).join("\n")}\n`);
    await deleteNamespace(api, ns);
    await waitFor(
      `namespace ${ns} gone`,
      () =>
        api.get(`/api/v1/namespaces/${ns}`).then(
          () => false,
          () => true,
        ),
      300_000,
    ).catch(() => undefined);
    await api
      .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${ns}`)
      .catch(() => undefined);
    api.close();
  });

  const deployments = (replicas: number) =>
    Array.from(
      { length: DEPLOYMENTS },
      (_, i) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: storm-${i}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: storm-${i}}}
  template:
    metadata: {labels: {app: storm-${i}, storm: "yes"}}
    spec:
      terminationGracePeriodSeconds: 2
      containers: [{name: c, image: registry.invalid/pause}]
`,
    ).join("---\n");

  it(`converges after a ${PODS}-pod storm with faults injected`, async function () {
    const lossy = state.nodes[4]!.name;
    const frozen = state.nodes[3]!.name;
    const crashy = state.nodes[0]!.name;
    await restartNodeProcess(state, lossy, { lostDelRatio: 0.1 });
    mark(`${lossy}: 10% of CNI DELs lost from now on`);

    apply(deployments(PODS / DEPLOYMENTS));
    mark(`${PODS} pods requested in ${DEPLOYMENTS} Deployments`);
    const faults = (async () => {
      for (let k = 1; k <= 3; k++) {
        await sleep(3000);
        await killAgent(state, crashy);
        mark(`agent on ${crashy} killed with SIGKILL (${k}/3)`);
        await sleep(1500);
        await restartAgent(state, crashy);
        mark(`agent on ${crashy} restarted`);
        if (k === 1) {
          await restartApiserver(state);
          mark("kube-apiserver restarted");
        }
      }
      killNode(state, frozen);
      mark(`${frozen}: heartbeats and CNI stopped`);
      await waitFor(
        `pods of ${frozen} evicted`,
        async () =>
          (await listPods(api, ns, "storm=yes"))
            .filter(p => p.spec.nodeName === frozen)
            .every(p => !!p.metadata.deletionTimestamp),
        180_000,
        1000,
      );
      mark(`${frozen}: its pods evicted (Terminating)`);
    })();
    await faults;
    await waitStormRunning(api, ns, PODS, frozen);
    mark(`all ${PODS} pods Running elsewhere`);
    reviveNode(state, frozen);
    mark(`${frozen}: revived`);

    // Churn through the lossy node: scale down and up, so some DELs are lost there.
    apply(deployments(PODS / DEPLOYMENTS / 2));
    await waitStormRunning(api, ns, PODS / 2);
    apply(deployments(PODS / DEPLOYMENTS));
    await waitStormRunning(api, ns, PODS);
    mark("scaled down to half and back up");

    const converged = Date.now();
    await waitFor(
      "claims match running pods (every address of a gone pod reclaimed)",
      async () => (await audit(api, ns)).leaked.length === 0,
      GC_WINDOW_MS,
      2000,
    );
    mark(
      `claims converged ${((Date.now() - converged) / 1000).toFixed(1)} s after the last change`,
    );

    const a = await audit(api, ns);
    assert.deepEqual(a.duplicates, [], "an address is held by two pods");
    assert.deepEqual(a.leaked, [], "claims of pods that are gone");
    assert.deepEqual(a.missing, [], "running pods whose address has no claim");
    assert.deepEqual(a.netnsMismatch, [], "pod status disagrees with the address inside its netns");
    assert.deepEqual(a.endpointMismatch, [], "SpiderEndpoints that do not match their pods");
    const watcher = state.pepr?.find(d => d.name === "pepr-watcher") as
      | { metricsPort?: number }
      | undefined;
    const metrics = watcher?.metricsPort
      ? (await probe(`http://127.0.0.1:${watcher.metricsPort}/metrics`)).body
      : "";
    const gc = /^spiderpool_ip_gc_counts_total (\d+)/m.exec(metrics)?.[1] ?? "?";
    mark(`GC found and released ${gc} leaked addresses in total`);
    process.stdout.write(
      `      converged; GC released ${gc} addresses; ${a.pods} pods, ${a.claims} claims\n`,
    );
    await assertWireClean(api, state, "after the storm with faults");
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}

async function waitStormRunning(
  api: ApiClient,
  ns: string,
  count: number,
  notOn?: string,
): Promise<void> {
  await waitFor(
    `${count} storm pods Running${notOn ? ` off ${notOn}` : ""}`,
    async () => {
      const pods = (await listPods(api, ns, "storm=yes")).filter(
        p => !p.metadata.deletionTimestamp,
      );
      const running = pods.filter(
        p => p.status?.phase === "Running" && p.status.podIPs?.length && p.spec.nodeName !== notOn,
      );
      return pods.length === count && running.length === count;
    },
    600_000,
    2000,
  );
}

/** Cross-checks pods, the addresses inside their namespaces, claims and endpoints. */
async function audit(api: ApiClient, ns: string) {
  const pods = (await listPods(api, ns)).filter(
    (p: Pod) => p.status?.phase === "Running" && !p.metadata.deletionTimestamp,
  );
  const all = (await listPods(api, ns)).map(p => p.metadata.uid);
  const claims = (
    await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, {
      labelSelector: `ipam.pepr-spiderpool.io/pod-namespace=${ns}`,
    })
  ).items;
  const endpoints = (
    await api.get<KubeList<Stored<SpiderEndpoint>>>(
      `/apis/spiderpool.spidernet.io/v2beta1/namespaces/${ns}/spiderendpoints`,
    )
  ).items;
  const byIp = new Map<string, string[]>();
  const netnsMismatch: string[] = [];
  for (const p of pods) {
    for (const ip of p.status?.podIPs ?? [])
      byIp.set(ip.ip, [...(byIp.get(ip.ip) ?? []), p.metadata.name]);
    const sb = sandboxOf(p.spec.nodeName!, p.metadata.uid!);
    const inside = sb
      ? (await addressesIn(sb.netns, "eth0").catch(() => [])).map(x => x.split("/")[0])
      : [];
    if (inside.join() !== (p.status?.podIPs ?? []).map(x => x.ip).join())
      netnsMismatch.push(
        `${p.metadata.name}: status ${p.status?.podIPs?.map(x => x.ip)} netns ${inside}`,
      );
  }
  const liveUids = new Set(all);
  const claimed = new Map(claims.map(c => [c.spec.address, c]));
  return {
    pods: pods.length,
    claims: claims.length,
    duplicates: [...byIp]
      .filter(([, holders]) => holders.length > 1)
      .map(([ip, h]) => `${ip}: ${h.join(", ")}`),
    leaked: claims
      .filter(c => !liveUids.has(c.spec.podUID))
      .map(c => `${c.spec.address} (${c.spec.podName})`),
    missing: pods.flatMap(p =>
      (p.status?.podIPs ?? [])
        .filter(ip => claimed.get(ip.ip)?.spec.podUID !== p.metadata.uid)
        .map(ip => `${p.metadata.name} ${ip.ip}`),
    ),
    netnsMismatch,
    endpointMismatch: pods
      .filter(p => {
        const ep = endpoints.find(e => e.metadata.name === p.metadata.name);
        const recorded = (ep?.status?.current.ips ?? []).map(d => d.ipv4?.split("/")[0]);
        return (
          ep?.status?.current.uid !== p.metadata.uid ||
          recorded.join() !== (p.status?.podIPs ?? []).map(x => x.ip).join()
        );
      })
      .map(p => p.metadata.name),
  };
}
