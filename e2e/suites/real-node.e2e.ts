import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { adminClient, kubectl, loadState } from "../cluster/cluster.js";
import { REAL_NODE_LABEL, type RealNode } from "../cluster/real-node.js";
import { claimsOf } from "../support/allocation-ledger.js";
import { apply, waitGone, waitRunning } from "../support/kube.js";
import { sandboxOf } from "../support/sandboxes.js";
import {
  assertPodIpOnEth0,
  createPoolNamespace,
  peerDeployment,
  removePoolNamespace,
} from "../support/pool-namespace.js";
import { waitFor } from "../support/wait-for.js";
import { assertWireClean, wireAudit } from "../support/wire-audit.js";

/**
 * The path a user's cluster takes: the real kubelet asks containerd (CRI) for a sandbox, containerd
 * runs our CNI plugin from the node's CNI directory, the plugin asks the node's agent, and the
 * address lands on a macvlan `eth0` in a real container. Runs only when the cluster has a real
 * node (`npm run cluster:up -- --real-nodes 1`, or SPIDERPOOL_E2E_REAL_NODES=1 for test:e2e).
 */
describe("real node: busybox pods through kubelet, containerd and our CNI plugin", function () {
  const ns = `real-${Date.now().toString(36)}`;
  const pool = ns;
  let api: ApiClient;
  let real: RealNode | undefined;
  let sim: string | undefined;

  before(async function () {
    const state = loadState();
    real = state?.realNodes?.[0];
    sim = state?.nodes[0]?.name;
    if (!state || !real || !sim) {
      process.stdout.write(
        "      skipped: the cluster has no real node and simulated node (cluster:up --real-nodes 1, or SPIDERPOOL_E2E_REAL_NODES=1)\n",
      );
      this.skip();
    }
    api = adminClient();
    await createPoolNamespace(api, {
      namespace: ns,
      pool,
      subnet: "10.251.0.0/16",
      ips: "10.251.1.1-10.251.1.30",
    });
  });

  after(async function () {
    if (!real) return;
    await removePoolNamespace(api, { namespace: ns, pool });
    api.close();
  });

  let pods: Pod[] = [];
  let peer: Pod | undefined;
  const started = () => {
    assert.equal(pods.length, 2, "the real node's pods did not start (first test)");
    assert.ok(peer, "the simulated node's pod did not start (first test)");
  };

  it("runs busybox pods on the real node with addresses from the pool", async () => {
    const node = await api.get<{ metadata: { labels?: Record<string, string> } }>(
      `/api/v1/nodes/${real!.name}`,
    );
    assert.equal(node.metadata.labels?.[REAL_NODE_LABEL], "true", "the real node is not labelled");
    apply(
      `
apiVersion: apps/v1
kind: Deployment
metadata: {name: bb, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: bb}}
  template:
    metadata: {labels: {app: bb}}
    spec:
      terminationGracePeriodSeconds: 1
      nodeSelector: {kubernetes.io/hostname: ${real!.name}}
      tolerations: [{key: ${REAL_NODE_LABEL}, operator: Exists, effect: NoSchedule}]
      containers:
      - {name: c, image: "busybox:1.36", imagePullPolicy: Never, command: [sleep, "3600"]}
---
` + peerDeployment(ns, sim!),
    );
    const applied = Date.now();
    pods = await waitRunning(api, ns, "app=bb", 2, 120_000);
    process.stdout.write(
      `      2 pods Running on ${real!.name} ${((Date.now() - applied) / 1000).toFixed(1)} s after apply\n`,
    );
    [peer] = await waitRunning(api, ns, "app=peer", 1);
    for (const p of pods) {
      assert.equal(p.spec.nodeName, real!.name, `${p.metadata.name} is not on the real node`);
      const ip = p.status?.podIPs?.[0]?.ip ?? "";
      assert.match(
        ip,
        /^10\.251\.1\.([1-9]|[12]\d|30)$/,
        `${p.metadata.name}: ${ip} is not from ${pool}`,
      );
      const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`);
      assert.deepEqual(
        claims.map(c => c.spec.address.split("/")[0]),
        [ip],
        `${p.metadata.name}: its IPClaims disagree with its podIP`,
      );
      assert.equal(claims[0]?.spec.pool, pool);
    }
    assert.notEqual(pods[0]!.status!.podIP, pods[1]!.status!.podIP, "two pods, one address");
  });

  it("shows the address on eth0 inside the container (kubectl exec)", () => {
    started();
    assertPodIpOnEth0(pods, 16);
  });

  it("reaches a pod on a simulated node over the fabric, and is reached from it", () => {
    started();
    const to = peer!.status!.podIP!;
    const out = kubectl([
      "exec",
      "-n",
      ns,
      pods[0]!.metadata.name,
      "--",
      "ping",
      "-c",
      "2",
      "-W",
      "2",
      to,
    ]);
    assert.match(out, / 0% packet loss/, out);
    const from = sandboxOf(peer!.spec.nodeName!, peer!.metadata.uid!)?.netns;
    assert.ok(from, `no sandbox of ${peer!.metadata.name} on ${peer!.spec.nodeName}`);
    const back = execFileSync(
      "ip",
      ["netns", "exec", from, "ping", "-c", "2", "-W", "2", pods[1]!.status!.podIP!],
      { encoding: "utf8" },
    );
    assert.match(back, / 0% packet loss/, back);
  });

  it("sees the real node's pods on the wire, each address held once", async () => {
    started();
    const audit = await assertWireClean(api, loadState()!, "real node pods");
    for (const p of pods)
      assert.ok(
        audit.answered.has(p.status!.podIP!),
        `${p.status!.podIP} of ${p.metadata.name} did not answer the wire audit`,
      );
    for (const p of pods) {
      const macs = audit.answered.get(p.status!.podIP!)!;
      assert.ok(
        macs.every(m => audit.hosts.has(m)),
        `${p.metadata.name}: the audit does not know the sandbox of MAC ${macs.join(",")}`,
      );
    }
  });

  it("releases the claims when the Deployment is deleted, and leaves the wire clean", async () => {
    started();
    const uids = pods.map(p => p.metadata.uid!);
    await api.delete(`/apis/apps/v1/namespaces/${ns}/deployments/bb`, {
      propagationPolicy: "Foreground",
    });
    await waitGone(api, ns, "app=bb");
    await waitFor("the real node's pods' IPClaims gone", async () => {
      for (const uid of uids)
        if ((await claimsOf(api, `${CLAIM_LABELS.podUid}=${uid}`)).length) return false;
      return true;
    });
    await assertWireClean(api, loadState()!, "after deleting the real node's pods");
    // The freed addresses are no longer in use, so the audit above does not probe them: ask.
    const freed = await wireAudit(
      loadState()!.netnsPrefix,
      pods.map(p => p.status!.podIP!),
    );
    assert.deepEqual([...freed.answered.keys()], [], "addresses of deleted pods still answer");
  });
});
