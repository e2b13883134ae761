import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { HOST_CONFIG_FILE } from "../../lib/cni-plugin/host-dirs.js";
import { adminClient, kubectl, loadState } from "../cluster/cluster.js";
import { agentImageRef, buildAgentImage } from "../cluster/component-images.js";
import { AGENT_POD_SELECTOR, waitAgentPodReady } from "../cluster/deployed-install.js";
import { paths } from "../cluster/paths.js";
import { importImage, REAL_NODE_LABEL, type RealNode } from "../cluster/real-node.js";
import { socketOf } from "../cluster/spiderpool-install.js";
import { claimsOf } from "../support/allocation-ledger.js";
import { apply, createNamespace, deleteNamespace, waitGone, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The real node with the agent a user's cluster runs: the DaemonSet of manifests/, its init
 * container installing the plugin, the agent pod on the agent image, authenticated by its
 * ServiceAccount (cluster:up --install deployed, or SPIDERPOOL_E2E_INSTALL=deployed).
 */
describe("real node deployed: the agent DaemonSet on a kubelet + containerd node", function () {
  const ns = `dep-${Date.now().toString(36)}`;
  const pool = ns;
  let api: ApiClient;
  let real: RealNode | undefined;
  let sim: string | undefined;

  before(async function () {
    const state = loadState();
    real = state?.realNodes?.[0];
    sim = state?.nodes[0]?.name;
    if (!state || !real || !sim || state.install !== "deployed") {
      process.stdout.write(
        "      skipped: no real node with the deployed agent (cluster:up --real-nodes 1 --install deployed, or SPIDERPOOL_E2E_INSTALL=deployed)\n",
      );
      real = undefined;
      this.skip();
    }
    assert.equal(state.agents[real.name], undefined, "a host-process agent runs for the real node");
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${pool}}
spec: {subnet: 10.252.0.0/16, ips: ["10.252.1.1-10.252.1.30"]}
`);
    await createNamespace(
      api,
      ns,
      {},
      { "ipam.spidernet.io/default-ipv4-ippool": JSON.stringify([pool]) },
    );
  });

  after(async function () {
    if (!real) return;
    await deleteNamespace(api, ns);
    await waitGone(api, ns, "app").catch(() => undefined);
    await api
      .delete(`/apis/spiderpool.spidernet.io/v2beta1/spiderippools/${pool}`)
      .catch(() => undefined);
    api.close();
  });

  const agentPods = async () =>
    (
      await api.get<KubeList<Pod>>("/api/v1/namespaces/kube-system/pods", {
        labelSelector: AGENT_POD_SELECTOR,
      })
    ).items.filter(p => !p.metadata.deletionTimestamp);

  it("runs the agent pod Ready on the real node only, and its init container installed the plugin", async () => {
    const pod = await waitAgentPodReady(api, real!.name);
    assert.deepEqual(
      (await agentPods()).map(p => p.spec.nodeName),
      [real!.name],
      "agent pods outside the real node",
    );
    assert.equal(pod.spec.containers[0]?.image, agentImageRef());
    const init = kubectl(["logs", "-n", "kube-system", pod.metadata.name, "-c", "install-cni"]);
    const bin = real!.layout.cniBinDir;
    for (const f of ["spiderpool-node", "spiderpool", "coordinator"]) {
      assert.ok(
        init.includes(`installed linux-amd64 plugin as /host/opt/cni/bin/${f} `),
        `the installer did not report ${f}:\n${init}`,
      );
      const st = fs.statSync(path.join(bin, f));
      assert.ok(st.mode & 0o111, `${f} in ${bin} is not executable`);
    }
    const host = JSON.parse(fs.readFileSync(path.join(bin, HOST_CONFIG_FILE), "utf8")) as {
      runDir: string;
      logDir: string;
    };
    assert.equal(host.runDir, path.dirname(socketOf(real!.name)));
    // The node's network config runs our plugin through the socket the agent pod serves.
    const conf = fs
      .readdirSync(real!.layout.cniConfDir)
      .map(f => JSON.parse(fs.readFileSync(path.join(real!.layout.cniConfDir, f), "utf8"))) as {
      plugins: { ipam?: { type: string; ipam_unix_socket_path: string } }[];
    }[];
    const ipam = conf.flatMap(c => c.plugins).find(p => p.ipam)?.ipam;
    assert.equal(ipam?.type, "spiderpool");
    assert.equal(path.dirname(ipam.ipam_unix_socket_path), host.runDir);
    assert.ok(fs.statSync(socketOf(real!.name)).isSocket(), "the agent pod serves no socket");
  });

  let pods: Pod[] = [];
  async function checkAddresses(ps: Pod[]): Promise<void> {
    for (const p of ps) {
      assert.equal(p.spec.nodeName, real!.name);
      const ip = p.status?.podIPs?.[0]?.ip ?? "";
      assert.match(ip, /^10\.252\.1\.([1-9]|[12]\d|30)$/, `${p.metadata.name}: ${ip}`);
      const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`);
      assert.deepEqual(
        claims.map(c => c.spec.address.split("/")[0]),
        [ip],
        `${p.metadata.name}: IPClaims disagree with its podIP`,
      );
    }
  }

  const deployment = (replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: bb, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: bb}}
  template:
    metadata: {labels: {app: bb}}
    spec:
      terminationGracePeriodSeconds: 1
      nodeSelector: {kubernetes.io/hostname: ${real!.name}}
      tolerations: [{key: ${REAL_NODE_LABEL}, operator: Exists, effect: NoSchedule}]
      containers:
      - {name: c, image: "busybox:1.36", imagePullPolicy: Never, command: [sleep, "3600"]}
`;

  it("gives busybox pods pool addresses on eth0 through the deployed agent, and they reach a simulated node's pod", async () => {
    apply(`${deployment(2)}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: peer, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: peer}}
  template:
    metadata: {labels: {app: peer}}
    spec:
      terminationGracePeriodSeconds: 1
      nodeSelector: {kubernetes.io/hostname: ${sim}}
      containers: [{name: c, image: registry.invalid/pause}]
`);
    pods = await waitRunning(api, ns, "app=bb", 2, 120_000);
    await checkAddresses(pods);
    const [peer] = await waitRunning(api, ns, "app=peer", 1);
    for (const p of pods) {
      const out = kubectl([
        "exec",
        "-n",
        ns,
        p.metadata.name,
        "--",
        "ip",
        "-4",
        "addr",
        "show",
        "eth0",
      ]);
      assert.ok(out.includes(`inet ${p.status!.podIP}/16`), out);
    }
    const ping = kubectl([
      ...["exec", "-n", ns, pods[0]!.metadata.name, "--"],
      ...["ping", "-c", "2", "-W", "2", peer!.status!.podIP!],
    ]);
    assert.match(ping, / 0% packet loss/, ping);
  });

  it("restarts a killed agent pod through the DaemonSet, and allocation resumes", async () => {
    assert.equal(pods.length, 2, "no pods from the previous test");
    const [old] = await agentPods();
    assert.ok(old, "no agent pod");
    await api.delete(`/api/v1/namespaces/kube-system/pods/${old.metadata.name}`, {
      gracePeriodSeconds: 0,
    });
    const fresh = await waitFor(
      "a new agent pod Ready",
      async () => {
        const p = await waitAgentPodReady(api, real!.name);
        return p.metadata.uid !== old.metadata.uid ? p : undefined;
      },
      180_000,
    );
    assert.notEqual(fresh.metadata.name, old.metadata.name);
    apply(deployment(3));
    const now = await waitRunning(api, ns, "app=bb", 3, 120_000);
    await checkAddresses(now);
    const before = new Map(pods.map(p => [p.metadata.uid, p.status!.podIP]));
    for (const p of now)
      if (before.has(p.metadata.uid))
        assert.equal(
          p.status!.podIP,
          before.get(p.metadata.uid),
          `${p.metadata.name} changed address`,
        );
    pods = now;
  });

  it("rolls out a new agent image tag with no pod losing its address", async () => {
    assert.equal(pods.length, 3, "no pods from the previous test");
    const tag = "0.1.0-upgrade";
    const ref = agentImageRef(tag);
    importImage(real!, ref, buildAgentImage(loadState()!.cniBinDir, paths.log("upgrade"), tag));
    const [old] = await agentPods();
    kubectl([
      ...["-n", "kube-system", "set", "image", "daemonset/spiderpool-agent"],
      `agent=${ref}`,
      `install-cni=${ref}`,
    ]);
    kubectl([
      "-n",
      "kube-system",
      "rollout",
      "status",
      "daemonset/spiderpool-agent",
      "--timeout=180s",
    ]);
    const fresh = await waitAgentPodReady(api, real!.name);
    assert.notEqual(fresh.metadata.uid, old!.metadata.uid, "the DaemonSet did not roll");
    assert.equal(fresh.spec.containers[0]?.image, ref);
    const after = await waitRunning(api, ns, "app=bb", 3);
    const before = new Map(pods.map(p => [p.metadata.uid, p.status!.podIP]));
    assert.deepEqual(
      new Map(after.map(p => [p.metadata.uid, p.status!.podIP])),
      before,
      "pods or their addresses changed during the rollout",
    );
    await checkAddresses(after);
    for (const p of after) {
      const out = kubectl([
        "exec",
        "-n",
        ns,
        p.metadata.name,
        "--",
        "ip",
        "-4",
        "addr",
        "show",
        "eth0",
      ]);
      assert.ok(out.includes(`inet ${p.status!.podIP}/16`), out);
    }
  });
});
