import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import { K8sError } from "../../lib/k8s/k8s-error.js";
import { adminClient, loadState } from "../cluster/cluster.js";
import { paths, repoRoot } from "../cluster/paths.js";
import {
  apply,
  createNamespace,
  deleteNamespace,
  listPods,
  waitGone,
  waitRunning,
} from "../support/kube.js";
import { removeAndWait } from "../support/spider-objects.js";
import { waitFor } from "../support/wait-for.js";

/** Runs `spiderpool …` as an operator would (the package.json bin), against the local cluster. */
function spiderpool(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot, "cli/spiderpool.mjs"), "--kubeconfig", paths.kubeconfig, ...args],
    { encoding: "utf8", timeout: 60_000, cwd: os.tmpdir() },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The operator CLI against real pools, claims and Pods: usage and holders, explanations for
 * Pods the agent refused (exhausted pool, node affinity), and the safe release of a leak.
 */
describe("cli: spiderpool pools / explain / release", function () {
  const ns = `cli-${Date.now().toString(36)}`;
  const one = `${ns}-one`; // a single address: the second Pod finds it exhausted
  const far = `${ns}-far`; // pinned to a node that does not exist
  const spare = `${ns}-spare`; // holds a hand-made leaked claim
  let api: ApiClient;

  const pod = (name: string, pool: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {app: cli}, annotations: {ipam.spidernet.io/ippool: '{"ipv4":["${pool}"]}'}}
spec: {terminationGracePeriodSeconds: 1, containers: [{name: c, image: registry.invalid/pause}]}
`;

  before(async () => {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${one}}
spec: {subnet: 10.148.77.0/24, ips: [10.148.77.10]}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${far}}
spec: {subnet: 10.148.78.0/24, ips: [10.148.78.10-10.148.78.11], nodeName: [no-such-node]}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${spare}}
spec: {subnet: 10.148.79.0/24, ips: [10.148.79.10-10.148.79.12]}
`);
    await createNamespace(api, ns);
    apply(pod("holder", one));
    await waitRunning(api, ns, "app=cli", 1);
    apply(pod("starved", one) + "---" + pod("misplaced", far));
    // Both are bound to a node, and the agent refuses their ADD: they stay Pending.
    await waitFor("starved and misplaced bound to nodes", async () => {
      const pods = await listPods(api, ns, "app=cli");
      return pods.filter(p => p.spec.nodeName).length === 3;
    });
  });

  after(async () => {
    if (!api) return;
    await api.delete(`${CLAIMS_PATH}/10.148.79.12`).catch(() => undefined);
    await deleteNamespace(api, ns);
    await waitGone(api, ns, "app=cli").catch(() => undefined);
    for (const p of [one, far, spare])
      await removeAndWait(api, "SpiderIPPool", p).catch(() => undefined);
    api.close();
  });

  it("pools: usage from the claims, and who holds each address of a named pool", async () => {
    const [holder] = (await listPods(api, ns, "app=cli")).filter(p => p.metadata.name === "holder");
    assert.ok(holder);
    const all = spiderpool("pools");
    assert.equal(all.status, 0, all.stderr);
    assert.match(
      all.stdout,
      new RegExp(`^${one} +IPv4 +10\\.148\\.77\\.0/24 +1 +0 +1 +0 +0$`, "m"),
    );
    assert.match(
      all.stdout,
      new RegExp(`^${far} +IPv4 +10\\.148\\.78\\.0/24 +2 +0 +0 +0 +2$`, "m"),
    );
    const named = spiderpool("pools", one);
    assert.equal(named.status, 0, named.stderr);
    assert.match(
      named.stdout,
      new RegExp(
        `^10\\.148\\.77\\.10 +${ns}/holder +${holder.metadata.uid} +eth0 +${holder.spec.nodeName}`,
        "m",
      ),
    );
    const json = JSON.parse(spiderpool("pools", one, "-o", "json").stdout) as {
      name: string;
      used: number;
      holders: { address: string; podUID: string }[];
    }[];
    assert.deepEqual(
      json.map(p => [p.name, p.used, p.holders.map(h => [h.address, h.podUID])]),
      [[one, 1, [["10.148.77.10", holder.metadata.uid]]]],
    );
  });

  it("pools: an unknown pool is an error naming it (exit 1)", () => {
    const r = spiderpool("pools", `${ns}-nope`);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`SpiderIPPool "${ns}-nope" not found`));
  });

  it("explain: a Pending Pod whose only pool is exhausted", () => {
    const r = spiderpool("explain", `${ns}/starved`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /candidates from Pod annotation ipam\.spidernet\.io\/ippool/);
    assert.match(r.stdout, new RegExp(`^ +${one} +skipped \\[exhausted\\]: `, "m"));
    assert.match(
      r.stdout,
      /^result: the CNI ADD would fail \(all_pools_filtered\): .*all IP addresses used out/m,
    );
  });

  it("explain: a Pending Pod whose pool's node affinity does not match its node", () => {
    const r = spiderpool("explain", `${ns}/misplaced`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^ +${far} +skipped \\[node\\]: `, "m"));
    assert.match(r.stdout, /^result: the CNI ADD would fail \(all_pools_filtered\)/m);
  });

  it("explain: a Pod manifest not created yet, on an assumed node", () => {
    const file = path.join(os.tmpdir(), `${ns}-pod.yaml`);
    fs.writeFileSync(file, pod("planned", spare));
    try {
      const unbound = spiderpool("explain", "-f", file);
      assert.equal(unbound.status, 2);
      assert.match(
        unbound.stderr,
        /not bound to a node yet; say which node to assume with --node NODE/,
      );
      const r = spiderpool("explain", "-f", file, "--node", "node-1");
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /on node node-1 \(assumed: --node\)/);
      assert.match(r.stdout, new RegExp(`^ +${spare} +taken, try 1 \\(3/3 free\\)$`, "m"));
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it("explain: unknown Pods and nodes are errors (exit 1), a missing file is bad input (exit 2)", () => {
    const ghost = spiderpool("explain", `${ns}/ghost`);
    assert.equal(ghost.status, 1);
    assert.match(ghost.stderr, new RegExp(`Pod ${ns}/ghost not found`));
    const file = path.join(os.tmpdir(), `${ns}-pod2.yaml`);
    fs.writeFileSync(file, pod("planned", spare));
    try {
      const node = spiderpool("explain", "-f", file, "--node", "no-such-node");
      assert.equal(node.status, 1);
      assert.match(node.stderr, /Node "no-such-node" not found/);
    } finally {
      fs.rmSync(file, { force: true });
    }
    const missing = spiderpool("explain", "-f", path.join(os.tmpdir(), `${ns}-absent.yaml`));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /absent\.yaml: no such file/);
  });

  it("release: refuses an address a live Pod holds", async () => {
    const r = spiderpool("release", "10.148.77.10");
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `refusing to release 10\\.148\\.77\\.10 \\(pool ${one}\\): Pod ${ns}/holder .* is alive`,
      ),
    );
    await api.get(`${CLAIMS_PATH}/10.148.77.10`);
  });

  it("release: frees a leaked address whose Pod is gone (dry run first), and says so when there is nothing to free", async () => {
    // IP GC would reclaim this leak by itself within its scan period: freeze the watcher so the
    // CLI is what releases it (allocation and release never depend on the watcher).
    const watcher = loadState()?.pepr.find(d => d.name === "pepr-watcher");
    assert.ok(watcher, "the local cluster runs a Pepr watcher");
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-watcher.pid, s);
      } catch {
        process.kill(watcher.pid, s);
      }
    };
    signal("SIGSTOP");
    try {
      await releaseLeak();
    } finally {
      signal("SIGCONT");
    }
  });

  async function releaseLeak(): Promise<void> {
    await api.create(CLAIMS_PATH, {
      apiVersion: "ipam.pepr-spiderpool.io/v1alpha1",
      kind: "IPClaim",
      metadata: { name: "10.148.79.12", labels: { "ipam.pepr-spiderpool.io/pool": spare } },
      spec: {
        address: "10.148.79.12",
        ipVersion: 4,
        pool: spare,
        podNamespace: ns,
        podName: "long-gone",
        podUID: "00000000-0000-4000-8000-000000000000",
        interface: "eth0",
        node: "gone-node",
      },
    });
    const dry = spiderpool("release", "--dry-run", "10.148.79.12");
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(
      dry.stdout,
      new RegExp(
        `would release 10\\.148\\.79\\.12 \\(pool ${spare}\\): Pod ${ns}/long-gone .* no longer exists`,
      ),
    );
    await api.get(`${CLAIMS_PATH}/10.148.79.12`);
    const r = spiderpool("release", "10.148.79.12");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^released 10\.148\.79\.12/);
    await waitFor("claim 10.148.79.12 deleted", () =>
      api.get(`${CLAIMS_PATH}/10.148.79.12`).then(
        () => false,
        (e: unknown) => e instanceof K8sError && e.code === "not_found",
      ),
    );
    const again = spiderpool("release", "10.148.79.12");
    assert.equal(again.status, 1);
    assert.match(again.stderr, /10\.148\.79\.12 is not allocated: there is no IPClaim for it/);
  }

  it("release: a StatefulSet Pod's address is kept while the StatefulSet wants its ordinal, unless --force", async () => {
    // The claim of web-1, whose Pod is gone, with a StatefulSet that still wants two replicas.
    // The controller-manager (which would create web-1 again, and its ADD take the claim over)
    // and the watcher (whose IP GC applies the same rule) are frozen: the CLI alone decides.
    const state = loadState();
    const frozen = [
      state?.control.find(d => d.name === "kube-controller-manager"),
      state?.pepr.find(d => d.name === "pepr-watcher"),
    ];
    assert.ok(
      frozen[0] && frozen[1],
      "the local cluster runs a controller-manager and a Pepr watcher",
    );
    const signal = (s: NodeJS.Signals) => {
      for (const d of frozen) {
        try {
          process.kill(-d!.pid, s);
        } catch {
          process.kill(d!.pid, s);
        }
      }
    };
    const address = "10.148.79.11";
    signal("SIGSTOP");
    try {
      apply(`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 2
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {terminationGracePeriodSeconds: 1, containers: [{name: c, image: registry.invalid/pause}]}
`);
      await api.create(CLAIMS_PATH, {
        apiVersion: "ipam.pepr-spiderpool.io/v1alpha1",
        kind: "IPClaim",
        metadata: { name: address, labels: { "ipam.pepr-spiderpool.io/pool": spare } },
        spec: {
          address,
          ipVersion: 4,
          pool: spare,
          podNamespace: ns,
          podName: "web-1",
          podUID: "00000000-0000-4000-8000-000000000001",
          interface: "eth0",
          node: "gone-node",
          static: true,
        },
      });
      const refused = spiderpool("release", address);
      assert.equal(refused.status, 1, refused.stdout);
      assert.match(
        refused.stderr,
        new RegExp(
          `refusing to release 10\\.148\\.79\\.11 \\(pool ${spare}\\): StatefulSet ${ns}/web still wants ordinal 1: .*--force`,
        ),
      );
      await api.get(`${CLAIMS_PATH}/${address}`);
      const forcedDry = spiderpool("release", "--dry-run", "--force", address);
      assert.equal(forcedDry.status, 0, forcedDry.stderr);
      assert.match(
        forcedDry.stdout,
        /would release 10\.148\.79\.11 .*no longer exists \(--force: its StatefulSet still wants the ordinal\)/,
      );
      // Scaled down to one replica, ordinal 1 is no longer wanted: released without --force.
      await api.patch(
        `/apis/apps/v1/namespaces/${ns}/statefulsets/web`,
        { spec: { replicas: 1 } },
        "merge",
      );
      const r = spiderpool("release", address);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^released 10\.148\.79\.11 .*no longer exists$/m);
      await waitFor(`claim ${address} deleted`, () =>
        api.get(`${CLAIMS_PATH}/${address}`).then(
          () => false,
          (e: unknown) => e instanceof K8sError && e.code === "not_found",
        ),
      );
    } finally {
      await api.delete(`/apis/apps/v1/namespaces/${ns}/statefulsets/web`).catch(() => undefined);
      await api.delete(`${CLAIMS_PATH}/${address}`).catch(() => undefined);
      signal("SIGCONT");
    }
  });

  it("release: a malformed address is refused before any API call (exit 2)", () => {
    const r = spiderpool("release", "10.148.79.300");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /"10\.148\.79\.300" is not an IPv4 or IPv6 address/);
  });
});
