import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { adminClient } from "../cluster/cluster.js";
import { ipAsync } from "../cluster/netns.js";
import {
  assertLedgerAgreesAll,
  bare,
  claimsOf,
  deleteNamespaceAndWait,
  deletePools,
  endpointOf,
  poolOf,
} from "../support/allocation-ledger.js";
import { exampleObjects, exampleText } from "../support/examples.js";
import { apply, listPods, podEvents, waitRunning } from "../support/kube.js";
import { sandboxOf } from "../support/sandboxes.js";
import { waitFor } from "../support/wait-for.js";

interface Route {
  dst: string;
  gateway?: string;
  dev: string;
}

async function routesIn(pod: Pod, family: "-4" | "-6" = "-4"): Promise<Route[]> {
  const sb = sandboxOf(pod.spec.nodeName!, pod.metadata.uid!)!;
  return JSON.parse(await ipAsync("-j", family, "-n", sb.netns, "route", "show")) as Route[];
}

/**
 * Multiple NICs (Spiderpool A00010, A00013, A00016, D00002) with docs/examples/allocation/multiple-subnets.yaml:
 * the real macvlan plugin attaches eth0 (node network) and net1 (a NetworkAttachmentDefinition),
 * both calling our IPAM; `ipam.spidernet.io/ippools` names one pool per NIC.
 */
describe("allocation: one address per NIC from different subnets", function () {
  const EXAMPLE = "allocation/multiple-subnets.yaml";
  const ns = "alloc-multi-nic";
  const pools = [
    ...exampleObjects(EXAMPLE)
      .filter(o => o.kind === "SpiderIPPool")
      .map(o => o.metadata.name),
    "nic-tiny-eth0-v4",
    "nic-wide-net1-v4",
  ];
  let api: ApiClient;
  let pods: Pod[] = [];

  before(() => {
    api = adminClient();
    apply(exampleText(EXAMPLE));
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await deletePools(api, pools).catch(() => undefined);
    api.close();
  });

  it("configures eth0 from the eth0 pool and net1 from the net1 pool inside each Pod", async () => {
    pods = await waitRunning(api, ns, "app=two-nics", 2);
    for (const p of pods) {
      const sb = sandboxOf(p.spec.nodeName!, p.metadata.uid!)!;
      assert.deepEqual(
        sb.attachments.map(a => a.ifname),
        ["eth0", "net1"],
      );
    }
    const seen = await assertLedgerAgreesAll(api, pods);
    for (const p of pods) {
      const nics = seen[p.metadata.name]!;
      assert.equal(nics.eth0?.length, 1, `${p.metadata.name}: eth0 ${nics.eth0}`);
      assert.equal(nics.net1?.length, 1, `${p.metadata.name}: net1 ${nics.net1}`);
      assert.match(nics.eth0![0]!, /^10\.123\.0\.\d+\/24$/);
      assert.match(nics.net1![0]!, /^10\.124\.0\.\d+\/24$/);
      const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`);
      assert.deepEqual(claims.map(c => `${c.spec.interface}:${c.spec.pool}`).sort(), [
        "eth0:nic-eth0-v4",
        "net1:nic-net1-v4",
      ]);
    }
  });

  it("routes as documented: default via eth0's gateway, net1's pool route on net1, no default on net1 (cleangateway)", async () => {
    for (const p of pods) {
      const routes = await routesIn(p);
      const defaults = routes.filter(r => r.dst === "default");
      assert.deepEqual(
        defaults.map(r => `${r.gateway} ${r.dev}`),
        ["10.123.0.1 eth0"],
        `${p.metadata.name}: ${JSON.stringify(routes)}`,
      );
      assert.ok(
        routes.some(
          r => r.dst === "10.149.0.0/16" && r.gateway === "10.124.0.1" && r.dev === "net1",
        ),
        `${p.metadata.name}: ${JSON.stringify(routes)}`,
      );
      const ep = await endpointOf(api, p);
      const net1 = ep.status!.current.ips.find(d => d.interface === "net1")!;
      assert.equal(net1.cleanGateway, true);
      assert.deepEqual(net1.routes, [{ dst: "10.149.0.0/16", gw: "10.124.0.1" }]);
      assert.equal(ep.status!.current.ips.find(d => d.interface === "eth0")!.cleanGateway, false);
    }
  });

  it("lets the Pods reach each other over net1", () => {
    const [a, b] = pods;
    const from = sandboxOf(a!.spec.nodeName!, a!.metadata.uid!)!.netns;
    const to = sandboxOf(b!.spec.nodeName!, b!.metadata.uid!)!.netns;
    const target = bare(
      JSON.parse(
        execFileSync("ip", ["-j", "-n", to, "-4", "addr", "show", "dev", "net1"], {
          encoding: "utf8",
        }),
      )[0].addr_info[0].local,
    );
    const out = execFileSync(
      "ip",
      ["netns", "exec", from, "ping", "-c", "2", "-W", "2", "-I", "net1", target],
      { encoding: "utf8" },
    );
    assert.match(out, / 0% packet loss/);
  });

  it("refuses an ippools annotation that leaves out the Pod's first NIC (interface eth0 must be specified)", async () => {
    apply(`
apiVersion: v1
kind: Pod
metadata:
  name: net1-only
  namespace: ${ns}
  annotations:
    k8s.v1.cni.cncf.io/networks: macvlan-net1
    ipam.spidernet.io/ippools: '[{"interface": "net1", "ipv4": ["nic-net1-v4"]}]'
spec:
  terminationGracePeriodSeconds: 5
  containers: [{name: c, image: registry.invalid/pause}]
`);
    const ev = await waitFor("FailedCreatePodSandBox on net1-only", async () =>
      (await podEvents(api, ns, "net1-only")).find(e => e.reason === "FailedCreatePodSandBox"),
    );
    assert.match(
      ev.message,
      /wrong input, invalid format of Pod annotation 'ipam.spidernet.io\/ippools': interface eth0 must be specified/,
    );
    const pod = (await listPods(api, ns)).find(p => p.metadata.name === "net1-only")!;
    assert.deepEqual(await claimsOf(api, `${CLAIM_LABELS.podUid}=${pod.metadata.uid}`), []);
    await api.delete(`/api/v1/namespaces/${ns}/pods/net1-only`);
  });

  it("does not drain the net1 pool while a Pod waits for its exhausted eth0 pool (A00016)", async () => {
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: nic-tiny-eth0-v4}
spec: {subnet: 10.123.1.0/24, ips: ["10.123.1.10"], gateway: 10.123.1.1}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: nic-wide-net1-v4}
spec: {subnet: 10.124.1.0/24, ips: ["10.124.1.10-10.124.1.12"], gateway: 10.124.1.1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: half, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: half}}
  template:
    metadata:
      labels: {app: half}
      annotations:
        k8s.v1.cni.cncf.io/networks: macvlan-net1
        ipam.spidernet.io/ippools: '[{"interface": "eth0", "ipv4": ["nic-tiny-eth0-v4"]}, {"interface": "net1", "ipv4": ["nic-wide-net1-v4"], "cleangateway": true}]'
    spec:
      terminationGracePeriodSeconds: 5
      containers: [{name: c, image: registry.invalid/pause}]
`);
    const pending = await waitFor(
      "one half Pod with two failed sandbox attempts",
      async () => {
        for (const p of await listPods(api, ns, "app=half")) {
          const fails = (await podEvents(api, ns, p.metadata.name)).filter(
            e => e.reason === "FailedCreatePodSandBox",
          );
          if (fails.length >= 2) return { pod: p, message: fails[0]!.message };
        }
        return undefined;
      },
      90_000,
    );
    assert.match(pending.message, /all IP addresses used out/);
    const running = await waitRunning(api, ns, "app=half", 1, 30_000).catch(async () =>
      (await listPods(api, ns, "app=half")).filter(p => p.status?.phase === "Running"),
    );
    assert.equal(running.length, 1, "exactly one half Pod runs");
    // Selection sees the eth0 pool full and refuses before allocating anything; only when both
    // Pods raced past that check does the loser keep the net1 address it won, for its retries.
    const heldByPending = await claimsOf(api, `${CLAIM_LABELS.podUid}=${pending.pod.metadata.uid}`);
    assert.ok(
      heldByPending.length <= 1,
      `the pending Pod holds ${heldByPending.map(c => c.spec.address)}`,
    );
    for (const c of heldByPending)
      assert.equal(`${c.spec.interface}:${c.spec.pool}`, "net1:nic-wide-net1-v4");
    const wantWide = 1 + heldByPending.length;
    await waitFor(
      `pool counts 1 and ${wantWide}`,
      async () =>
        (await poolOf(api, "nic-tiny-eth0-v4")).status?.allocatedIPCount === 1 &&
        (await poolOf(api, "nic-wide-net1-v4")).status?.allocatedIPCount === wantWide,
    );
    await waitFor(
      "a third failed attempt",
      async () =>
        (await podEvents(api, ns, pending.pod.metadata.name)).filter(
          e => e.reason === "FailedCreatePodSandBox",
        ).length >= 3,
      60_000,
    );
    assert.equal(
      (await claimsOf(api, `${CLAIM_LABELS.pool}=nic-wide-net1-v4`)).length,
      wantWide,
      "retries must not take more net1 addresses",
    );
    await api.delete(`/apis/apps/v1/namespaces/${ns}/deployments/half`, {
      propagationPolicy: "Foreground",
    });
    await waitFor(
      "half Pods gone",
      async () => (await listPods(api, ns, "app=half")).length === 0,
      90_000,
    );
    // A Pod that never got a sandbox has no CNI DEL: the watcher's IP GC reclaims what it held.
    await waitFor(
      "both pools empty",
      async () =>
        (await claimsOf(api, `${CLAIM_LABELS.pool}=nic-wide-net1-v4`)).length === 0 &&
        (await claimsOf(api, `${CLAIM_LABELS.pool}=nic-tiny-eth0-v4`)).length === 0,
      120_000,
    );
  });
});
