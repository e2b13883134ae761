import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import { K8sError } from "../../lib/k8s/k8s-error.js";
import { buildCli, CLI_PACKAGE_NAME, writeCliPackage } from "../../scripts/build-cli.js";
import { adminClient, loadState } from "../cluster/cluster.js";
import { paths } from "../cluster/paths.js";
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

type Run = { status: number | null; stdout: string; stderr: string };

/** The bundled CLI (scripts/build-cli.ts), built once per run into a directory of its own. */
const binDir = fs.mkdtempSync(path.join(os.tmpdir(), "spiderpool-cli-"));
const bundle = path.join(binDir, "kubectl-spiderpool");

/** Runs `spiderpool …` as an operator would: the bundled executable, outside the repository, with the admin kubeconfig. */
function spiderpool(...args: string[]): Run {
  const r = spawnSync(bundle, [...args, "--kubeconfig", paths.kubeconfig], {
    encoding: "utf8",
    timeout: 60_000,
    cwd: binDir,
    env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: binDir },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** JSON output of a command that must succeed (or exit `status`). */
function json<T>(status: number, ...args: string[]): T {
  const r = spiderpool(...args, "-o", "json");
  assert.equal(r.status, status, r.stderr);
  return JSON.parse(r.stdout) as T;
}

const claimGone = (address: string) =>
  waitFor(`claim ${address} deleted`, () =>
    api.get(`${CLAIMS_PATH}/${address}`).then(
      () => false,
      (e: unknown) => e instanceof K8sError && e.code === "not_found",
    ),
  );
let api: ApiClient;

/** Stops (SIGSTOP) the named processes of the local cluster while `body` runs. */
async function frozen<T>(names: string[], body: () => Promise<T>): Promise<T> {
  const state = loadState();
  const procs = names.map(
    n => [...(state?.control ?? []), ...(state?.pepr ?? [])].find(d => d.name === n)!,
  );
  assert.ok(procs.every(Boolean), `the local cluster runs ${names.join(", ")}`);
  const signal = (s: NodeJS.Signals) => {
    for (const d of procs) {
      try {
        process.kill(-d.pid, s);
      } catch {
        process.kill(d.pid, s);
      }
    }
  };
  signal("SIGSTOP");
  try {
    return await body();
  } finally {
    signal("SIGCONT");
  }
}

const leakedClaim = (address: string, pool: string, ns: string, podName: string) => ({
  apiVersion: "ipam.pepr-spiderpool.io/v1alpha1",
  kind: "IPClaim",
  metadata: { name: address, labels: { "ipam.pepr-spiderpool.io/pool": pool } },
  spec: {
    address,
    ipVersion: 4,
    pool,
    podNamespace: ns,
    podName,
    podUID: "00000000-0000-4000-8000-000000000000",
    interface: "eth0",
    node: "gone-node",
  },
});

/**
 * The operator CLI, as the bundled executable, against real pools, subnets, claims and Pods:
 * usage and holders, who holds an address, the leak report and its release, explanations for
 * Pods and workloads, the safe release of a leak, its kubectl plugin form, and bad input.
 */
describe("cli: the spiderpool CLI bundle", function () {
  const ns = `cli-${Date.now().toString(36)}`;
  const one = `${ns}-one`; // a single address: the second Pod finds it exhausted
  const far = `${ns}-far`; // pinned to a node that does not exist
  const spare = `${ns}-spare`; // holds hand-made leaked claims
  const dep = `${ns}-dep`; // the Deployment's pool, inside the SpiderSubnet
  const subnet = `${ns}-subnet`;

  const pod = (name: string, pool: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {app: cli}, annotations: {ipam.spidernet.io/ippool: '{"ipv4":["${pool}"]}'}}
spec: {terminationGracePeriodSeconds: 1, containers: [{name: c, image: registry.invalid/pause}]}
`;
  const deployment = (name: string, replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}, annotations: {ipam.spidernet.io/ippool: '{"ipv4":["${dep}"]}'}}
    spec: {terminationGracePeriodSeconds: 1, containers: [{name: c, image: registry.invalid/pause}]}
`;

  before(async function () {
    this.timeout(180_000);
    const { path: built } = await buildCli(path.join(binDir, "spiderpool.cjs"));
    fs.copyFileSync(built, bundle);
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata: {name: ${subnet}}
spec: {subnet: 10.148.80.0/24, ips: [10.148.80.10-10.148.80.40]}
`);
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
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${dep}}
spec: {subnet: 10.148.80.0/24, ips: [10.148.80.10-10.148.80.14]}
`);
    await createNamespace(api, ns);
    apply(pod("holder", one) + "---" + deployment("web", 1) + "---" + deployment("idle", 0));
    await waitRunning(api, ns, "app=cli", 1);
    await waitRunning(api, ns, "app=web", 1);
    apply(pod("starved", one) + "---" + pod("misplaced", far));
    // Both are bound to a node, and the agent refuses their ADD: they stay Pending.
    await waitFor("starved and misplaced bound to nodes", async () => {
      const pods = await listPods(api, ns, "app=cli");
      return pods.filter(p => p.spec.nodeName).length === 3;
    });
  });

  after(async () => {
    fs.rmSync(binDir, { recursive: true, force: true });
    if (!api) return;
    for (const a of ["10.148.79.10", "10.148.79.12"])
      await api.delete(`${CLAIMS_PATH}/${a}`).catch(() => undefined);
    await deleteNamespace(api, ns);
    await waitGone(api, ns, "app=cli").catch(() => undefined);
    await waitGone(api, ns, "app=web").catch(() => undefined);
    for (const p of [one, far, spare, dep])
      await removeAndWait(api, "SpiderIPPool", p).catch(() => undefined);
    await removeAndWait(api, "SpiderSubnet", subnet).catch(() => undefined);
    api.close();
  });

  it("--version and --help from the bundle, outside the repository", () => {
    const v = spiderpool("--version");
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^spiderpool \d+\.\d+\.\d+/);
    const h = spiderpool("check", "--help");
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, /^usage: spiderpool check \[-n NAMESPACE\]/);
  });

  it("the packed CLI package runs through npx and as a kubectl plugin, with no clone or node_modules", () => {
    // The tarball an operator gets: `npm pack` of the package scripts/build-cli.ts lays out.
    const pkgDir = writeCliPackage(bundle, path.join(binDir, "package"));
    const packDir = path.join(binDir, "packed");
    fs.mkdirSync(packDir);
    // npm and npx from PATH: the Node runtime .ci/run fetches carries only `node`.
    const env = {
      PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: binDir,
      npm_config_cache: path.join(binDir, "npm-cache"),
      npm_config_update_notifier: "false",
    };
    const packed = spawnSync("npm", ["pack", pkgDir, "--pack-destination", packDir], {
      encoding: "utf8",
      cwd: binDir,
      env,
    });
    assert.equal(packed.status, 0, packed.error?.message ?? packed.stderr);
    const tarball = fs.readdirSync(packDir).find(f => f.endsWith(".tgz"));
    assert.ok(tarball?.startsWith(`${CLI_PACKAGE_NAME}-`), `no tarball in ${packDir}`);
    if (!tarball) return;
    const packedFile = path.join(packDir, tarball);
    for (const bin of ["spiderpool", "kubectl-spiderpool"]) {
      const r = spawnSync(
        "npx",
        [
          "--yes",
          "--package",
          packedFile,
          "--",
          bin,
          "pools",
          one,
          "-o",
          "json",
          "--kubeconfig",
          paths.kubeconfig,
        ],
        { encoding: "utf8", cwd: binDir, env, timeout: 120_000 },
      );
      assert.equal(r.status, 0, `${bin}: ${r.error?.message ?? r.stderr}`);
      const doc = JSON.parse(r.stdout) as { kind: string; items: { name: string; used: number }[] };
      assert.equal(doc.kind, "PoolList");
      assert.deepEqual(
        doc.items.map(i => [i.name, i.used]),
        [[one, 1]],
      );
    }
  });

  it("pools: usage bars from the claims, and who holds each address of a named pool", async () => {
    const [holder] = (await listPods(api, ns, "app=cli")).filter(p => p.metadata.name === "holder");
    assert.ok(holder);
    const all = spiderpool("pools");
    assert.equal(all.status, 0, all.stderr);
    assert.match(
      all.stdout,
      new RegExp(`^${one} +IPv4 +10\\.148\\.77\\.0/24 +1 +0 +1 +0 +0 +\\[#{20}\\] 100%$`, "m"),
    );
    assert.match(
      all.stdout,
      new RegExp(`^${far} +IPv4 +10\\.148\\.78\\.0/24 +2 +0 +0 +0 +2 +\\[-{20}\\] +0%$`, "m"),
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
    const doc = json<{
      apiVersion: string;
      kind: string;
      items: { name: string; used: number; holders: { address: string; podUID: string }[] }[];
    }>(0, "pools", one);
    assert.equal(doc.kind, "PoolList");
    assert.equal(doc.apiVersion, "cli.pepr-spiderpool.io/v1alpha1");
    assert.deepEqual(
      doc.items.map(p => [p.name, p.used, p.holders.map(h => [h.address, h.podUID])]),
      [[one, 1, [["10.148.77.10", holder.metadata.uid]]]],
    );
    const yaml = spiderpool("pools", one, "-o", "yaml");
    assert.deepEqual(parseYaml(yaml.stdout), doc);
  });

  it("pools: an unknown pool is an error naming it (exit 1)", () => {
    const r = spiderpool("pools", `${ns}-nope`);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`SpiderIPPool "${ns}-nope" not found`));
  });

  it("subnets: what the subnet's pools hold and allocate, and its free ranges", () => {
    const r = spiderpool("subnets", subnet);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^${subnet} +IPv4 +10\\.148\\.80\\.0/24 +31 +5 +1 +26 +\\[###-+\\] +16% +10\\.148\\.80\\.15-10\\.148\\.80\\.40$`,
        "m",
      ),
    );
    const doc = json<{
      kind: string;
      items: { name: string; pools: string[]; freeRanges: string[] }[];
    }>(0, "subnets", subnet);
    assert.equal(doc.kind, "SubnetList");
    assert.deepEqual(
      doc.items.map(i => [i.name, i.pools, i.freeRanges]),
      [[subnet, [dep], ["10.148.80.15-10.148.80.40"]]],
    );
  });

  it("ip: who holds an allocated address (Pod, UID, node, pool, interface, since, SpiderEndpoint)", async () => {
    const [holder] = (await listPods(api, ns, "app=cli")).filter(p => p.metadata.name === "holder");
    assert.ok(holder);
    const claim = await api.get<{ metadata: { creationTimestamp: string } }>(
      `${CLAIMS_PATH}/10.148.77.10`,
    );
    const r = spiderpool("ip", "10.148.77.10");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^POD +${ns}/holder \\(Running\\)$`, "m"));
    assert.match(r.stdout, new RegExp(`^POOL +${one}$`, "m"));
    assert.match(r.stdout, new RegExp(`^NODE +${holder.spec.nodeName}$`, "m"));
    assert.match(r.stdout, /^INTERFACE +eth0$/m);
    assert.match(r.stdout, new RegExp(`^SINCE +${claim.metadata.creationTimestamp}$`, "m"));
    const doc = json<{
      kind: string;
      pool: string;
      pod: { uid: string; present: boolean };
      endpoint: { recorded: boolean; interface: string } | null;
    }>(0, "ip", "10.148.77.10");
    assert.equal(doc.kind, "IPAddress");
    assert.deepEqual(
      [doc.pool, doc.pod.uid, doc.pod.present, doc.endpoint?.recorded, doc.endpoint?.interface],
      [one, holder.metadata.uid, true, true, "eth0"],
    );
    const free = spiderpool("ip", "10.148.78.10");
    assert.equal(free.status, 1);
    assert.equal(
      free.stderr,
      "spiderpool: 10.148.78.10 is not allocated: there is no IPClaim for it\n",
    );
  });

  it("explain: a Pending Pod whose only pool is exhausted (POD -n NS)", () => {
    const r = spiderpool("explain", "starved", "-n", ns);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /candidates from Pod annotation ipam\.spidernet\.io\/ippool/);
    assert.match(r.stdout, new RegExp(`^ +${one} +skipped \\[exhausted\\]: `, "m"));
    assert.match(
      r.stdout,
      /^result: the CNI ADD would fail \(all_pools_filtered\): .*all IP addresses used out/m,
    );
  });

  it("explain: a Pending Pod whose pool's node affinity does not match its node (pod/NAME)", () => {
    const r = spiderpool("explain", `pod/misplaced`, "--namespace", ns);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^ +${far} +skipped \\[node\\]: `, "m"));
    assert.match(r.stdout, /^result: the CNI ADD would fail \(all_pools_filtered\)/m);
  });

  it("explain: a Deployment's Pods (what they got), and one without Pods (its template, on an assumed node)", async () => {
    const [webPod] = await listPods(api, ns, "app=web");
    assert.ok(webPod);
    const doc = json<{
      kind: string;
      items: { pod: string; origin: string; workload: string; ok: boolean; result: string }[];
    }>(0, "explain", "deployment/web", "-n", ns);
    assert.equal(doc.kind, "ExplanationList");
    assert.deepEqual(
      doc.items.map(i => [i.pod, i.origin, i.workload, i.ok, i.result]),
      [
        [
          `${ns}/${webPod.metadata.name}`,
          "pod",
          "deployment/web",
          true,
          `eth0 would be allocated IPv4 from ${dep}`,
        ],
      ],
    );
    const unbound = spiderpool("explain", "deploy/idle", "-n", ns);
    assert.equal(unbound.status, 2);
    assert.match(
      unbound.stderr,
      /the Pod template of deployment\/idle is not bound to a node yet; say which node to assume with --node NODE/,
    );
    const r = spiderpool("explain", "deploy/idle", "-n", ns, "--node", webPod.spec.nodeName!);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^deployment\/idle has no Pods: its Pod template, as idle-template would be$/m,
    );
    assert.match(r.stdout, new RegExp(`^ +${dep} +taken, try 1 \\(4/5 free\\)$`, "m"));
    const missing = spiderpool("explain", "statefulset/nope", "-n", ns);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, new RegExp(`StatefulSet ${ns}/nope not found`));
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
    const ghost = spiderpool("explain", "ghost", "-n", ns);
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

  it("check finds a leaked claim (exit 1); release --from-report frees exactly it, and refuses one changed since the report", async () => {
    // IP GC would reclaim the leak by itself within its scan period: the watcher is frozen so
    // the CLI is what finds and releases it.
    await frozen(["pepr-watcher"], async () => {
      const address = "10.148.79.10";
      await api.create(CLAIMS_PATH, leakedClaim(address, spare, ns, "long-gone"));
      type Report = { kind: string; items: { type: string; address?: string; pod?: string }[] };
      const table = spiderpool("check", "-n", ns);
      assert.equal(table.status, 1, table.stderr);
      assert.match(
        table.stdout,
        new RegExp(
          `^LeakedClaim +10\\.148\\.79\\.10 +${spare} +${ns}/long-gone +gone-node +Pod ${ns}/long-gone .* no longer exists$`,
          "m",
        ),
      );
      const reportText = spiderpool("check", "-n", ns, "-o", "json");
      assert.equal(reportText.status, 1, reportText.stderr);
      const report = JSON.parse(reportText.stdout) as Report;
      assert.equal(report.kind, "CheckReport");
      // The holder, the Deployment's Pod and the Pending Pods are not findings: only the leak.
      assert.deepEqual(
        report.items.map(i => [i.type, i.address, i.pod]),
        [["LeakedClaim", address, `${ns}/long-gone`]],
      );
      const file = path.join(binDir, "report.json");
      fs.writeFileSync(file, reportText.stdout);

      // Re-created since the report (another UID): refused, and kept.
      await api.delete(`${CLAIMS_PATH}/${address}`);
      await claimGone(address);
      await api.create(CLAIMS_PATH, leakedClaim(address, spare, ns, "long-gone"));
      const stale = spiderpool("release", "--from-report", file);
      assert.equal(stale.status, 1, stale.stderr);
      assert.match(
        stale.stdout,
        /^refusing to release 10\.148\.79\.10 .*changed since the report/m,
      );
      await api.get(`${CLAIMS_PATH}/${address}`);

      // A fresh report: dry run first, then the release.
      const fresh = spiderpool("check", "-n", ns, "-o", "yaml");
      assert.equal(fresh.status, 1, fresh.stderr);
      const yamlFile = path.join(binDir, "report.yaml");
      fs.writeFileSync(yamlFile, fresh.stdout);
      const dry = json<{ kind: string; items: { address: string; result: string }[] }>(
        0,
        "release",
        "--from-report",
        yamlFile,
        "--dry-run",
      );
      assert.deepEqual(
        [dry.kind, dry.items.map(i => [i.address, i.result])],
        ["ReleaseResult", [[address, "wouldRelease"]]],
      );
      await api.get(`${CLAIMS_PATH}/${address}`);
      const r = spiderpool("release", "--from-report", yamlFile);
      assert.equal(r.status, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(
          `^released 10\\.148\\.79\\.10 \\(pool ${spare}\\): Pod ${ns}/long-gone .* no longer exists$`,
          "m",
        ),
      );
      await claimGone(address);
      const clean = spiderpool("check", "-n", ns);
      assert.equal(clean.status, 0, clean.stdout);
      assert.match(clean.stdout, new RegExp(`^no findings: .* in namespace ${ns}$`, "m"));
    });
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
    await frozen(["pepr-watcher"], async () => {
      await api.create(CLAIMS_PATH, leakedClaim("10.148.79.12", spare, ns, "long-gone"));
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
      await claimGone("10.148.79.12");
      const again = spiderpool("release", "10.148.79.12");
      assert.equal(again.status, 1);
      assert.match(again.stderr, /10\.148\.79\.12 is not allocated: there is no IPClaim for it/);
    });
  });

  it("release: a StatefulSet Pod's address is kept while the StatefulSet wants its ordinal, unless --force", async () => {
    // The claim of web-1, whose Pod is gone, with a StatefulSet that still wants two replicas.
    // The controller-manager (which would create web-1 again, and its ADD take the claim over)
    // and the watcher (whose IP GC applies the same rule) are frozen: the CLI alone decides.
    const address = "10.148.79.11";
    await frozen(["kube-controller-manager", "pepr-watcher"], async () => {
      try {
        apply(`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${ns}}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {terminationGracePeriodSeconds: 1, containers: [{name: c, image: registry.invalid/pause}]}
`);
        await api.create(CLAIMS_PATH, {
          ...leakedClaim(address, spare, ns, "db-1"),
          spec: {
            ...leakedClaim(address, spare, ns, "db-1").spec,
            podUID: "00000000-0000-4000-8000-000000000001",
            static: true,
          },
        });
        // A wanted ordinal is not a leak: check does not report it.
        const report = json<{ items: { address?: string }[] }>(0, "check", "-n", ns);
        assert.deepEqual(report.items, []);
        // Without Pods (the controller-manager is frozen): its template, as db-0 would be.
        const explained = spiderpool("explain", "sts/db", "-n", ns, "--node", "node-1");
        assert.equal(explained.status, 0, explained.stderr);
        assert.match(
          explained.stdout,
          /^statefulset\/db has no Pods: its Pod template, as db-0 would be$/m,
        );

        const refused = spiderpool("release", address);
        assert.equal(refused.status, 1, refused.stdout);
        assert.match(
          refused.stderr,
          new RegExp(
            `refusing to release 10\\.148\\.79\\.11 \\(pool ${spare}\\): StatefulSet ${ns}/db still wants ordinal 1: .*--force`,
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
          `/apis/apps/v1/namespaces/${ns}/statefulsets/db`,
          { spec: { replicas: 1 } },
          "merge",
        );
        const r = spiderpool("release", address);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^released 10\.148\.79\.11 .*no longer exists$/m);
        await claimGone(address);
      } finally {
        await api.delete(`/apis/apps/v1/namespaces/${ns}/statefulsets/db`).catch(() => undefined);
        await api.delete(`${CLAIMS_PATH}/${address}`).catch(() => undefined);
      }
    });
  });

  it("as a kubectl plugin: kubectl spiderpool, with --context selecting the kubeconfig's context and its namespace", () => {
    const state = loadState();
    assert.ok(state, "the local cluster is up");
    const kubectl = path.join(paths.bin, "kubectl");
    const context = (
      parseYaml(fs.readFileSync(paths.kubeconfig, "utf8")) as { "current-context": string }
    )["current-context"];
    const r = spawnSync(
      kubectl,
      ["spiderpool", "pools", one, "--kubeconfig", paths.kubeconfig, "--context", context],
      {
        encoding: "utf8",
        timeout: 60_000,
        cwd: binDir,
        env: { PATH: `${binDir}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: binDir },
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^10\\.148\\.77\\.10 +${ns}/holder `, "m"));
    // Without -n, explain looks in the context's namespace, as kubectl does.
    const config = parseYaml(fs.readFileSync(paths.kubeconfig, "utf8")) as {
      contexts: { name: string; context: Record<string, string> }[];
    };
    for (const c of config.contexts) if (c.name === context) c.context.namespace = ns;
    const nsKubeconfig = path.join(binDir, "kubeconfig-ns");
    fs.writeFileSync(nsKubeconfig, JSON.stringify(config), { mode: 0o600 });
    const explained = spawnSync(
      kubectl,
      ["spiderpool", "explain", "starved", "--kubeconfig", nsKubeconfig],
      {
        encoding: "utf8",
        timeout: 60_000,
        cwd: binDir,
        env: { PATH: `${binDir}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: binDir },
      },
    );
    assert.equal(explained.status, 0, explained.stderr);
    assert.match(explained.stdout, new RegExp(`^Pod ${ns}/starved `, "m"));
    const plugins = spawnSync(kubectl, ["plugin", "list"], {
      encoding: "utf8",
      env: { PATH: `${binDir}:/usr/bin:/bin`, HOME: binDir },
    });
    assert.match(plugins.stdout, /kubectl-spiderpool/);
  });

  it("bad input: one line naming it, with the documented exit status", () => {
    const cases: Array<[string[], number, RegExp]> = [
      [
        ["pools", "--wide"],
        2,
        /^spiderpool: unknown flag "--wide" \(spiderpool --help for usage\)\n$/,
      ],
      [
        ["ip", "10.148.79.300"],
        2,
        /^spiderpool: "10\.148\.79\.300" is not an IPv4 or IPv6 address\n$/,
      ],
      [["ip", "10.148.79.10/24"], 2, /give the address without a prefix length/],
      [["release", "10.148.79.300"], 2, /"10\.148\.79\.300" is not an IPv4 or IPv6 address/],
      [
        ["pools", "--context", "nope"],
        2,
        /^spiderpool: context "nope" not found in kubeconfig .*\(contexts: [^)]+\)\n$/,
      ],
      [["pools", "-o", "wide"], 2, /-o must be table, json or yaml, got "wide"/],
      [
        ["release", "--from-report", path.join(binDir, "absent.json")],
        2,
        /absent\.json: no such file/,
      ],
    ];
    for (const [args, status, stderr] of cases) {
      const r = spiderpool(...args);
      assert.equal(r.status, status, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, stderr, args.join(" "));
      assert.equal(r.stdout, "", args.join(" "));
    }
  });
});
