import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { HOST_CONFIG_FILE } from "../../lib/cni-plugin/host-dirs.js";
import { adminClient, kubectl, loadState } from "../cluster/cluster.js";
import { agentImageRef, buildAgentImage, peprControllerRef } from "../cluster/component-images.js";
import {
  AGENT_POD_SELECTOR,
  inCluster,
  type InstallMode,
  waitAgentPodReady,
} from "../cluster/deployed-install.js";
import { HELM_CHART, HELM_RELEASE, helmArgs } from "../cluster/helm-install.js";
import { paths, repoRoot } from "../cluster/paths.js";
import { deployedPeprManifest, waitPeprPodsReady } from "../cluster/pepr-in-cluster.js";
import { POD_POOL } from "../cluster/pod-network.js";
import { importImage, REAL_NODE_LABEL, type RealNode } from "../cluster/real-node.js";
import { socketOf } from "../cluster/spiderpool-install.js";
import { claimsOf } from "../support/allocation-ledger.js";
import { run } from "../../scripts/helm-binary.js";
import { apply, deleteNamespace, waitGone, waitRunning } from "../support/kube.js";
import {
  assertPodIpOnEth0,
  createPoolNamespace,
  peerDeployment,
  removePoolNamespace,
} from "../support/pool-namespace.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The real node with the agent a user's cluster runs: the DaemonSet, its init container
 * installing the plugin, the agent pod on the agent image, authenticated by its ServiceAccount;
 * and the Pepr module in-cluster, its webhooks served through their Service. Installed from the
 * manifests (cluster:up --install deployed, SPIDERPOOL_E2E_INSTALL=deployed) or with the Helm
 * chart (--install helm, SPIDERPOOL_E2E_INSTALL=helm): only the upgrade and the uninstall differ,
 * each as its document says (docs/usage/install.md, docs/usage/helm.md); every other assertion is
 * the same. The last test uninstalls everything: this suite runs alone in its CI step.
 */
/** Per install mode: the document whose uninstall block is run, and where that block starts. */
const UNINSTALL_DOC: Record<Exclude<InstallMode, "processes">, { file: string; from: string }> = {
  deployed: { file: "docs/usage/install.md", from: "## Uninstall" },
  helm: { file: "docs/usage/helm.md", from: "To remove everything" },
};

describe("real node deployed: the agent DaemonSet on a kubelet + containerd node", function () {
  const ns = `dep-${Date.now().toString(36)}`;
  const pool = ns;
  let api: ApiClient;
  let real: RealNode | undefined;
  let sim: string | undefined;
  let mode: "deployed" | "helm" = "deployed";

  before(async function () {
    const state = loadState();
    real = state?.realNodes?.[0];
    sim = state?.nodes[0]?.name;
    if (!state || !real || !sim || !inCluster(state.install)) {
      process.stdout.write(
        "      skipped: no real node with the deployed agent (cluster:up --real-nodes 1 --install deployed|helm, or SPIDERPOOL_E2E_INSTALL=deployed|helm)\n",
      );
      real = undefined;
      this.skip();
    }
    mode = state.install as typeof mode;
    process.stdout.write(`      installed with: ${mode}\n`);
    assert.equal(state.agents[real.name], undefined, "a host-process agent runs for the real node");
    api = adminClient();
    await createPoolNamespace(api, {
      namespace: ns,
      pool,
      subnet: "10.252.0.0/16",
      ips: "10.252.1.1-10.252.1.30",
    });
  });

  after(async function () {
    if (!real) return;
    await removePoolNamespace(api, { namespace: ns, pool });
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

  it("runs the Pepr admission and watcher pods in-cluster on the real node, with pool addresses and the module's ServiceAccount", async () => {
    assert.deepEqual(
      loadState()!.pepr,
      [],
      "the cluster started the Pepr module as host processes",
    );
    for (const [controller, count] of [
      ["admission", 2],
      ["watcher", 1],
    ] as const) {
      const ready = await waitPeprPodsReady(api, real!.name, controller, count);
      for (const p of ready) {
        const spec = p.spec as typeof p.spec & { serviceAccountName?: string };
        assert.equal(spec.serviceAccountName, "pepr-spiderpool", p.metadata.name);
        assert.equal(p.spec.hostNetwork ?? false, false, `${p.metadata.name} on the host network`);
        assert.equal(p.spec.containers[0]?.image, peprControllerRef());
        const ip = p.status?.podIP ?? "";
        assert.match(ip, /^10\.253\.1\.([1-9]|[1-3]\d|40)$/, `${p.metadata.name}: ${ip}`);
        const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`);
        assert.deepEqual(
          claims.map(c => [c.spec.address.split("/")[0], c.metadata.labels?.[CLAIM_LABELS.pool]]),
          [[ip, POD_POOL.name]],
          `${p.metadata.name}: no IPClaim of ${POD_POOL.name} for ${ip}`,
        );
      }
    }
  });

  it("denies an overlapping SpiderIPPool through the in-cluster webhook, which is a Service, served by no host process", () => {
    const vwc = JSON.parse(
      kubectl(["get", "validatingwebhookconfiguration", "pepr-spiderpool", "-o", "json"]),
    ) as {
      webhooks: {
        name: string;
        clientConfig: { url?: string; service?: { name: string; namespace: string } };
      }[];
    };
    assert.ok(vwc.webhooks.length > 0, "no webhooks");
    for (const w of vwc.webhooks) {
      assert.equal(w.clientConfig.url, undefined, `${w.name} calls a URL`);
      assert.deepEqual(
        [w.clientConfig.service?.namespace, w.clientConfig.service?.name],
        ["pepr-system", "pepr-spiderpool"],
        w.name,
      );
    }
    // The host-process module runs `pepr.ts --role=…` (e2e/cluster/pepr-module.ts); one cluster
    // runs on the machine at a time (the e2e lock), so any such process would be this cluster's.
    const hostModules = fs
      .readdirSync("/proc")
      .filter(e => /^\d+$/.test(e))
      .flatMap(e => {
        try {
          const cmd = fs.readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
          const module =
            cmd.some(a => a.endsWith("/pepr.ts")) && cmd.some(a => a.startsWith("--role="));
          return module ? [`${e}: ${cmd.join(" ")}`] : [];
        } catch {
          return [];
        }
      });
    assert.deepEqual(hostModules, [], "a host process runs the Pepr module");
    const overlap = `${pool}-overlap`;
    assert.throws(
      () =>
        apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${overlap}}
spec: {subnet: 10.252.0.0/16, ips: ["10.252.1.5-10.252.1.6"]}
`),
      (e: Error) => {
        assert.match(
          e.message,
          /admission webhook "pepr-spiderpool\.pepr\.dev" denied the request/,
        );
        assert.ok(
          e.message.includes(`spec.ips: Forbidden: overlap with IPPool ${pool} in IP ranges [`),
          e.message,
        );
        return true;
      },
    );
    assert.throws(
      () => kubectl(["get", "spiderippool", overlap]),
      /not found/,
      "the denied pool exists",
    );
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
    apply(
      `${deployment(2)}
---
` + peerDeployment(ns, sim!),
    );
    pods = await waitRunning(api, ns, "app=bb", 2, 120_000);
    await checkAddresses(pods);
    const [peer] = await waitRunning(api, ns, "app=peer", 1);
    assertPodIpOnEth0(pods, 16);
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
    if (mode === "helm")
      // docs/usage/helm.md, "Upgrade": the release's values kept, the new tag set.
      run(
        path.join(loadState()!.binDir, "helm"),
        helmArgs(
          ...["upgrade", HELM_RELEASE.name, HELM_CHART, "--reuse-values"],
          ...["--set", `spiderpoolAgent.image.tag=${tag}`],
        ),
      );
    else
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
    assertPodIpOnEth0(after, 16);
  });

  /**
   * The commands of the uninstall block of docs/usage/install.md (deployed) or docs/usage/helm.md
   * (helm, "To remove everything"), run as written: kubectl and helm against this cluster from the
   * repository root, the node's own directories in place of /opt/cni/bin and /etc/cni/net.d, the
   * deployed build's manifest in place of dist/. The `kubectl get` lines and the finalizer patch
   * ("once ... is empty") are conditions a user waits for: waited for here. The run directory
   * here is the node's own directory, so only the agent's socket goes from it.
   */
  it("uninstalls in the documented order, leaving no CRD, webhook configuration, RBAC object, DaemonSet or CNI file of ours", async function () {
    this.timeout(900_000);
    const state = loadState()!;
    const n = real!;
    const source = UNINSTALL_DOC[mode];
    const doc = fs.readFileSync(path.join(repoRoot, source.file), "utf8");
    assert.ok(doc.includes(source.from), `${source.file}: no "${source.from}"`);
    const section = doc.slice(doc.indexOf(source.from));
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    const lines = block
      .split("\n")
      .map(l => l.trim())
      .filter(l => l && !l.startsWith("#"));
    assert.ok(lines.length >= 8, `no uninstall commands found in ${source.file}:\n${block}`);
    // Workloads first (step 1's first clause): the suite's pods, on the real and simulated nodes.
    await deleteNamespace(api, ns);
    await waitGone(api, ns, "app", 120_000);
    const claims = async () =>
      (await claimsOf(api, "")).map(c => c.metadata.labels?.[CLAIM_LABELS.podNamespace] ?? "");
    const sub = (l: string) =>
      l
        .replaceAll("dist/pepr-module-spiderpool.yaml", deployedPeprManifest())
        .replaceAll("/opt/cni/bin", n.layout.cniBinDir)
        .replaceAll("/etc/cni/net.d", n.layout.cniConfDir);
    const sh = (l: string) => {
      const r = spawnSync("timeout", ["300", "bash", "-c", l], {
        cwd: repoRoot,
        encoding: "utf8",
        env: {
          ...process.env,
          PATH: `${state.binDir}:${process.env.PATH}`,
          KUBECONFIG: paths.kubeconfig,
        },
      });
      assert.equal(r.status, 0, `${l}\n${r.stdout}${r.stderr}`);
    };
    const poolNames = () =>
      kubectl(["get", "spiderippools", "-o", "name"])
        .split("\n")
        .filter(Boolean)
        .map(x => x.split("/")[1]!);
    for (const line of lines) {
      if (line.startsWith("kubectl get ipclaims")) {
        await waitFor(
          "only the Pepr pods' IPClaims left",
          async () => (await claims()).every(s => s === "pepr-system"),
          180_000,
        );
      } else if (line.startsWith("kubectl get spiderippools")) {
        await waitFor(
          "only pools the remaining IPClaims name",
          async () => {
            const named = new Set(
              (await claimsOf(api, "")).map(c => c.metadata.labels?.[CLAIM_LABELS.pool]),
            );
            return poolNames().every(p => named.has(p));
          },
          180_000,
        );
      } else if (line.includes("<name>")) {
        await waitFor("no IPClaim left", async () => (await claims()).length === 0, 180_000);
        const left = poolNames();
        // deployed: the watcher goes with the module while the Pepr pods still hold their
        // claims, so their pool always waits here. helm: the Pepr pods stop first and the
        // watcher may see their claims go and drop the finalizer itself ("a pool still
        // Terminating"). Either way no pool but theirs is left.
        if (mode === "deployed")
          assert.deepEqual(left, [POD_POOL.name], "pools left before their finalizers are dropped");
        else
          assert.deepEqual(
            left.filter(p => p !== POD_POOL.name),
            [],
            "pools left before their finalizers are dropped",
          );
        for (const p of left) sh(line.replace("<name>", p));
      } else if (line.startsWith("rm -rf /var/run/spidernet")) {
        // Here the run directory is the node's own directory (containerd's state lives there):
        // what the agent put into it is its socket.
        fs.rmSync(socketOf(n.name), { force: true });
      } else sh(sub(line));
    }

    const names = (kinds: string, all = false) =>
      kubectl(["get", kinds, ...(all ? ["-A"] : []), "-o", "name"])
        .split("\n")
        .filter(Boolean);
    assert.deepEqual(
      names("customresourcedefinitions").filter(c =>
        /\.(spiderpool\.spidernet\.io|ipam\.pepr-spiderpool\.io|pepr\.dev)$/.test(c),
      ),
      [],
      "CRDs left",
    );
    assert.deepEqual(
      names("validatingwebhookconfigurations,mutatingwebhookconfigurations").filter(w =>
        w.includes("pepr"),
      ),
      [],
      "webhook configurations left",
    );
    assert.deepEqual(
      [
        ...names("clusterroles,clusterrolebindings"),
        ...names("roles,rolebindings,serviceaccounts", true),
      ].filter(r => /spiderpool|pepr/.test(r)),
      [],
      "RBAC objects left",
    );
    assert.deepEqual(
      names("daemonsets", true).filter(d => d.includes("spiderpool")),
      [],
      "DaemonSets left",
    );
    assert.throws(() => kubectl(["get", "namespace", "pepr-system"]), /not found/);
    // The node's CNI directory holds what it had before the install: the main plugins only.
    assert.deepEqual(
      fs.readdirSync(n.layout.cniBinDir).sort(),
      fs.readdirSync(path.join(state.binDir, "cni")).sort(),
      "files left in the node's CNI bin directory",
    );
    assert.deepEqual(
      fs
        .readdirSync(n.layout.cniConfDir)
        .filter(f =>
          fs.readFileSync(path.join(n.layout.cniConfDir, f), "utf8").includes("spiderpool"),
        ),
      [],
      "network configurations naming spiderpool left",
    );
  });
});
