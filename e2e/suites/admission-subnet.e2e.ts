import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { adminClient, kubectl } from "../cluster/cluster.js";
import { exampleMistakes } from "../support/example-mistakes.js";
import { exampleText } from "../support/examples.js";
import { apply } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";
import { assertCreateRefused, assertPatchRefused } from "../support/refusals.js";
import {
  collectionOf,
  removeAndWait,
  stored,
  type SpiderObject,
} from "../support/spider-objects.js";

/**
 * SpiderSubnet admission (docs/reference/admission.md#spidersubnet) and the pool rules that involve a subnet (adoption,
 * docs/reference/admission.md#defaulting; the controlling-subnet rules, docs/reference/admission.md#spiderippool), against the real API server through the Pepr module.
 * Addresses: 10.101.0.0/16 (the docs example), 10.105.0.0/16, 10.114.0.0/16 and 10.116-10.117 (this suite).
 */
describe("admission: SpiderSubnet", function () {
  let api: ApiClient;
  const POOL_PEER = "adm-subnet-peer-pool";
  const subnet = (name: string, spec: Record<string, unknown>): SpiderObject => ({
    kind: "SpiderSubnet",
    metadata: { name },
    spec,
  });
  const LATE_POOL = "adm-subnet-late-pool";
  const LATE_SUBNET = "adm-subnet-late";
  const pools = ["vlan101-web", "vlan101-own", POOL_PEER, LATE_POOL];
  const subnets = ["vlan101", LATE_SUBNET];

  before(async () => {
    api = adminClient();
    for (const p of pools) await removeAndWait(api, "SpiderIPPool", p);
    for (const s of subnets) await removeAndWait(api, "SpiderSubnet", s);
    apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${POOL_PEER}}
spec: {subnet: 10.105.0.0/24, ips: [10.105.0.1-10.105.0.10]}
`);
  });
  after(async () => {
    // Pools first: the subnet owns some of them and must not take them along half-way.
    for (const p of pools) await removeAndWait(api, "SpiderIPPool", p);
    for (const s of subnets) await removeAndWait(api, "SpiderSubnet", s);
    api.close();
  });

  describe("defaulting and adoption", () => {
    it("defaults the documented subnet: finalizer, ipVersion, CIDR label", async () => {
      apply(exampleText("subnet.yaml"));
      const s = (await stored(api, "SpiderSubnet", "vlan101"))!;
      assert.deepEqual(s.metadata.finalizers, ["spiderpool.spidernet.io"]);
      assert.equal(s.metadata.labels?.["ipam.spidernet.io/subnet-cidr"], "10-101-0-0-16");
      assert.equal(s.spec.ipVersion, 4);
      assert.deepEqual(s.spec.ips, ["10.101.1.1-10.101.1.200"]);
    });

    it("makes the subnet of the same CIDR the controller of the documented pool, which takes its gateway and routes", async () => {
      const s = (await stored(api, "SpiderSubnet", "vlan101"))!;
      // Adopted by the defaulting when its cache has seen the subnet, which the same apply
      // created a moment before, else by the watcher's subnet reconciler (docs/adr/0010-admission-cache.md).
      const p = await waitFor("vlan101-web adopted", async () => {
        const o = await stored(api, "SpiderIPPool", "vlan101-web");
        return o?.metadata.ownerReferences?.length ? o : undefined;
      });
      assert.deepEqual(p.metadata.ownerReferences, [
        {
          apiVersion: "spiderpool.spidernet.io/v2beta1",
          kind: "SpiderSubnet",
          name: "vlan101",
          uid: s.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      assert.equal(p.metadata.labels?.["ipam.spidernet.io/owner-spider-subnet"], "vlan101");
      assert.equal(p.spec.gateway, "10.101.0.1");
      assert.deepEqual(p.spec.routes, [{ dst: "10.118.0.0/16", gw: "10.101.0.254" }]);
    });

    it("keeps a pool's own gateway and an explicitly empty route list", async () => {
      apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: vlan101-own}
spec: {subnet: 10.101.0.0/16, ips: [10.101.1.30-10.101.1.39], gateway: 10.101.0.2, routes: []}
`);
      const p = (await stored(api, "SpiderIPPool", "vlan101-own"))!;
      assert.equal(
        p.metadata.labels?.["ipam.spidernet.io/owner-spider-subnet"],
        "vlan101",
        "adopted all the same",
      );
      assert.equal(p.spec.gateway, "10.101.0.2");
      assert.deepEqual(p.spec.routes, []);
    });

    it("adopts a pool created before its subnet, which takes the subnet's gateway and routes (the watcher's subnet reconciler)", async () => {
      apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${LATE_POOL}}
spec: {subnet: 10.114.0.0/16, ips: [10.114.1.1-10.114.1.10]}
`);
      const before = (await stored(api, "SpiderIPPool", LATE_POOL))!;
      assert.equal(before.metadata.ownerReferences, undefined, "no subnet to adopt it yet");
      apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata: {name: ${LATE_SUBNET}}
spec:
  subnet: 10.114.0.0/16
  ips: [10.114.1.1-10.114.1.100]
  gateway: 10.114.0.1
  routes: [{dst: 10.115.0.0/16, gw: 10.114.0.254}]
`);
      const s = (await stored(api, "SpiderSubnet", LATE_SUBNET))!;
      const p = await waitFor("the earlier pool adopted by the later subnet", async () => {
        const o = await stored(api, "SpiderIPPool", LATE_POOL);
        return o?.metadata.ownerReferences?.length ? o : undefined;
      });
      assert.deepEqual(p.metadata.ownerReferences, [
        {
          apiVersion: "spiderpool.spidernet.io/v2beta1",
          kind: "SpiderSubnet",
          name: LATE_SUBNET,
          uid: s.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      assert.equal(p.metadata.labels?.["ipam.spidernet.io/owner-spider-subnet"], LATE_SUBNET);
      assert.equal(p.spec.gateway, "10.114.0.1");
      assert.deepEqual(p.spec.routes, [{ dst: "10.115.0.0/16", gw: "10.114.0.254" }]);
    });

    it("lets the subnet's gateway and routes change without touching the pools it owns", async () => {
      kubectl([
        "patch",
        "spidersubnet",
        "vlan101",
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { gateway: "10.101.0.3", routes: [] } }),
      ]);
      assert.equal((await stored(api, "SpiderSubnet", "vlan101"))!.spec.gateway, "10.101.0.3");
      const p = (await stored(api, "SpiderIPPool", "vlan101-web"))!;
      assert.equal(p.spec.gateway, "10.101.0.1");
      assert.deepEqual(p.spec.routes, [{ dst: "10.118.0.0/16", gw: "10.101.0.254" }]);
    });

    it("accepts the subnet of a pool's CIDR when it offers every address the pool uses", async () => {
      apply(
        stringify({
          apiVersion: "spiderpool.spidernet.io/v2beta1",
          ...subnet("adm-subnet-fits", {
            subnet: "10.105.0.0/24",
            ips: ["10.105.0.1-10.105.0.50"],
          }),
        }),
      );
      subnets.push("adm-subnet-fits");
      assert.ok(await stored(api, "SpiderSubnet", "adm-subnet-fits"));
    });
  });

  describe("the documented mistakes (docs/examples/subnet-mistakes.yaml)", () => {
    for (const m of exampleMistakes("subnet-mistakes.yaml")) {
      it(`refuses ${m.object.metadata.name}`, () =>
        assertCreateRefused(api, m.object as SpiderObject, { status: 422, message: m.error }));
    }
  });

  describe("refuses every invalid CREATE, with Spiderpool's text and nothing stored", () => {
    const HEAD = (name: string) => `SpiderSubnet.spiderpool.spidernet.io "${name}" is invalid: `;
    const cases: [string, Record<string, unknown>, string][] = [
      [
        "ipVersion that cannot be inferred",
        { subnet: "bogus" },
        `spec.ipVersion: Invalid value: "null": is not generated correctly, 'spec.subnet' may be invalid`,
      ],
      [
        "a subnet of the other family",
        { ipVersion: 6, subnet: "10.116.0.0/16" },
        `spec.subnet: Invalid value: "10.116.0.0/16": invalid CIDR format in IPv6 '10.116.0.0/16'`,
      ],
      [
        "a non-canonical CIDR",
        { subnet: "10.116.0.1/16" },
        `spec.subnet: Invalid value: "10.116.0.1/16": unformatted subnet 10.116.0.1/16, please change it to 10.116.0.0/16`,
      ],
      [
        "a CIDR inside another subnet",
        { subnet: "10.101.5.0/24" },
        `spec.subnet: Invalid value: "10.101.5.0/24": overlap with Subnet vlan101 which 'spec.subnet' is 10.101.0.0/16`,
      ],
      [
        "a CIDR around a pool's different CIDR",
        { subnet: "10.105.0.0/16" },
        `spec.subnet: Invalid value: "10.105.0.0/16": overlap with SpiderIPPool '${POOL_PEER}' resource 'spec.subnet' 10.105.0.0/24`,
      ],
      [
        "a pool's CIDR without the addresses the pool uses",
        { subnet: "10.105.0.0/24", ips: ["10.105.0.5-10.105.0.20"] },
        `spec.ips: Invalid value: ["10.105.0.5-10.105.0.20"]: SpiderIPPool '${POOL_PEER}' owns some IP addresses that SpiderSubnet 'adm-bad-subnet-5' can't control`,
      ],
      [
        "an address outside the CIDR",
        { subnet: "10.116.0.0/16", ips: ["10.117.0.1"] },
        `spec.ips[0]: Invalid value: "10.117.0.1": not pertains to the 'spec.subnet' 10.116.0.0/16 of IPPool`,
      ],
      [
        "an excluded address outside the CIDR",
        { subnet: "10.116.0.0/16", excludeIPs: ["10.117.0.1"] },
        `spec.excludeIPs[0]: Invalid value: "10.117.0.1": not pertains to the 'spec.subnet' 10.116.0.0/16 of IPPool`,
      ],
      [
        "CIDR notation in ips",
        { subnet: "10.116.0.0/16", ips: ["10.116.2.0/28"] },
        `spec.ips[0]: Invalid value: "10.116.2.0/28": invalid IP range format in IPv4 '10.116.2.0/28'`,
      ],
      [
        "a range with spaces",
        { subnet: "10.116.0.0/16", ips: ["10.116.0.1 -10.116.0.5"] },
        `spec.ips[0]: Invalid value: "10.116.0.1 -10.116.0.5": invalid IP range: whitespace is not allowed`,
      ],
      [
        "a reversed range",
        { subnet: "10.116.0.0/16", ips: ["10.116.0.9-10.116.0.1"] },
        `spec.ips[0]: Invalid value: "10.116.0.9-10.116.0.1": invalid IP range: the start 10.116.0.9 is greater than the end 10.116.0.1, write it as 10.116.0.1-10.116.0.9`,
      ],
      [
        "a gateway outside the CIDR",
        { subnet: "10.116.0.0/16", gateway: "10.117.0.1" },
        `spec.gateway: Invalid value: "10.117.0.1": not pertains to the 'spec.subnet' 10.116.0.0/16 of IPPool`,
      ],
      [
        "a gateway inside ips",
        { subnet: "10.116.0.0/16", ips: ["10.116.0.1-10.116.0.9"], gateway: "10.116.0.1" },
        `spec.ips[0]: Invalid value: "10.116.0.1-10.116.0.9": conflicts with 'spec.gateway' 10.116.0.1, add the gateway IP address to 'spec.excludeIPs' or remove it from 'spec.ips'`,
      ],
      [
        "a default route",
        { subnet: "10.116.0.0/16", routes: [{ dst: "0.0.0.0/0", gw: "10.116.0.254" }] },
        `spec.routes[0].dst: Invalid value: "0.0.0.0/0": please specify 'spec.gateway' to configure the default route`,
      ],
      [
        "a route next hop outside the CIDR",
        { subnet: "10.116.0.0/16", routes: [{ dst: "10.119.0.0/16", gw: "10.117.0.254" }] },
        `spec.routes[0].gw: Invalid value: "10.117.0.254": not pertains to the 'spec.subnet' 10.116.0.0/16 of IPPool`,
      ],
    ];
    cases.forEach(([what, spec, message], i) => {
      const name = `adm-bad-subnet-${i}`;
      it(`refuses ${what}`, () =>
        assertCreateRefused(api, subnet(name, spec), {
          status: 422,
          message: [HEAD(name), message],
        }));
    });

    it("refuses ipVersion 5 in the schema layer", () =>
      assertCreateRefused(
        api,
        subnet("adm-malformed-subnet", { subnet: "10.116.0.0/16", ipVersion: 5 }),
        {
          status: 422,
          message: `spec.ipVersion: Unsupported value: 5: supported values: "4", "6"`,
        },
      ));

    it("refuses a name already taken with Spiderpool's 409 AlreadyExists", async () => {
      const existing = (await stored(api, "SpiderSubnet", "vlan101"))!;
      await assertCreateRefused(
        api,
        subnet("vlan101", { subnet: "10.116.0.0/16" }),
        {
          status: 409,
          message: `denied the request: SpiderSubnet.spiderpool.spidernet.io "vlan101" already exists`,
        },
        existing,
      );
    });
  });

  describe("pool rules that involve the controlling subnet", () => {
    it("refuses a pool labelled as an application's whose addresses the subnet never recorded for it", () =>
      assertCreateRefused(
        api,
        {
          kind: "SpiderIPPool",
          metadata: {
            name: "adm-fake-auto-pool",
            labels: { "ipam.spidernet.io/owner-application-name": "web" },
          },
          spec: { subnet: "10.101.0.0/16", ips: ["10.101.1.150-10.101.1.155"] },
        },
        {
          status: 422,
          message: `SpiderIPPool.spiderpool.spidernet.io "adm-fake-auto-pool" is invalid: spec.ips: Forbidden: it's illegal to update AutoPool.Spec.IPs that are different from corresponding SpiderSubnet.Status.ControlledIPPools`,
        },
      ));

    it("refuses an update that takes an owned pool outside its subnet", () =>
      assertPatchRefused(
        api,
        "SpiderIPPool",
        "vlan101-web",
        { spec: { ips: ["10.101.1.1-10.101.1.20", "10.101.1.201"] } },
        {
          status: 422,
          message: `spec.ips: Forbidden: add some IP ranges [10.101.1.201] that are not contained in controller Subnet vlan101`,
        },
      ));
  });

  describe("refuses invalid UPDATEs and leaves the subnet unchanged", () => {
    const HEAD = `SpiderSubnet.spiderpool.spidernet.io "vlan101" is invalid: `;
    it("keeps the subnet immutable", () =>
      assertPatchRefused(
        api,
        "SpiderSubnet",
        "vlan101",
        { spec: { subnet: "10.101.0.0/17" } },
        { status: 422, message: `${HEAD}spec.subnet: Forbidden: is not changeable` },
      ));
    it("keeps ipVersion immutable", () =>
      assertPatchRefused(
        api,
        "SpiderSubnet",
        "vlan101",
        { spec: { ipVersion: 6 } },
        { status: 422, message: `${HEAD}[spec.ipVersion: Forbidden: is not changeable` },
      ));
    it("refuses to take back addresses a pool holds (status.controlledIPPools)", async () => {
      // What the subnet controller records for a manual pool it owns: the pool's usable addresses.
      const record = JSON.stringify({ "vlan101-web": { ips: ["10.101.1.1-10.101.1.20"] } });
      await api.patch(
        `${collectionOf.SpiderSubnet}/vlan101/status`,
        { status: { controlledIPPools: record, allocatedIPCount: 20 } },
        "merge",
      );
      await assertPatchRefused(
        api,
        "SpiderSubnet",
        "vlan101",
        { spec: { excludeIPs: ["10.101.1.15-10.101.1.25"] } },
        {
          status: 422,
          message: `${HEAD}spec.ips: Forbidden: remove some IP ranges [10.101.1.15-10.101.1.20] that is being used by IPPool vlan101-web, total IP addresses of an Subnet are jointly determined by 'spec.ips' and 'spec.excludeIPs'`,
        },
      );
    });
  });
});
