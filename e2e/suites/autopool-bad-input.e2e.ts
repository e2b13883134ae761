import assert from "node:assert/strict";
import type { ApiClient, KubeList } from "../../lib/k8s/api-client.js";
import { adminClient } from "../cluster/cluster.js";
import { apply, createNamespace, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import {
  autoPoolsOf,
  deleteNamespaceAndWait,
  listPools,
  poolAddresses,
  SP,
  subnetProblems,
} from "./autopool-checks.js";

interface Event {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
}

/**
 * Bad auto-pool annotations on workload templates: each gets a Warning Event on the workload that
 * names the annotation and the problem, nothing is created for it, and a good workload applied
 * in the same breath is served as usual.
 */
describe("autopool: malformed annotations on workloads", function () {
  const ns = "autopool-bad";
  const v4 = "autopool-bad-v4";
  const v6 = "autopool-bad-v6";
  let api: ApiClient;

  const deployment = (name: string, annotations: Record<string, string>, replicas = 0) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}}
      annotations: ${JSON.stringify(annotations)}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: registry.invalid/pause}]
`;

  // [workload, annotations, annotation named in the Event, what the Event must say]. Malformed
  // text (bad JSON, size, reclaim) is refused at admission and reaches the controller only while
  // the webhook is down: admission-workloads.e2e.ts. What needs the subnets is the controller's.
  const cases: Array<[string, Record<string, string>, string, RegExp]> = [
    [
      "unknown-subnet",
      { "ipam.spidernet.io/subnet": '{"ipv4": ["no-such-subnet"]}' },
      "ipam.spidernet.io/subnet",
      /SpiderSubnet 'no-such-subnet' .*not found/,
    ],
    [
      "wrong-family",
      { "ipam.spidernet.io/subnet": `{"ipv4": ["${v6}"]}` },
      "ipam.spidernet.io/subnet",
      /SpiderSubnet 'autopool-bad-v6' is IPv6 .* listed as ipv4/,
    ],
  ];

  before(async () => {
    api = adminClient();
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata: {name: ${v4}}
spec: {subnet: 10.153.0.0/16, ips: ["10.153.1.1-10.153.1.20"]}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata: {name: ${v6}}
spec: {subnet: "fd00:150::/120", ips: ["fd00:150::10-fd00:150::20"]}
`);
    await createNamespace(api, ns);
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns);
    await waitFor(
      "pools gone",
      async () =>
        (await listPools(api, `ipam.spidernet.io/owner-application-namespace=${ns}`)).length === 0,
      60_000,
    ).catch(() => undefined);
    for (const s of [v4, v6]) await api.delete(`${SP}/spidersubnets/${s}`).catch(() => undefined);
    api.close();
  });

  it("records a Warning Event naming the annotation and the problem on each bad workload; creates nothing for it; serves the good one", async () => {
    apply(
      [
        ...cases.map(([name, annotations]) => deployment(name, annotations)),
        deployment(
          "good",
          {
            "ipam.spidernet.io/subnet": `{"ipv4": ["${v4}"]}`,
            "ipam.spidernet.io/ippool-ip-number": "+1",
          },
          2,
        ),
      ].join("---"),
    );

    const good = await waitRunning(api, ns, "app=good", 2);
    const [pool] = await autoPoolsOf(api, "Deployment", ns, "good");
    assert.ok(pool, "the good Deployment has its pool");
    for (const p of good) assert.ok(poolAddresses(pool).includes(p.status!.podIPs![0]!.ip));

    for (const [name, , annotation, says] of cases) {
      const ev = await waitFor(
        `Warning Event on Deployment ${name}`,
        async () => {
          const l = await api.get<KubeList<Event>>(`/api/v1/namespaces/${ns}/events`, {
            fieldSelector: `involvedObject.name=${name},involvedObject.kind=Deployment`,
          });
          return l.items.find(e => e.type === "Warning" && e.reason.startsWith("AutoPool"));
        },
        30_000,
      );
      assert.ok(
        ev.message.includes(annotation),
        `${name}: Event must name ${annotation}: ${ev.message}`,
      );
      assert.match(ev.message, says, `${name}: ${ev.message}`);
      assert.deepEqual(
        (await autoPoolsOf(api, "Deployment", ns, name)).map(p => p.metadata.name),
        [],
        `${name}: no pool may be created`,
      );
    }
    assert.deepEqual(await subnetProblems(api, v4), []);
    const s6 = await api.get<{
      status?: { allocatedIPCount?: number; controlledIPPools?: string };
    }>(`${SP}/spidersubnets/${v6}`);
    assert.equal(
      s6.status?.controlledIPPools,
      undefined,
      "nothing may be pre-allocated from the IPv6 subnet",
    );
  });

  it("serves a workload once its annotation is fixed", async () => {
    apply(
      deployment(
        "wrong-family",
        {
          "ipam.spidernet.io/subnet": `{"ipv4": ["${v4}"]}`,
          "ipam.spidernet.io/ippool-ip-number": "3",
        },
        1,
      ),
    );
    await waitRunning(api, ns, "app=wrong-family", 1);
    const pools = await waitFor(
      "pool of the fixed workload",
      async () => {
        const ps = await autoPoolsOf(api, "Deployment", ns, "wrong-family");
        return ps.length === 1 && poolAddresses(ps[0]!).length === 3 ? ps : undefined;
      },
      60_000,
    );
    assert.equal(pools[0]!.metadata.annotations?.["ipam.spidernet.io/ippool-ip-number"], "3");
    assert.deepEqual(await subnetProblems(api, v4), []);
  });
});
