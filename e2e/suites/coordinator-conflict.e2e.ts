import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import type { ApiClient, Stored } from "../../lib/k8s/api-client.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { K8sError } from "../../lib/k8s/k8s-error.js";
import { claimName, type IPClaim } from "../../lib/schemas/ip-claim.js";
import { readAddress } from "../../lib/core/net/address.js";
import { adminClient, loadState } from "../cluster/cluster.js";
import { fabricNetns } from "../cluster/fabric.js";
import { ip } from "../cluster/netns.js";
import { paths } from "../cluster/paths.js";
import { deleteNamespaceAndWait, deletePools } from "../support/allocation-ledger.js";
import { apply, createNamespace, isRunning, listPods, podEvents } from "../support/kube.js";
import { kubectlRefusal } from "../support/refusals.js";
import { agentRequest } from "../support/agent-socket.js";
import { sandboxOf } from "../support/sandboxes.js";
import { waitFor } from "../support/wait-for.js";

/**
 * IP conflict and gateway detection with the `coordinator` plugin chained after macvlan
 * (docs/usage/conflict-detection.md), on the local cluster: a foreign host — a network namespace
 * of this test plugged into the fabric bridge, like a server nobody told the IPAM about — holds
 * pool addresses. Pods on the probed network never get them; the ADD failure names the address and
 * the MAC; the address is quarantined, and used again once the host has left and the quarantine
 * (20 s in the local cluster's conf.yml) has ended; a StatefulSet keeps and reports its address;
 * an absent gateway fails the ADD naming it, a present one lets it pass.
 */
describe("coordinator: IP conflict and gateway detection", function () {
  this.timeout(240_000);
  const ns = "coord-conflict";
  const pools = [
    "coord-eth0",
    "coord-v4",
    "coord-v6",
    "coord-sts-v4",
    "coord-gw-v4",
    "coord-gw2-v4",
  ];
  let api: ApiClient;
  let foreign = "";
  let foreignMac = "";

  const claimOf = async (address: string): Promise<Stored<IPClaim> | undefined> => {
    const a = readAddress(address)!;
    return api
      .get<Stored<IPClaim>>(`${CLAIMS_PATH}/${claimName(a.family, a.value)}`)
      .catch((e: unknown) => {
        if (e instanceof K8sError && e.code === "not_found") return undefined;
        throw e;
      });
  };
  const sandboxFailures = async (pod: string) =>
    (await podEvents(api, ns, pod))
      .filter(e => e.reason === "FailedCreatePodSandBox")
      .map(e => e.message);
  const net1Addresses = (p: Pod): string[] => {
    const sb = sandboxOf(p.spec.nodeName!, p.metadata.uid!)!;
    const out = JSON.parse(ip("-j", "-n", sb.netns, "addr", "show", "dev", "net1")) as {
      addr_info: { local: string; scope: string }[];
    }[];
    return out[0]!.addr_info.filter(a => a.scope === "global").map(a => a.local);
  };
  const pod = (name: string, networks: string, pools4: string, pools6?: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels: {app: ${name}}
  annotations:
    k8s.v1.cni.cncf.io/networks: ${networks}
    ipam.spidernet.io/ippools: '[{"interface": "eth0", "ipv4": ["coord-eth0"]}, {"interface": "net1", "ipv4": ["${pools4}"]${pools6 ? `, "ipv6": ["${pools6}"]` : ""}, "cleangateway": true}]'
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: registry.invalid/pause}]
`;
  const nad = (name: string, coordinator: Record<string, unknown>) => `
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: ${name}, namespace: ${ns}}
spec:
  config: '${JSON.stringify({
    cniVersion: "1.0.0",
    name,
    plugins: [
      { type: "macvlan", master: "eth0", mode: "bridge", ipam: { type: "spiderpool" } },
      { type: "coordinator", ...coordinator },
    ],
  })}'
`;

  before(async function () {
    const state = loadState();
    if (!state) this.skip();
    api = adminClient();
    // The foreign host: its own namespace, a veth into the fabric bridge, addresses of our pools.
    foreign = `${state!.netnsPrefix}-coord-fgn`;
    ip("netns", "add", foreign);
    ip("-n", foreign, "link", "set", "lo", "up");
    ip(
      "link",
      "add",
      "fgn0",
      "netns",
      foreign,
      "type",
      "veth",
      "peer",
      "name",
      "v-coordfgn",
      "netns",
      fabricNetns(state!.netnsPrefix),
    );
    ip("-n", fabricNetns(state!.netnsPrefix), "link", "set", "v-coordfgn", "master", "br0", "up");
    ip("-n", foreign, "link", "set", "fgn0", "up");
    // .20 first, as the primary address of the subnet: deleting a primary takes its secondaries along.
    for (const a of ["10.186.0.20/24", "10.186.0.10/32"])
      ip("-n", foreign, "addr", "add", a, "dev", "fgn0");
    ip("-n", foreign, "addr", "add", "fd00:186::10/64", "dev", "fgn0", "nodad");
    foreignMac = (
      JSON.parse(ip("-j", "-n", foreign, "link", "show", "dev", "fgn0")) as { address: string }[]
    )[0]!.address.toLowerCase();
    await createNamespace(api, ns);
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: coord-eth0}
spec: {subnet: 10.187.0.0/24, ips: ["10.187.0.10-10.187.0.29"], gateway: 10.187.0.1}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: coord-v4}
spec: {subnet: 10.186.0.0/24, ips: ["10.186.0.10"]}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: coord-v6}
spec: {subnet: "fd00:186::/64", ips: ["fd00:186::10"]}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: coord-sts-v4}
spec: {subnet: 10.186.0.0/24, ips: ["10.186.0.20"]}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: coord-gw-v4}
spec: {subnet: 10.188.0.0/24, ips: ["10.188.0.10-10.188.0.19"], gateway: 10.188.0.1}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: coord-gw2-v4}
spec: {subnet: 10.189.0.0/24, ips: ["10.189.0.10-10.189.0.19"], gateway: 10.189.0.1}
`);
    apply(
      nad("probed", { detectIPConflict: true, detectOptions: { retries: 3, timeout: "100ms" } }),
    );
    apply(nad("gateway", { detectGateway: true, detectOptions: { retries: 2, timeout: "100ms" } }));
  });

  after(async () => {
    if (!api) return;
    if (foreign) ip("netns", "delete", foreign);
    await api
      .delete("/apis/spiderpool.spidernet.io/v2beta1/spidercoordinators/default")
      .catch(() => undefined);
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await deletePools(api, pools).catch(() => undefined);
    api.close();
  });

  it("fails the ADD naming the address and the MAC that answered, and quarantines the address (IPv4 and IPv6)", async () => {
    apply(pod("first", "probed", "coord-v4", "coord-v6"));
    const failure = await waitFor(
      "an IP-conflict sandbox failure of pod first",
      async () => (await sandboxFailures("first")).find(m => m.includes("IP conflict")),
      90_000,
    );
    assert.match(
      failure,
      new RegExp(`IP conflict: 10\\.186\\.0\\.10 .*answered by MAC ${foreignMac}`),
    );
    assert.match(failure, new RegExp(`IP conflict: fd00:186::10 .*answered by MAC ${foreignMac}`));
    for (const address of ["10.186.0.10", "fd00:186::10"]) {
      const c = await claimOf(address);
      assert.ok(c, `claim of ${address}`);
      assert.equal(c.spec.podUID, "quarantine");
      assert.equal(c.spec.quarantine?.mac, foreignMac);
    }
    const poolEvents = await api.get<{
      items: { reason: string; message: string; involvedObject: { kind: string; name: string } }[];
    }>("/api/v1/namespaces/default/events", {
      fieldSelector: "involvedObject.name=coord-v4",
    });
    assert.ok(
      poolEvents.items.some(
        e =>
          e.reason === "IPConflict" &&
          e.involvedObject.kind === "SpiderIPPool" &&
          e.message.includes("10.186.0.10"),
      ),
      JSON.stringify(poolEvents.items),
    );
  });

  it("gives the kubelet's retry another address: the Pod runs without the foreign host's addresses", async () => {
    await api.patch("/apis/spiderpool.spidernet.io/v2beta1/spiderippools/coord-v4", {
      spec: { ips: ["10.186.0.10-10.186.0.11"] },
    });
    await api.patch("/apis/spiderpool.spidernet.io/v2beta1/spiderippools/coord-v6", {
      spec: { ips: ["fd00:186::10-fd00:186::11"] },
    });
    const [first] = await waitFor(
      "pod first Running",
      async () => {
        const l = (await listPods(api, ns, "app=first")).filter(isRunning);
        return l.length ? l : undefined;
      },
      90_000,
    );
    assert.deepEqual(net1Addresses(first!).sort(), ["10.186.0.11", "fd00:186::11"]);
  });

  it("uses the address again once the host has left and the quarantine has ended", async () => {
    ip("-n", foreign, "addr", "del", "10.186.0.10/32", "dev", "fgn0");
    ip("-n", foreign, "addr", "del", "fd00:186::10/64", "dev", "fgn0");
    await waitFor(
      "quarantined claims freed",
      async () => !(await claimOf("10.186.0.10")) && !(await claimOf("fd00:186::10")),
      90_000,
    );
    apply(pod("second", "probed", "coord-v4", "coord-v6"));
    const [second] = await waitFor(
      "pod second Running",
      async () => {
        const l = (await listPods(api, ns, "app=second")).filter(isRunning);
        return l.length ? l : undefined;
      },
      90_000,
    );
    assert.deepEqual(net1Addresses(second!).sort(), ["10.186.0.10", "fd00:186::10"]);
  });

  it("plans for the Pod's own NIC on its node's agent only; another node's agent or another Pod is refused (403)", async () => {
    const [second] = await listPods(api, ns, "app=second");
    const node = second!.spec.nodeName!;
    const other = loadState()!
      .nodes.map(n => n.name)
      .find(n => n !== node);
    const prevResult = {
      cniVersion: "1.0.0",
      interfaces: [{ name: "net1", sandbox: "/x" }],
      ips: [{ address: "10.186.0.10/24", interface: 0 }],
    };
    const body = (over: Record<string, unknown> = {}) => ({
      containerID: "c",
      netns: "/x",
      ifName: "net1",
      podNamespace: ns,
      podName: "second",
      podUID: second!.metadata.uid,
      netconf: {
        cniVersion: "1.0.0",
        name: "probed",
        type: "coordinator",
        detectIPConflict: true,
        prevResult,
      },
      ...over,
    });
    const ok = await agentRequest(node, "POST", "/v1/coordinator/plan", body());
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual((JSON.parse(ok.body) as { probes: unknown[] }).probes, [
      { kind: "conflict", ip: "10.186.0.10", family: 4 },
    ]);
    if (other) {
      const elsewhere = await agentRequest(other, "POST", "/v1/coordinator/plan", body());
      assert.equal(elsewhere.status, 403, elsewhere.body);
      assert.match(elsewhere.body, /runs on node/);
    }
    const [first] = await listPods(api, ns, "app=first");
    const borrowed = await agentRequest(first!.spec.nodeName!, "POST", "/v1/coordinator/report", {
      ...body({ podName: "first", podUID: first!.metadata.uid }),
      findings: [{ kind: "conflict", ip: "10.186.0.10", mac: "02:00:00:00:00:01" }],
    });
    assert.equal(borrowed.status, 403, borrowed.body);
    assert.equal(
      (await claimOf("10.186.0.10"))?.spec.podUID,
      second!.metadata.uid,
      "a refused report writes nothing",
    );
    // What the agent's part adds to an ADD: the plan round trip on the socket (printed, not asserted).
    const ms: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await agentRequest(node, "POST", "/v1/coordinator/plan", body());
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    console.log(
      `      coordinator plan round trip over the agent socket, 50 calls: median ${ms[25]!.toFixed(2)} ms, p95 ${ms[47]!.toFixed(2)} ms`,
    );
  });

  it("keeps a StatefulSet Pod's address and reports the conflict", async () => {
    apply(`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: keeper, namespace: ${ns}}
spec:
  replicas: 1
  serviceName: keeper
  selector: {matchLabels: {app: keeper}}
  template:
    metadata:
      labels: {app: keeper}
      annotations:
        k8s.v1.cni.cncf.io/networks: probed
        ipam.spidernet.io/ippools: '[{"interface": "eth0", "ipv4": ["coord-eth0"]}, {"interface": "net1", "ipv4": ["coord-sts-v4"], "cleangateway": true}]'
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: registry.invalid/pause}]
`);
    const failure = await waitFor(
      "an IP-conflict failure of keeper-0",
      async () => (await sandboxFailures("keeper-0")).find(m => m.includes("IP conflict")),
      90_000,
    );
    assert.match(
      failure,
      new RegExp(
        `10\\.186\\.0\\.20 .*answered by MAC ${foreignMac}.*stays with the StatefulSet pod`,
      ),
    );
    const [keeper] = await listPods(api, ns, "app=keeper");
    const c = await claimOf("10.186.0.20");
    assert.equal(c?.spec.podUID, keeper!.metadata.uid);
    assert.equal(c?.spec.static, true);
    assert.equal(c?.spec.quarantine, undefined);
    assert.ok(!isRunning(keeper!));
  });

  it("fails the ADD naming an absent gateway, and lets it pass once the gateway answers", async () => {
    apply(pod("gw", "gateway", "coord-gw-v4"));
    const failure = await waitFor(
      "a gateway failure of pod gw",
      async () => (await sandboxFailures("gw")).find(m => m.includes("gateway")),
      90_000,
    );
    assert.match(
      failure,
      /gateway 10\.188\.0\.1 is unreachable from pod coord-conflict\/gw NIC net1: no answer after 2 attempt\(s\)/,
    );
    ip("-n", foreign, "addr", "add", "10.188.0.1/24", "dev", "fgn0");
    await waitFor(
      "pod gw Running",
      async () => (await listPods(api, ns, "app=gw")).some(isRunning),
      90_000,
    );
  });

  it("takes the detection default from the SpiderCoordinator default, and warns at admission about fields not implemented", async () => {
    const applied = spawnSync(
      path.join(loadState()!.binDir, "kubectl"),
      ["--kubeconfig", paths.kubeconfig, "apply", "-f", "-"],
      {
        encoding: "utf8",
        input:
          'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderCoordinator\nmetadata: {name: default}\nspec: {detectGateway: true, mode: underlay, podMACPrefix: "0a:1b"}\n',
      },
    );
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(
      applied.stderr,
      /Warning: .*spec\.mode, spec\.podMACPrefix accepted but not implemented/,
    );
    apply(nad("plain", {}));
    apply(pod("defaulted", "plain", "coord-gw2-v4"));
    const failure = await waitFor(
      "a gateway failure of pod defaulted",
      async () => (await sandboxFailures("defaulted")).find(m => m.includes("gateway")),
      90_000,
    );
    assert.match(
      failure,
      /gateway 10\.189\.0\.1 is unreachable from pod coord-conflict\/defaulted NIC net1/,
    );
  });

  it("refuses a coordinator netconf with an unknown field or an option out of range, naming field and value", async () => {
    apply(nad("typo", { detectIPConflit: true }));
    apply(nad("slow", { detectIPConflict: true, detectOptions: { retries: 11 } }));
    apply(pod("typo", "typo", "coord-gw-v4"));
    apply(pod("slow", "slow", "coord-gw-v4"));
    const typo = await waitFor(
      "typo's failure",
      async () => (await sandboxFailures("typo")).find(m => m.includes("coordinator")),
      90_000,
    );
    assert.match(typo, /unknown field detectIPConflit \(got true\)/);
    const slow = await waitFor(
      "slow's failure",
      async () => (await sandboxFailures("slow")).find(m => m.includes("coordinator")),
      90_000,
    );
    assert.match(slow, /field detectOptions\.retries: .*\(got 11\)/);
  });

  it("refuses a SpiderCoordinator not named default, naming the name", () => {
    const out = kubectlRefusal(
      ["apply", "-f", "-"],
      "apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderCoordinator\nmetadata: {name: other}\nspec: {detectIPConflict: true}\n",
    );
    assert.match(out, /"other".*only the SpiderCoordinator named "default" is read/s);
  });
});
