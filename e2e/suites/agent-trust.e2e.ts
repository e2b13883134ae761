import assert from "node:assert/strict";
import fs from "node:fs";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import { getEndpoint } from "../../lib/k8s/endpoint-store.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import { adminClient } from "../cluster/cluster.js";
import { paths } from "../cluster/paths.js";
import { deleteNamespaceAndWait, deletePools } from "../support/allocation-ledger.js";
import { agentRequest, replyText, type AgentReply } from "../support/agent-socket.js";
import { apply, createNamespace, listPods } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import { LEVELS } from "../../lib/log-schema.js";

/**
 * The trust model of the agent socket (docs/security.md): whoever can open a node's socket may
 * release or check only the addresses of the Pod it names, made on that node. Requests borrowing
 * another Pod's UID, or naming a Pod or claims of another node, are refused with 403 and release
 * nothing; a legitimate DEL still releases.
 */
describe("agent trust: the socket acts only for the named Pod on its own node", function () {
  const ns = "agent-trust";
  const POOL = "trust-v4";
  let api: ApiClient;
  const pods: Record<string, Pod> = {};
  /** The address each Pod was given, by Pod name. */
  const address: Record<string, string> = {};

  const claimsOf = async (name: string) =>
    (await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH)).items.filter(
      c => c.spec.podNamespace === ns && c.spec.podName === name,
    );
  const podArgs = (name: string, over: Record<string, unknown> = {}) => ({
    containerID: `c-${name}`,
    ifName: "eth0",
    netNamespace: "/run/netns/none",
    podNamespace: ns,
    podName: name,
    podUID: pods[name]?.metadata.uid ?? "",
    ...over,
  });
  const forbidden = (r: AgentReply, text: RegExp) => {
    assert.equal(r.status, 403, `${r.status} ${r.body}`);
    assert.equal(r.code, "forbidden");
    assert.match(replyText(r), text);
  };
  /** The Pod still has its one claim, its endpoint still records the same address. */
  const untouched = async (name: string) => {
    const claims = await claimsOf(name);
    assert.deepEqual(
      claims.map(c => [c.spec.address, c.spec.podUID]),
      [[address[name], pods[name]!.metadata.uid]],
      `${name}'s claim changed`,
    );
    const ep = await getEndpoint(api, ns, name);
    assert.equal(ep?.status?.current.uid, pods[name]!.metadata.uid);
    assert.deepEqual(
      ep?.status?.current.ips.map(i => i.ipv4?.split("/")[0]),
      [address[name]],
      `${name}'s endpoint changed`,
    );
  };
  const agentWarnings = (node: string) =>
    fs
      .readFileSync(paths.log(`agent-${node}`), "utf8")
      .split("\n")
      .filter(l => l.startsWith("{"))
      .map(l => JSON.parse(l) as { level?: number; msg?: string; reason?: string })
      .filter(l => l.level === LEVELS.warn);

  before(async () => {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${POOL}}
spec: {subnet: 10.131.0.0/24, ips: ["10.131.0.10-10.131.0.29"]}
`);
    await createNamespace(api, ns, {}, { "ipam.spidernet.io/default-ipv4-ippool": `["${POOL}"]` });
    // Host-network Pods get no CNI call from their node: the requests below are the only ones.
    const pod = (name: string, node: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  nodeName: ${node}
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: registry.invalid/pause}]
`;
    // A StatefulSet Pod's claims outlive the Pod (kept for its next incarnation): the one case
    // where a gone incarnation's claims stay in the ledger whatever the IP GC does meanwhile.
    const sts = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${ns}}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      nodeName: node-2
      hostNetwork: true
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: registry.invalid/pause}]
`;
    apply(
      [pod("victim", "node-1"), pod("legit", "node-1"), pod("remote", "node-2"), sts].join("---"),
    );
    const list = await waitFor("the host-network Pods Running", async () => {
      const l = await listPods(api, ns);
      return l.length === 4 && l.every(p => p.status?.phase === "Running") && l;
    });
    for (const p of list) pods[p.metadata.name] = p;
    for (const [name, node] of [
      ["victim", "node-1"],
      ["legit", "node-1"],
      ["remote", "node-2"],
      ["db-0", "node-2"],
    ] as const) {
      const r = await agentRequest(node, "POST", "/v1/ipam/ip", podArgs(name));
      assert.equal(r.status, 200, replyText(r));
      address[name] = (JSON.parse(r.body) as { ips: { address: string }[] }).ips[0]!.address.split(
        "/",
      )[0]!;
    }
  });
  after(async () => {
    await api.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
    // These claims came from ADDs on the socket with no sandbox behind them (netns "/run/netns/none"),
    // so no agent can confirm their sandbox gone (docs/adr/0008-sandbox-confirmation.md): the test,
    // which played the runtime, sends the DEL the runtime would, once the Pods are gone. That also
    // marks the agents' sandbox records released, so later suites meet no record for these addresses.
    await waitFor(
      "the suite's Pods gone",
      async () => (await listPods(api, ns)).length === 0,
      120_000,
    ).catch(() => undefined);
    for (const c of (await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH)).items.filter(
      x => x.spec.podNamespace === ns,
    )) {
      const r = await agentRequest(c.spec.node, "DELETE", "/v1/ipam/ip", {
        ...podArgs(c.spec.podName),
        containerID: c.spec.containerID ?? `c-${c.spec.podName}`,
        ifName: c.spec.interface,
        podUID: c.spec.podUID,
      }).catch(() => undefined);
      if (r?.status !== 200)
        await api.delete(`${CLAIMS_PATH}/${c.metadata.name}`).catch(() => undefined);
    }
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await deletePools(api, [POOL]).catch(() => undefined);
    api.close();
  });

  for (const node of ["node-1", "node-2"]) {
    it(`refuses a DEL naming a made-up Pod with the victim's UID (sent to ${node}), and the victim keeps its address`, async () => {
      const r = await agentRequest(
        node,
        "DELETE",
        "/v1/ipam/ip",
        podArgs("made-up", { podUID: pods.victim!.metadata.uid }),
      );
      forbidden(
        r,
        new RegExp(
          `^DEL refused: claim ${address.victim!.replace(/\./g, "\\.")} belongs to pod ${ns}/victim \\(uid ${pods.victim!.metadata.uid}\\), not ${ns}/made-up`,
        ),
      );
      await untouched("victim");
    });
  }

  it("refuses a batch DEL for a Pod running on another node, and releases nothing", async () => {
    const r = await agentRequest(
      "node-1",
      "DELETE",
      "/v1/ipam/ips",
      podArgs("remote", { isReleaseConflictIPs: true }),
    );
    forbidden(
      r,
      new RegExp(
        `^batch DEL refused: pod ${ns}/remote \\(uid ${pods.remote!.metadata.uid}\\) runs on node node-2, not on this node node-1$`,
      ),
    );
    await untouched("remote");
  });

  it("refuses a batch DEL borrowing another Pod's UID", async () => {
    const r = await agentRequest(
      "node-1",
      "DELETE",
      "/v1/ipam/ips",
      podArgs("legit", { podUID: pods.victim!.metadata.uid }),
    );
    forbidden(r, /^batch DEL refused: claim .* belongs to pod agent-trust\/victim/);
    await untouched("victim");
    await untouched("legit");
  });

  it("refuses a CHECK for a Pod of another node and for a borrowed UID, telling nothing of their addresses", async () => {
    const remote = await agentRequest("node-1", "POST", "/v1/ipam/check", {
      ...podArgs("remote"),
      addresses: [],
    });
    forbidden(
      remote,
      /^CHECK refused: pod agent-trust\/remote \(uid .*\) runs on node node-2, not on this node node-1$/,
    );
    assert.doesNotMatch(replyText(remote), new RegExp(address.remote!.replace(/\./g, "\\.")));
    const borrowed = await agentRequest("node-1", "POST", "/v1/ipam/check", {
      ...podArgs("legit", { podUID: pods.victim!.metadata.uid }),
      addresses: [],
    });
    assert.equal(borrowed.status, 500, borrowed.body);
    assert.equal(borrowed.code, "pod_not_found");
    assert.match(replyText(borrowed), /^Pod agent-trust\/legit has UID .*, the runtime asked for /);
    const own = await agentRequest("node-1", "POST", "/v1/ipam/check", {
      ...podArgs("legit"),
      addresses: [`${address.legit}/24`],
    });
    assert.equal(own.status, 200, own.body);
  });

  it("refuses a DEL for a gone incarnation whose claims were made on another node; that node's own DEL keeps them for the StatefulSet", async () => {
    const old = pods["db-0"]!;
    const claim = await claimsOf("db-0");
    assert.deepEqual(
      claim.map(c => [c.spec.address, c.spec.node, c.spec.static]),
      [[address["db-0"], "node-2", true]],
    );
    await api.delete(`/api/v1/namespaces/${ns}/pods/db-0`);
    await waitFor("db-0 re-created", async () =>
      (await listPods(api, ns)).find(
        p =>
          p.metadata.name === "db-0" &&
          p.metadata.uid !== old.metadata.uid &&
          p.status?.phase === "Running",
      ),
    );
    const r = await agentRequest("node-1", "DELETE", "/v1/ipam/ip", podArgs("db-0"));
    forbidden(
      r,
      new RegExp(
        `^DEL refused: claim ${address["db-0"]!.replace(/\./g, "\\.")} of pod ${ns}/db-0 \\(uid ${old.metadata.uid}\\) was made on node node-2, not on this node node-1$`,
      ),
    );
    assert.deepEqual(
      (await claimsOf("db-0")).map(c => [c.spec.address, c.spec.podUID]),
      [[address["db-0"], old.metadata.uid]],
      "the claim is untouched",
    );
    const own = await agentRequest("node-2", "DELETE", "/v1/ipam/ip", podArgs("db-0"));
    assert.equal(own.status, 200, own.body);
    assert.deepEqual(
      (await claimsOf("db-0")).map(c => c.spec.address),
      [address["db-0"]],
      "node-2 keeps it for the next incarnation of db-0",
    );
  });

  it("refuses Pod namespaces and names that are not Kubernetes names before any API call", async () => {
    const bad = await agentRequest(
      "node-1",
      "DELETE",
      "/v1/ipam/ip",
      podArgs("legit", { podNamespace: "../../apis", podName: "a/b" }),
    );
    assert.equal(bad.status, 400, bad.body);
    assert.match(
      replyText(bad),
      /podNamespace: expected a Kubernetes namespace name .*\(got "..\/..\/apis"\)/,
    );
    assert.match(replyText(bad), /podName: expected a Kubernetes Pod name .*\(got "a\/b"\)/);
    const query = await agentRequest(
      "node-1",
      "GET",
      `/v1/workloadendpoint?podNamespace=${ns}&podName=..%2Fx`,
    );
    assert.equal(query.status, 400, query.body);
    assert.match(replyText(query), /podName: expected a Kubernetes Pod name \(got "\.\.\/x"\)/);
  });

  it("logs every refusal as a warning naming what did not match", () => {
    const reasons = agentWarnings("node-1")
      .filter(l => / refused$/.test(l.msg ?? ""))
      .map(l => l.reason ?? "");
    assert.ok(
      reasons.some(r => r.includes("belongs to pod agent-trust/victim")),
      reasons.join("\n"),
    );
    assert.ok(
      reasons.some(r => r.includes("runs on node node-2")),
      reasons.join("\n"),
    );
    assert.ok(
      reasons.some(r => r.includes("was made on node node-2")),
      reasons.join("\n"),
    );
  });

  it("still releases on a legitimate DEL once the Pod is gone, and the others keep their addresses", async () => {
    await api.delete(`/api/v1/namespaces/${ns}/pods/legit`);
    await waitFor(
      "legit gone",
      async () => !(await listPods(api, ns)).some(p => p.metadata.name === "legit"),
    );
    const r = await agentRequest("node-1", "DELETE", "/v1/ipam/ip", podArgs("legit"));
    assert.equal(r.status, 200, r.body);
    assert.equal((await claimsOf("legit")).length, 0);
    // Idempotent: a repeated DEL of a Pod without claims succeeds.
    assert.equal(
      (await agentRequest("node-1", "DELETE", "/v1/ipam/ip", podArgs("legit"))).status,
      200,
    );
    await untouched("victim");
    await untouched("remote");
  });
});
