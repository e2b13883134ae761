import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { adminClient, kubectl, loadState } from "../cluster/cluster.js";
import { agentImageRef, peprControllerRef } from "../cluster/component-images.js";
import { REAL_NODE_LABEL, type RealNode } from "../cluster/real-node.js";
import { apply, createNamespace, deleteNamespace } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The images cluster:up builds without a registry (e2e/cluster/component-images.ts) and loads
 * into every real node: the kubelet starts containers from them with `imagePullPolicy: Never`,
 * so nothing but the node's own store can have served them.
 */
describe("real node: the agent and Pepr controller images built here run in containers", function () {
  const ns = `img-${Date.now().toString(36)}`;
  let api: ApiClient;
  let real: RealNode | undefined;

  before(async function () {
    real = loadState()?.realNodes?.[0];
    if (!real) {
      process.stdout.write(
        "      skipped: the cluster has no real node (cluster:up --real-nodes 1, or SPIDERPOOL_E2E_REAL_NODES=1)\n",
      );
      this.skip();
    }
    api = adminClient();
    await createNamespace(api, ns);
  });

  after(async function () {
    if (!real) return;
    await deleteNamespace(api, ns);
    api.close();
  });

  /** Runs a pod to completion on the real node (host network: no address needed) and returns its log. */
  async function runToEnd(name: string, container: Record<string, unknown>): Promise<string> {
    apply(
      JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: ns },
        spec: {
          restartPolicy: "Never",
          hostNetwork: true,
          terminationGracePeriodSeconds: 1,
          nodeSelector: { "kubernetes.io/hostname": real!.name },
          tolerations: [{ key: REAL_NODE_LABEL, operator: "Exists", effect: "NoSchedule" }],
          containers: [{ name: "c", imagePullPolicy: "Never", ...container }],
        },
      }),
    );
    const pod = await waitFor(
      `pod ${name} finished`,
      async () => {
        const p = await api.get<Pod>(`/api/v1/namespaces/${ns}/pods/${name}`);
        return p.status?.phase === "Succeeded" || p.status?.phase === "Failed" ? p : undefined;
      },
      120_000,
    );
    const log = kubectl(["logs", "-n", ns, name]);
    assert.equal(pod.status?.phase, "Succeeded", `${name} failed; its log:\n${log}`);
    return log;
  }

  it("runs Node 24 and the CNI installer from the agent image, as root", async () => {
    // The DaemonSet's init step, pointed at a directory of the container's own.
    const log = await runToEnd("agent", {
      image: agentImageRef(),
      command: [
        "/bin/sh",
        "-c",
        "node --version && id -u && mkdir /tmp/cni && CNI_BIN_DIR=/tmp/cni /bin/sh /opt/spiderpool/install-cni.sh && ls /tmp/cni",
      ],
    });
    assert.match(log, /^v24\./m, log);
    assert.match(log, /^0$/m, `not root:\n${log}`);
    for (const f of ["spiderpool", "spiderpool-node", "coordinator", "spiderpool-host.json"])
      assert.match(log, new RegExp(`^${f}$`, "m"), `${f} not installed:\n${log}`);
  });

  it("loads pepr 1.1.4 and its dependencies in the controller image, as user 65532 in /app", async () => {
    const log = await runToEnd("controller", {
      image: peprControllerRef(),
      // The generated Deployments pass `controller.js <hash>` as args to the image's `node`.
      args: [
        "-e",
        "const p = require('pepr'); const v = require('/app/node_modules/pepr/package.json').version;" +
          "console.log(`pepr ${v} ${typeof p.PeprModule} uid ${process.getuid()} cwd ${process.cwd()}`);" +
          "require('fs').accessSync('/app/node_modules/pepr/dist/controller.js');",
      ],
    });
    assert.match(log, /^pepr 1\.1\.4 function uid 65532 cwd \/app$/m, log);
  });
});
