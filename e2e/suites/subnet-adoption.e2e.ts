import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { adminClient, kubectl } from "../cluster/cluster.js";
import { exampleText } from "../support/examples.js";
import { apply, waitGone, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import {
  autoPoolsOf,
  deleteNamespaceAndWait,
  getSubnet,
  listPools,
  type Pool,
  rangesOf,
  SP,
  subnetProblems,
} from "./autopool-checks.js";

/**
 * A SpiderSubnet made after the pools of its CIDR adopts them (docs/usage/subnet-adoption.md),
 * with docs/examples/subnet-adoption/: the pools get the subnet as controller and owner label,
 * inherit what they lack, are counted in the subnet's status, still serve Pods, and an auto pool
 * from the subnet never takes their addresses.
 */
describe("subnet adoption: a SpiderSubnet takes over the pools of its CIDR made before it", function () {
  const ns = "subnet-adoption";
  const subnet = "legacy-subnet";
  const OWNER = "ipam.spidernet.io/owner-spider-subnet";
  let api: ApiClient;

  before(() => {
    api = adminClient();
  });
  after(async () => {
    await api.delete(`/apis/apps/v1/namespaces/${ns}/deployments/fresh`).catch(() => undefined);
    await waitGone(api, ns, "app in (fresh,from-legacy-a)").catch(() => undefined);
    await deleteNamespaceAndWait(api, ns);
    // Deleting the subnet deletes every pool it controls, the adopted ones included.
    await api.delete(`${SP}/spidersubnets/${subnet}`).catch(() => undefined);
    await api.delete(`${SP}/spidersubnets/narrow-subnet`).catch(() => undefined);
    for (const p of ["legacy-a", "legacy-b", "orphan-c"])
      await api.delete(`${SP}/spiderippools/${p}`).catch(() => undefined);
    await waitFor(
      "the suite's pools and subnet gone",
      async () =>
        (await listPools(api)).every(
          p => !["legacy-a", "legacy-b", "orphan-c"].includes(p.metadata.name),
        ) &&
        (await getSubnet(api, subnet).then(
          () => false,
          () => true,
        )),
      90_000,
    ).catch(() => undefined);
    api.close();
  });

  const pool = (name: string) => api.get<Pool>(`${SP}/spiderippools/${name}`);

  it("starts with pools that no subnet owns", async () => {
    apply(exampleText("subnet-adoption/pools.yaml"));
    for (const name of ["legacy-a", "legacy-b"]) {
      const p = await pool(name);
      assert.equal(p.metadata.labels?.[OWNER], undefined, `${name} already has an owner label`);
      assert.equal(p.metadata.ownerReferences?.length ?? 0, 0, `${name} already has an owner`);
    }
  });

  it("adopts both pools once the subnet exists: controller reference, owner label, inherited gateway", async () => {
    apply(exampleText("subnet-adoption/subnet.yaml"));
    const s = await getSubnet(api, subnet);
    const [a, b] = await waitFor(
      "legacy-a and legacy-b adopted",
      async () => {
        const both = await Promise.all([pool("legacy-a"), pool("legacy-b")]);
        return both.every(p => p.metadata.labels?.[OWNER] === subnet) && both;
      },
      60_000,
    );
    for (const p of [a!, b!]) {
      const ref = p.metadata.ownerReferences?.find(r => r.controller === true);
      assert.deepEqual(
        ref && { kind: ref.kind, name: ref.name, uid: ref.uid },
        { kind: "SpiderSubnet", name: subnet, uid: s.metadata.uid },
        `controller of ${p.metadata.name}`,
      );
    }
    assert.equal(
      a!.spec.gateway,
      "10.160.0.1",
      "legacy-a had no gateway: it inherits the subnet's",
    );
    assert.equal(b!.spec.gateway, "10.160.0.254", "legacy-b keeps its own gateway");
  });

  it("counts the adopted pools in the subnet's status", async () => {
    const s = await waitFor(
      "subnet status lists the adopted pools",
      async () => {
        const cur = await getSubnet(api, subnet);
        return cur.status?.allocatedIPCount === 20 && cur;
      },
      60_000,
    );
    assert.deepEqual(JSON.parse(s.status!.controlledIPPools!), {
      "legacy-a": { ips: ["10.160.1.1-10.160.1.10"] },
      "legacy-b": { ips: ["10.160.1.11-10.160.1.20"] },
    });
    assert.equal(s.status!.totalIPCount, 100);
    assert.deepEqual(await subnetProblems(api, subnet), []);
  });

  it("still allocates from an adopted pool, and gives an auto pool only addresses no adopted pool holds", async () => {
    apply(exampleText("subnet-adoption/workloads.yaml"));
    const [pod] = await waitRunning(api, ns, "app=from-legacy-a", 1);
    const ip = pod!.status!.podIPs![0]!.ip;
    assert.ok(
      rangesOf(["10.160.1.1-10.160.1.10"]).toAddressStrings().includes(ip),
      `Pod address ${ip} is not in legacy-a`,
    );
    await waitRunning(api, ns, "app=fresh", 2);
    const auto = await waitFor(
      "the auto pool of Deployment fresh at 3 addresses",
      async () => {
        const pools = (await autoPoolsOf(api, "Deployment", ns, "fresh")).filter(
          p => !p.metadata.deletionTimestamp,
        );
        return pools.length === 1 && rangesOf(pools[0]!.spec.ips).size() === 3n && pools[0];
      },
      90_000,
    );
    const adopted = rangesOf(["10.160.1.1-10.160.1.20"]);
    assert.ok(
      !rangesOf(auto!.spec.ips).overlaps(adopted),
      `auto pool ${auto!.metadata.name} (${auto!.spec.ips?.join(",")}) overlaps the adopted pools`,
    );
    const s = await waitFor(
      "subnet counts the adopted pools and the auto pool",
      async () => {
        const cur = await getSubnet(api, subnet);
        return cur.status?.allocatedIPCount === 23 && cur;
      },
      60_000,
    );
    assert.deepEqual(Object.keys(JSON.parse(s.status!.controlledIPPools!)).sort(), [
      auto!.metadata.name,
      "legacy-a",
      "legacy-b",
    ]);
    assert.deepEqual(await subnetProblems(api, subnet), []);
  });

  it("refuses a subnet that could not control the addresses of an existing pool of its CIDR", () => {
    apply(`apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: { name: orphan-c }
spec: { subnet: 10.161.0.0/16, ips: [10.161.1.1-10.161.1.10] }
`);
    assert.throws(
      () =>
        kubectl(
          ["apply", "-f", "-"],
          `apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata: { name: narrow-subnet }
spec: { subnet: 10.161.0.0/16, ips: [10.161.1.5-10.161.1.100] }
`,
        ),
      /SpiderIPPool 'orphan-c' owns some IP addresses that SpiderSubnet 'narrow-subnet' can't control/,
    );
  });
});
