import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { adminClient } from "../cluster/cluster.js";
import { apply, createNamespace, listPods, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import {
  autoPoolsOf,
  deleteNamespaceAndWait,
  getSubnet,
  listPools,
  poolAddresses,
  SP,
  subnetProblems,
  type Pool,
} from "./autopool-checks.js";

/**
 * Every built-in workload kind counts its Pods its own way (docs/reference/auto-pools.md#workloads-and-pod-counts, I00003): a DaemonSet by
 * the nodes it is scheduled on, a bare ReplicaSet by replicas, a Job by completions/parallelism,
 * a CronJob by its job template. One pool each, none for a ReplicaSet or Job that has a parent,
 * none for a host-network template.
 */
describe("autopool: DaemonSet, ReplicaSet, Job and CronJob", function () {
  const ns = "autopool-kinds";
  const subnet = "autopool-kinds-v4";
  let api: ApiClient;

  const template = (app: string, extra = "") => `
    metadata:
      labels: {app: ${app}}
      annotations:
        ipam.spidernet.io/subnet: '{"ipv4": ["${subnet}"]}'
        ipam.spidernet.io/ippool-ip-number: "+1"
    spec:
      terminationGracePeriodSeconds: 1${extra}
      containers: [{name: c, image: registry.invalid/pause}]`;

  before(async () => {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata: {name: ${subnet}}
spec: {subnet: 10.155.0.0/16, ips: ["10.155.1.1-10.155.1.100"]}
`);
    await createNamespace(api, ns);
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns);
    await waitFor(
      "pools gone",
      async () =>
        (await listPools(api, `ipam.spidernet.io/owner-spider-subnet=${subnet}`)).length === 0,
      90_000,
    ).catch(() => undefined);
    await api.delete(`${SP}/spidersubnets/${subnet}`).catch(() => undefined);
    await waitFor(
      "subnet gone",
      () =>
        getSubnet(api, subnet).then(
          () => false,
          () => true,
        ),
      60_000,
    ).catch(() => undefined);
    api.close();
  });

  async function poolOf(kind: string, name: string, size: number): Promise<Pool> {
    return waitFor(
      `${kind} ${name}: one pool of ${size}`,
      async () => {
        const ps = await autoPoolsOf(api, kind, ns, name);
        return ps.length === 1 && poolAddresses(ps[0]!).length === size ? ps[0] : undefined;
      },
      90_000,
    );
  }

  it("sizes each kind's pool by its own Pod count, and serves its Pods from it", async () => {
    // The DaemonSet's Pods go where no taint keeps them off (a real node is tainted NoSchedule).
    const nodes = (
      await api.get<{ items: { spec?: { taints?: { effect: string }[] } }[] }>("/api/v1/nodes")
    ).items.filter(
      n => !n.spec?.taints?.some(t => t.effect === "NoSchedule" || t.effect === "NoExecute"),
    ).length;
    apply(`
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: ds}}
  template:${template("ds")}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: rs}}
  template:${template("rs")}
---
apiVersion: batch/v1
kind: Job
metadata: {name: job, namespace: ${ns}}
spec:
  parallelism: 2
  completions: 4
  template:${template("job", "\n      restartPolicy: Never")}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cron, namespace: ${ns}}
spec:
  schedule: "0 0 1 1 *"
  suspend: true
  jobTemplate:
    spec:
      parallelism: 3
      template:${template("cron", "\n      restartPolicy: Never").replaceAll("\n", "\n    ")}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: host, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: host}}
  template:${template("host", "\n      hostNetwork: true")}
`);
    const ds = await poolOf("DaemonSet", "ds", nodes + 1);
    const rs = await poolOf("ReplicaSet", "rs", 3);
    await poolOf("Job", "job", 5); // completions 4 + 1
    await poolOf("CronJob", "cron", 4); // parallelism 3 + 1
    for (const [selector, count, pool] of [
      ["app=ds", nodes, ds],
      ["app=rs", 2, rs],
    ] as const) {
      const pods = await waitRunning(api, ns, selector, count, 120_000);
      for (const p of pods)
        assert.ok(
          poolAddresses(pool).includes(p.status!.podIPs![0]!.ip),
          `${p.metadata.name} outside ${pool.metadata.name}`,
        );
    }
    assert.deepEqual(
      await autoPoolsOf(api, "Deployment", ns, "host"),
      [],
      "a host-network template gets no pool",
    );
    assert.deepEqual(await subnetProblems(api, subnet), []);
  });

  it("creates no pool for the Job a CronJob starts; its Pods use the CronJob's pool", async () => {
    const cron = await poolOf("CronJob", "cron", 4);
    const cj = await api.get<{ metadata: { uid: string }; spec: { jobTemplate: unknown } }>(
      `/apis/batch/v1/namespaces/${ns}/cronjobs/cron`,
    );
    // What the CronJob controller would do at its schedule: a Job it controls, from its template.
    await api.create(`/apis/batch/v1/namespaces/${ns}/jobs`, {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: "cron-manual",
        ownerReferences: [
          {
            apiVersion: "batch/v1",
            kind: "CronJob",
            name: "cron",
            uid: cj.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: (cj.spec.jobTemplate as { spec: unknown }).spec,
    });
    const pods = await waitFor(
      "cron Pods with addresses",
      async () => {
        const ps = (await listPods(api, ns, "app=cron")).filter(p => p.status?.podIPs?.length);
        return ps.length >= 1 ? ps : undefined;
      },
      120_000,
    );
    for (const p of pods)
      assert.ok(
        poolAddresses(cron).includes(p.status!.podIPs![0]!.ip),
        `${p.metadata.name} outside the CronJob's pool`,
      );
    assert.deepEqual(
      await autoPoolsOf(api, "Job", ns, "cron-manual"),
      [],
      "the CronJob's Job has no pool of its own",
    );
  });
});
