import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import { endpointPath, FINALIZER, getEndpoint } from "../../lib/k8s/endpoint-store.js";
import { adminClient } from "../cluster/cluster.js";
import { clusterDir } from "../cluster/paths.js";
import { socketOf } from "../cluster/spiderpool-install.js";
import { deleteNamespaceAndWait, deletePools } from "../support/allocation-ledger.js";
import { agentRequest, replyText } from "../support/agent-socket.js";
import { scrapeAgent } from "../support/agent-metrics.js";
import { apply, createNamespace, listPods } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The agent's unix-socket API under bad input (docs/reference/agent-api.md#errors): every refusal is a 400 or 500 whose
 * text names the field or object and value, and nothing is allocated. Also the metrics of docs/usage/metrics.md#agent-metrics
 * on the agent's ops port.
 */
describe("allocation: the agent socket refuses bad input", function () {
  const ns = "alloc-socket";
  const NODE = "node-1";
  let api: ApiClient;
  let hostPod: Pod;
  let elsewhere: Pod;

  const claimCount = async () => (await api.get<KubeList<unknown>>(CLAIMS_PATH)).items.length;
  const add = (over: Record<string, unknown> = {}) => ({
    containerID: "c0ffee",
    ifName: "eth0",
    netNamespace: "/run/netns/none",
    podNamespace: ns,
    podName: hostPod.metadata.name,
    podUID: hostPod.metadata.uid,
    ...over,
  });

  before(async () => {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: socket-v4}
spec: {subnet: 10.129.0.0/24, ips: ["10.129.0.10-10.129.0.19"]}
`);
    await createNamespace(
      api,
      ns,
      {},
      { "ipam.spidernet.io/default-ipv4-ippool": '["socket-v4"]' },
    );
    // Host-network Pods get no CNI call from the node, so these requests are the only ones.
    const pod = (name: string, node: string, annotations = "{}") => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, annotations: ${annotations}}
spec:
  nodeName: ${node}
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: registry.invalid/pause}]
`;
    apply(
      [
        pod("on-node-1", NODE),
        pod("on-node-2", "node-2"),
        pod(
          "bad-routes",
          NODE,
          `{ipam.spidernet.io/routes: '[{"dst": "10.0.0.0/8", "gw": "fd00::1"}]'}`,
        ),
        pod("bad-ippool", NODE, `{ipam.spidernet.io/ippool: '{"ipv4": "socket-v4"}'}`),
      ].join("---"),
    );
    const pods = await waitFor("the host-network Pods Running", async () => {
      const l = await listPods(api, ns);
      return l.length === 4 && l.every(p => p.status?.phase === "Running") && l;
    });
    hostPod = pods.find(p => p.metadata.name === "on-node-1")!;
    elsewhere = pods.find(p => p.metadata.name === "on-node-2")!;
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await deletePools(api, ["socket-v4"]).catch(() => undefined);
    api.close();
  });

  let claimsBefore = 0;
  let metricsBefore: Awaited<ReturnType<typeof scrapeAgent>>;

  it("counts the claims before the bad requests", async () => {
    claimsBefore = await claimCount();
    metricsBefore = await scrapeAgent(NODE);
    assert.ok(claimsBefore >= 0);
  });

  it("answers 400 to a body that is not JSON", async () => {
    const r = await agentRequest(NODE, "POST", "/v1/ipam/ip", '{"containerID": "c0ffee",');
    assert.equal(r.status, 400);
    assert.equal(r.code, "invalid_request");
    assert.match(replyText(r), /request body is not JSON/);
  });

  it("answers 400 naming every missing field", async () => {
    const r = await agentRequest(NODE, "POST", "/v1/ipam/ip", {});
    assert.equal(r.status, 400);
    const text = replyText(r);
    for (const f of ["containerID", "ifName", "netNamespace", "podNamespace", "podName", "podUID"])
      assert.match(text, new RegExp(`\\b${f}\\b`), `${f} not named in: ${text}`);
  });

  it("answers 400 naming a field of the wrong type and its value", async () => {
    const r = await agentRequest(
      NODE,
      "POST",
      "/v1/ipam/ip",
      add({ ifName: 42, defaultIPv4IPPool: "socket-v4" }),
    );
    assert.equal(r.status, 400);
    assert.match(replyText(r), /ifName: .*got 42/);
    assert.match(replyText(r), /defaultIPv4IPPool: .*got "socket-v4"/);
  });

  it("answers 400 to an empty required string", async () => {
    const r = await agentRequest(NODE, "DELETE", "/v1/ipam/ip", {
      containerID: "",
      ifName: "eth0",
      podNamespace: ns,
      podName: "x",
      podUID: "",
    });
    assert.equal(r.status, 400);
    assert.match(replyText(r), /containerID: .*got ""/);
  });

  it("answers 500 naming an unknown Pod", async () => {
    const r = await agentRequest(
      NODE,
      "POST",
      "/v1/ipam/ip",
      add({ podName: "no-such-pod", podUID: "" }),
    );
    assert.equal(r.status, 500);
    assert.equal(r.code, "pod_not_found");
    assert.equal(replyText(r), `failed to get Pod ${ns}/no-such-pod: not found`);
  });

  it("answers 500 when the Pod UID is of another incarnation", async () => {
    const r = await agentRequest(
      NODE,
      "POST",
      "/v1/ipam/ip",
      add({ podUID: "00000000-0000-0000-0000-000000000000" }),
    );
    assert.equal(r.status, 500);
    assert.match(
      replyText(r),
      new RegExp(
        `Pod ${ns}/on-node-1 has UID ${hostPod.metadata.uid}, the runtime asked for 00000000-0000-0000-0000-000000000000`,
      ),
    );
  });

  it("answers 500 to a Pod bound to another node", async () => {
    const r = await agentRequest(
      NODE,
      "POST",
      "/v1/ipam/ip",
      add({ podName: elsewhere.metadata.name, podUID: elsewhere.metadata.uid }),
    );
    assert.equal(r.status, 500);
    assert.equal(r.code, "pod_not_on_node");
    assert.match(replyText(r), /is bound to node "node-2", this agent serves node-1/);
  });

  it("answers 400 naming a malformed routes annotation of the Pod, before claiming anything", async () => {
    const p = (await listPods(api, ns)).find(x => x.metadata.name === "bad-routes")!;
    const r = await agentRequest(
      NODE,
      "POST",
      "/v1/ipam/ip",
      add({ podName: "bad-routes", podUID: p.metadata.uid }),
    );
    assert.equal(r.status, 400);
    assert.equal(
      replyText(r),
      "wrong input, invalid format of Pod annotation 'ipam.spidernet.io/routes': invalid route format 'dst: 10.0.0.0/8, gw: fd00::1'",
    );
  });

  it("answers 400 naming a malformed ippool annotation of the Pod and the offending value", async () => {
    const p = (await listPods(api, ns)).find(x => x.metadata.name === "bad-ippool")!;
    const r = await agentRequest(
      NODE,
      "POST",
      "/v1/ipam/ip",
      add({ podName: "bad-ippool", podUID: p.metadata.uid }),
    );
    assert.equal(r.status, 400);
    assert.match(
      replyText(r),
      /^wrong input, invalid format of Pod annotation 'ipam.spidernet.io\/ippool': .*ipv4/,
    );
  });

  it("answers 400 to a query without the Pod's name", async () => {
    const r = await agentRequest(NODE, "GET", `/v1/workloadendpoint?podNamespace=${ns}`);
    assert.equal(r.status, 400);
    assert.match(replyText(r), /podNamespace and podName are required/);
  });

  it("answers 404 to an unknown path", async () => {
    const r = await agentRequest(NODE, "POST", "/v1/ipam/nothing", {});
    assert.equal(r.status, 404);
    assert.match(replyText(r), /no route POST \/v1\/ipam\/nothing/);
  });

  it("answers 400 to an exec call naming a variable that is not CNI_* and a stdin that is not base64", async () => {
    const r = await agentRequest(NODE, "POST", "/v1/cni/exec", {
      env: { CNI_COMMAND: "ADD", PATH: "/bin" },
      stdin: "not base64!",
    });
    assert.equal(r.status, 400);
    assert.match(replyText(r), /env\.PATH: expected a CNI_\* variable name/);
    assert.match(replyText(r), /stdin: expected base64 text \(got "not base64!"\)/);
  });

  // The runtime runs the exec shim (cni/shim); the agent runs the plugin for it (ADR 0006). For
  // the same input it must answer exactly as the Node executable does on its own.
  const runPlugin = (file: string, env: Record<string, string>, stdin: string) => {
    const r = spawnSync(path.join(clusterDir, "cni-bin", file), [], {
      env,
      input: stdin,
      encoding: "utf8",
      timeout: 30_000,
    });
    return { exit: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const cniEnv = (podName: string, uid = "") => ({
    CNI_COMMAND: "ADD",
    CNI_CONTAINERID: "c0ffee",
    CNI_NETNS: "/run/netns/none",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/opt/cni/bin",
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${ns};K8S_POD_NAME=${podName};K8S_POD_UID=${uid}`,
  });
  const netconf = (ipam: Record<string, unknown>) =>
    JSON.stringify({
      cniVersion: "1.0.0",
      name: "socket-test",
      ipam: {
        type: "spiderpool",
        ipam_unix_socket_path: socketOf(NODE),
        log_file_path: path.join(clusterDir, "logs", "exec-shim-test.log"),
        ...ipam,
      },
    });

  for (const [label, env, stdin, code] of [
    ["an unknown Pod", cniEnv("no-such-pod"), netconf({}), 100],
    ["a Pod of another node", cniEnv("on-node-2"), netconf({}), 100],
    ["a netconf field of the wrong type", cniEnv("no-such-pod"), netconf({ log_level: 7 }), 7],
    ["a bad routes annotation", cniEnv("bad-routes"), netconf({}), 100],
  ] as const) {
    it(`the exec shim answers ${label} exactly as the Node executable does`, () => {
      const shim = runPlugin("spiderpool", env, stdin);
      const node = runPlugin("spiderpool-node", env, stdin);
      assert.equal(shim.exit, 1, JSON.stringify(shim));
      assert.equal(JSON.parse(shim.stdout).code, code, shim.stdout);
      assert.deepEqual(shim, node);
    });
  }

  it("the exec shim's calls ran in the agent, and a missing agent is answered by the Node executable", () => {
    const log = fs
      .readFileSync(path.join(clusterDir, "logs", "exec-shim-test.log"), "utf8")
      .trim()
      .split("\n")
      .map(l => JSON.parse(l) as { runner?: string; msg: string });
    assert.ok(
      log.some(l => l.runner === "agent"),
      "no log line of a call run by the agent",
    );
    assert.ok(
      log.some(l => l.runner === undefined),
      "no log line of the Node executable",
    );
    // Below the node's run directory (pluginDirs), where a missing agent's socket would be.
    const absent = netconf({
      ipam_unix_socket_path: path.join(clusterDir, "nodes", "no-agent.sock"),
    });
    const shim = runPlugin("spiderpool", cniEnv("no-such-pod"), absent);
    assert.deepEqual(shim, runPlugin("spiderpool-node", cniEnv("no-such-pod"), absent));
    assert.equal(JSON.parse(shim.stdout).code, 11, shim.stdout);
    assert.match(JSON.parse(shim.stdout).msg, /no-agent\.sock: no such file or directory/);
  });

  it("has allocated nothing for any of them", async () => {
    assert.equal(await claimCount(), claimsBefore);
  });

  it("allocates for a valid request, the same address when repeated, and releases it once the Pod is gone", async () => {
    const first = await agentRequest(NODE, "POST", "/v1/ipam/ip", add());
    assert.equal(first.status, 200, replyText(first));
    const again = await agentRequest(NODE, "POST", "/v1/ipam/ip", add());
    assert.equal(again.status, 200, replyText(again));
    const ips = (r: typeof first) =>
      (JSON.parse(r.body) as { ips: { address: string; nic: string; ipPool: string }[] }).ips;
    assert.deepEqual(ips(again), ips(first));
    assert.equal(ips(first).length, 1);
    assert.match(ips(first)[0]!.address, /^10\.129\.0\.\d+\/24$/);
    assert.equal(ips(first)[0]!.ipPool, "socket-v4");
    assert.equal(await claimCount(), claimsBefore + 1);
    const del = await agentRequest(NODE, "DELETE", "/v1/ipam/ip", {
      containerID: "c0ffee",
      ifName: "eth0",
      podNamespace: ns,
      podName: hostPod.metadata.name,
      podUID: hostPod.metadata.uid,
    });
    assert.equal(del.status, 200);
    assert.equal(
      await claimCount(),
      claimsBefore + 1,
      "a live Pod keeps its address on DEL (sandbox re-creation)",
    );
    await api.delete(`/api/v1/namespaces/${ns}/pods/${hostPod.metadata.name}`);
    await waitFor(
      "on-node-1 gone",
      async () => !(await listPods(api, ns)).some(p => p.metadata.name === "on-node-1"),
    );
    const gone = await agentRequest(NODE, "DELETE", "/v1/ipam/ip", {
      containerID: "c0ffee",
      ifName: "eth0",
      podNamespace: ns,
      podName: hostPod.metadata.name,
      podUID: hostPod.metadata.uid,
    });
    assert.equal(gone.status, 200);
    assert.equal(await claimCount(), claimsBefore, "DEL of a deleted Pod releases its address");
  });

  it("serves Spiderpool's agent metrics on the ops port and counts the requests", async () => {
    const m = await scrapeAgent(NODE);
    const counters = [
      "allocation_counts",
      "allocation_failure_counts",
      "allocation_update_ippool_conflict_counts",
      "allocation_err_internal_counts",
      "allocation_err_no_available_pool_counts",
      "allocation_err_retries_exhausted_counts",
      "allocation_err_ip_used_out_counts",
      "release_counts",
      "release_failure_counts",
      "release_update_ippool_conflict_counts",
      "release_err_internal_counts",
      "release_err_retries_exhausted_counts",
    ];
    for (const c of counters)
      assert.equal(
        m.types.get(`spiderpool_ipam_${c}_total`),
        "counter",
        `spiderpool_ipam_${c}_total`,
      );
    for (const op of ["allocation", "release"]) {
      assert.equal(m.types.get(`spiderpool_ipam_${op}_duration_seconds`), "histogram");
      for (const g of ["average", "max", "min", "latest"])
        assert.equal(
          m.types.get(`spiderpool_ipam_${op}_${g}_duration_seconds`),
          "gauge",
          `${op} ${g}`,
        );
    }
    // Five well-formed ADDs reached the allocator and failed (unknown Pod, other UID, other node,
    // two bad annotations), and six more from the executables (three Pods, shim and Node each);
    // two succeeded.
    const delta = (n: string) => m.value(n) - metricsBefore.value(n);
    assert.equal(delta("spiderpool_ipam_allocation_counts_total"), 13);
    assert.equal(delta("spiderpool_ipam_allocation_failure_counts_total"), 11);
    assert.equal(delta("spiderpool_ipam_release_counts_total"), 2);
    assert.equal(delta("spiderpool_ipam_allocation_duration_seconds_count"), 2);
  });

  it("on DEL of a gone Pod drops only our endpoint finalizer, and never touches another incarnation's endpoint", async () => {
    const podYaml = (name: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  nodeName: ${NODE}
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: registry.invalid/pause}]
`;
    const running = async (name: string) =>
      waitFor(`${name} Running`, async () =>
        (await listPods(api, ns)).find(
          p => p.metadata.name === name && p.status?.phase === "Running",
        ),
      );
    const endpoint = (name: string) => getEndpoint(api, ns, name);
    const delFor = (pod: Pod, uid = pod.metadata.uid) =>
      agentRequest(NODE, "DELETE", "/v1/ipam/ip", {
        containerID: "c0ffee",
        ifName: "eth0",
        podNamespace: ns,
        podName: pod.metadata.name,
        podUID: uid,
      });
    const KEEP = "example.com/keep";

    // A finalizer of someone else: the one-request release must not apply, the read path decides.
    apply(podYaml("ep-shared"));
    const shared = await running("ep-shared");
    assert.equal(
      (
        await agentRequest(
          NODE,
          "POST",
          "/v1/ipam/ip",
          add({ podName: "ep-shared", podUID: shared.metadata.uid }),
        )
      ).status,
      200,
    );
    const written = await endpoint("ep-shared");
    assert.deepEqual(written?.metadata.finalizers, [FINALIZER]);
    await api.patch(
      endpointPath(ns, "ep-shared"),
      { metadata: { finalizers: [FINALIZER, KEEP] } },
      "merge",
    );
    await api.delete(`/api/v1/namespaces/${ns}/pods/ep-shared`);
    await waitFor(
      "ep-shared gone",
      async () => !(await listPods(api, ns)).some(p => p.metadata.name === "ep-shared"),
    );
    assert.equal((await delFor(shared)).status, 200);
    assert.deepEqual(
      (await endpoint("ep-shared"))?.metadata.finalizers,
      [KEEP],
      "only our finalizer is removed",
    );
    await api.patch(endpointPath(ns, "ep-shared"), { metadata: { finalizers: [] } }, "merge");

    // A DEL naming another incarnation of a live Pod: no claim and no endpoint of the live one moves.
    apply(podYaml("ep-live"));
    const live = await running("ep-live");
    assert.equal(
      (
        await agentRequest(
          NODE,
          "POST",
          "/v1/ipam/ip",
          add({ podName: "ep-live", podUID: live.metadata.uid }),
        )
      ).status,
      200,
    );
    const claims = await claimCount();
    assert.equal((await delFor(live, "00000000-0000-0000-0000-00000000dead")).status, 200);
    assert.equal(await claimCount(), claims, "the live incarnation keeps its claim");
    const kept = await endpoint("ep-live");
    assert.equal(kept?.status?.current.uid, live.metadata.uid);
    assert.deepEqual(
      kept?.metadata.finalizers,
      [FINALIZER],
      "the live incarnation keeps its endpoint finalizer",
    );

    // The ordinary case: the Pod is gone, its endpoint is as the agent wrote it.
    await api.delete(`/api/v1/namespaces/${ns}/pods/ep-live`);
    await waitFor(
      "ep-live gone",
      async () => !(await listPods(api, ns)).some(p => p.metadata.name === "ep-live"),
    );
    assert.equal((await delFor(live)).status, 200);
    assert.equal(await claimCount(), claims - 1, "DEL of the gone Pod releases its claim");
    const after = await endpoint("ep-live");
    assert.ok(
      !after || !(after.metadata.finalizers ?? []).includes(FINALIZER),
      `our finalizer is gone: ${JSON.stringify(after?.metadata)}`,
    );
  });
});
