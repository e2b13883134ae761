import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { adminClient, kubectl } from "../cluster/cluster.js";
import { exampleMistakes } from "../support/example-mistakes.js";
import { exampleText } from "../support/examples.js";
import { apply } from "../support/kube.js";
import { assertCreateRefused, assertPatchRefused } from "../support/refusals.js";
import { removeAndWait, stored, type SpiderObject } from "../support/spider-objects.js";
import { waitFor } from "../support/wait-for.js";

/**
 * SpiderIPPool admission against the real API server, through the Pepr module: the defaulting
 * users rely on, and every refusal of docs/reference/admission.md#spiderippool with Spiderpool's words and HTTP status, sent
 * the ways users send them (kubectl apply/create/patch, server-side dry run, the REST API).
 * Addresses: 10.100.0.0/16 (the docs example), 10.103.0.0/16 (this suite), fd00:100::/64.
 */
describe("admission: SpiderIPPool", function () {
  let api: ApiClient;
  const PEER = "adm-pool-peer";
  const pool = (
    name: string,
    spec: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
  ): SpiderObject => ({
    kind: "SpiderIPPool",
    metadata: { name, ...metadata },
    spec,
  });
  const created: string[] = [];

  before(async () => {
    api = adminClient();
    for (const name of ["storage-net-v4", "storage-net-v6", PEER])
      await removeAndWait(api, "SpiderIPPool", name);
    apply(
      stringify({
        apiVersion: "spiderpool.spidernet.io/v2beta1",
        ...pool(PEER, { subnet: "10.103.0.0/24", ips: ["10.103.0.1-10.103.0.10"] }),
      }),
    );
    created.push(PEER);
  });
  after(async () => {
    for (const name of created) await removeAndWait(api, "SpiderIPPool", name);
    api.close();
  });

  describe("defaulting", () => {
    it("defaults the documented IPv4 example: finalizer, ipVersion, CIDR label, merged ips", async () => {
      const out = apply(exampleText("ippool.yaml"));
      created.push("storage-net-v4");
      assert.match(out, /spiderippool.spiderpool.spidernet.io\/storage-net-v4 created/);
      const p = (await stored(api, "SpiderIPPool", "storage-net-v4"))!;
      assert.deepEqual(p.metadata.finalizers, ["spiderpool.spidernet.io"]);
      assert.equal(p.metadata.labels?.["ipam.spidernet.io/ippool-cidr"], "10-100-0-0-16");
      assert.equal(p.spec.ipVersion, 4);
      // Three entries, two of them adjacent and out of order, become two sorted runs.
      assert.deepEqual(p.spec.ips, ["10.100.1.1-10.100.1.50", "10.100.1.60"]);
      assert.deepEqual(p.spec.excludeIPs, ["10.100.1.10"], "a one-element list is kept as written");
      assert.equal(p.spec.gateway, "10.100.0.1");
      assert.deepEqual(p.spec.routes, [{ dst: "10.119.0.0/16", gw: "10.100.0.254" }]);
      assert.deepEqual([p.spec.default, p.spec.disable], [false, false], "CRD defaults");
      // The watcher's status projection: 51 addresses listed, one excluded.
      const status = await waitFor("status of storage-net-v4", async () => {
        const s = (await stored(api, "SpiderIPPool", "storage-net-v4"))?.status;
        return s?.totalIPCount !== undefined ? s : undefined;
      });
      assert.deepEqual(status, { allocatedIPCount: 0, totalIPCount: 50 });
    });

    it("infers ipVersion 6 and the IPv6 CIDR label for the IPv6 example", async () => {
      apply(exampleText("ippool-ipv6.yaml"));
      created.push("storage-net-v6");
      const p = (await stored(api, "SpiderIPPool", "storage-net-v6"))!;
      assert.equal(p.spec.ipVersion, 6);
      assert.equal(p.metadata.labels?.["ipam.spidernet.io/ippool-cidr"], "fd00-100---64");
      assert.deepEqual(p.metadata.finalizers, ["spiderpool.spidernet.io"]);
    });

    it("merges ips and excludeIPs again on every update", async () => {
      kubectl([
        "patch",
        "spiderippool",
        PEER,
        "--type=merge",
        "-p",
        JSON.stringify({
          spec: {
            ips: ["10.103.0.1-10.103.0.10", "10.103.0.11", "10.103.0.1"],
            excludeIPs: ["10.103.0.3", "10.103.0.2"],
          },
        }),
      ]);
      const p = (await stored(api, "SpiderIPPool", PEER))!;
      assert.deepEqual(p.spec.ips, ["10.103.0.1-10.103.0.11"]);
      assert.deepEqual(p.spec.excludeIPs, ["10.103.0.2-10.103.0.3"]);
      kubectl([
        "patch",
        "spiderippool",
        PEER,
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { ips: ["10.103.0.1-10.103.0.10"], excludeIPs: null } }),
      ]);
    });

    it("shows the defaulted object on a server-side dry run and stores nothing", async () => {
      const yaml = stringify({
        apiVersion: "spiderpool.spidernet.io/v2beta1",
        ...pool("adm-dry-run", {
          subnet: "10.103.9.0/24",
          ips: ["10.103.9.5", "10.103.9.1-10.103.9.4"],
        }),
      });
      const out = kubectl(["apply", "--dry-run=server", "-o", "json", "-f", "-"], yaml);
      const shown = JSON.parse(out) as {
        metadata: { finalizers?: string[]; labels?: Record<string, string> };
        spec: { ipVersion?: number; ips?: string[] };
      };
      assert.deepEqual(shown.metadata.finalizers, ["spiderpool.spidernet.io"]);
      assert.equal(shown.metadata.labels?.["ipam.spidernet.io/ippool-cidr"], "10-103-9-0-24");
      assert.equal(shown.spec.ipVersion, 4);
      assert.deepEqual(shown.spec.ips, ["10.103.9.1-10.103.9.5"]);
      assert.equal(
        await stored(api, "SpiderIPPool", "adm-dry-run"),
        undefined,
        "a dry run must not store the pool",
      );
    });

    it("accepts a pool of the same CIDR whose shared addresses it excludes", async () => {
      apply(
        stringify({
          apiVersion: "spiderpool.spidernet.io/v2beta1",
          ...pool("adm-pool-sharing", {
            subnet: "10.103.0.0/24",
            ips: ["10.103.0.5-10.103.0.20"],
            excludeIPs: ["10.103.0.5-10.103.0.10"],
          }),
        }),
      );
      created.push("adm-pool-sharing");
      assert.ok(await stored(api, "SpiderIPPool", "adm-pool-sharing"));
    });
  });

  describe("the documented mistakes (docs/examples/ippool-mistakes.yaml)", () => {
    for (const m of exampleMistakes("ippool-mistakes.yaml")) {
      it(`refuses ${m.object.metadata.name}`, () =>
        assertCreateRefused(api, m.object as SpiderObject, { status: 422, message: m.error }));
    }
  });

  describe("refuses every invalid CREATE, with Spiderpool's text and nothing stored", () => {
    const HEAD = (name: string) => `SpiderIPPool.spiderpool.spidernet.io "${name}" is invalid: `;
    const cases: [string, Record<string, unknown>, string, Record<string, unknown>?][] = [
      // row 1: ipVersion (spec.subnet that tells no family leaves it unset)
      [
        "ipVersion that cannot be inferred",
        { subnet: "10.103.1.0" },
        `spec.ipVersion: Invalid value: "null": is not generated correctly, 'spec.subnet' may be invalid`,
      ],
      // row 2: the subnet
      [
        "a subnet of the other family",
        { ipVersion: 4, subnet: "fd00:103::/64" },
        `spec.subnet: Invalid value: "fd00:103::/64": invalid CIDR format in IPv4 'fd00:103::/64'`,
      ],
      [
        "ipVersion 6 for an IPv4 subnet",
        { ipVersion: 6, subnet: "10.103.1.0/24" },
        `spec.subnet: Invalid value: "10.103.1.0/24": invalid CIDR format in IPv6 '10.103.1.0/24'`,
      ],
      [
        "a non-canonical CIDR",
        { subnet: "10.103.1.1/24" },
        `spec.subnet: Invalid value: "10.103.1.1/24": unformatted subnet 10.103.1.1/24, please change it to 10.103.1.0/24`,
      ],
      [
        "a non-canonical IPv6 CIDR",
        { subnet: "fd00:103:0::/64" },
        `spec.subnet: Invalid value: "fd00:103:0::/64": unformatted subnet fd00:103:0::/64, please change it to fd00:103::/64`,
      ],
      [
        "a subnet overlapping another pool's",
        { subnet: "10.103.0.0/16" },
        `spec.subnet: Invalid value: "10.103.0.0/16": overlap with IPPool ${PEER} which 'spec.subnet' is 10.103.0.0/24`,
      ],
      // row 3a: entries
      [
        "an address outside the subnet",
        { subnet: "10.103.1.0/24", ips: ["10.103.2.1"] },
        `spec.subnet: Invalid value: "10.103.1.0/24": not match base subnet: 10.103.2.1`,
      ],
      [
        "an excluded address outside the subnet",
        { subnet: "10.103.1.0/24", excludeIPs: ["10.103.2.1"] },
        `spec.subnet: Invalid value: "10.103.1.0/24": not match base subnet: 10.103.2.1`,
      ],
      [
        "an entry that is no address",
        { subnet: "10.103.1.0/24", ips: ["10.103.1.300"] },
        `spec.subnet: Invalid value: "10.103.1.0/24": invalid IP address: 10.103.1.300`,
      ],
      [
        "CIDR notation in ips",
        { subnet: "10.103.1.0/24", ips: ["10.103.1.0/28"] },
        `spec.subnet: Invalid value: "10.103.1.0/24": invalid range: 10.103.1.0/28`,
      ],
      [
        "a range with spaces",
        { subnet: "10.103.1.0/24", ips: ["10.103.1.1 - 10.103.1.5"] },
        `spec.ips[0]: Invalid value: "10.103.1.1 - 10.103.1.5": invalid IP range: whitespace is not allowed`,
      ],
      [
        "a reversed range",
        { subnet: "10.103.1.0/24", ips: ["10.103.1.9-10.103.1.1"] },
        `spec.ips[0]: Invalid value: "10.103.1.9-10.103.1.1": invalid IP range: the start 10.103.1.9 is greater than the end 10.103.1.1, write it as 10.103.1.1-10.103.1.9`,
      ],
      [
        "a reversed excluded range",
        { subnet: "fd00:103::/64", excludeIPs: ["fd00:103::9-fd00:103::1"] },
        `spec.excludeIPs[0]: Invalid value: "fd00:103::9-fd00:103::1": invalid IP range: the start fd00:103::9 is greater than the end fd00:103::1, write it as fd00:103::1-fd00:103::9`,
      ],
      // Defaulting merges a clean list, so entries that cover each other reach validation only
      // beside an entry that stops the merge; both are reported.
      [
        "ips entries covering each other",
        { subnet: "10.103.1.0/24", ips: ["10.103.1.1-10.103.1.10", "10.103.1.5", "bogus"] },
        `spec.subnet: Invalid value: "10.103.1.0/24": range 10.103.1.5 is already covered by 10.103.1.1-10.103.1.10`,
      ],
      [
        "addresses another pool of the same subnet uses",
        { subnet: "10.103.0.0/24", ips: ["10.103.0.9-10.103.0.30"] },
        `spec.ips: Forbidden: overlap with IPPool ${PEER} in IP ranges [10.103.0.1-10.103.0.10], total IP addresses of an IPPool are jointly determined by 'spec.ips' and 'spec.excludeIPs'`,
      ],
      // row 3b: gateway
      [
        "a gateway outside the subnet",
        { subnet: "10.103.1.0/24", gateway: "10.103.2.1" },
        `spec.gateway: Invalid value: "10.103.2.1": not pertains to the 'spec.subnet' 10.103.1.0/24 of IPPool`,
      ],
      [
        "a gateway of the other family",
        { subnet: "10.103.1.0/24", gateway: "fd00::1" },
        `spec.gateway: Invalid value: "fd00::1": invalid IP format in IPv4 'fd00::1'`,
      ],
      [
        "a gateway inside ips",
        { subnet: "10.103.1.0/24", ips: ["10.103.1.1-10.103.1.9"], gateway: "10.103.1.5" },
        `spec.ips[0]: Invalid value: "10.103.1.1-10.103.1.9": conflicts with 'spec.gateway' 10.103.1.5, add the gateway IP address to 'spec.excludeIPs' or remove it from 'spec.ips'`,
      ],
      // row 3c: routes
      [
        "a default route",
        { subnet: "10.103.1.0/24", routes: [{ dst: "0.0.0.0/0", gw: "10.103.1.254" }] },
        `spec.routes[0].dst: Invalid value: "0.0.0.0/0": please specify 'spec.gateway' to configure the default route`,
      ],
      [
        "two routes to one destination",
        {
          subnet: "10.103.1.0/24",
          routes: [
            { dst: "10.119.0.0/16", gw: "10.103.1.254" },
            { dst: "10.119.0.0/16", gw: "10.103.1.253" },
          ],
        },
        `spec.routes[1].dst: Invalid value: "10.119.0.0/16": duplicate route with the same dst`,
      ],
      [
        "a route destination of the other family",
        { subnet: "10.103.1.0/24", routes: [{ dst: "fd00::/64", gw: "10.103.1.254" }] },
        `spec.routes[0].dst: Invalid value: "fd00::/64": invalid CIDR format in IPv4 'fd00::/64'`,
      ],
      [
        "a route next hop outside the subnet",
        { subnet: "10.103.1.0/24", routes: [{ dst: "10.119.0.0/16", gw: "10.103.2.254" }] },
        `spec.routes[0].gw: Invalid value: "10.103.2.254": not pertains to the 'spec.subnet' 10.103.1.0/24 of IPPool`,
      ],
      // row 3d: podAffinity
      [
        "an empty podAffinity",
        { subnet: "10.103.1.0/24", podAffinity: {} },
        `spec.podAffinity: Invalid value: {}: empty podAffinity is invalid for SpiderIPPool`,
      ],
      [
        "a podAffinity with an invalid label key",
        { subnet: "10.103.1.0/24", podAffinity: { matchLabels: { "bad key": "x" } } },
        `spec.podAffinity.matchLabels: Invalid value: "bad key": name part must consist of alphanumeric characters`,
      ],
      [
        "a podAffinity expression without values",
        {
          subnet: "10.103.1.0/24",
          podAffinity: { matchExpressions: [{ key: "app", operator: "In" }] },
        },
        "spec.podAffinity.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      ],
      [
        "extra podAffinity labels on an application's pool",
        {
          subnet: "10.103.1.0/24",
          podAffinity: { matchLabels: { "ipam.spidernet.io/app-name": "web", team: "a" } },
        },
        `spec.podAffinity.matchLabels: Invalid value: "team": it's invalid to add additional podAffinity matchLabels for auto-created SpiderIPPool`,
        { labels: { "ipam.spidernet.io/owner-application-name": "web" } },
      ],
      [
        "podAffinity expressions on an application's pool",
        {
          subnet: "10.103.1.0/24",
          podAffinity: { matchExpressions: [{ key: "team", operator: "Exists" }] },
        },
        `spec.podAffinity.matchExpressions: Invalid value: [{"key":"team","operator":"Exists"}]: it's invalid to add additional podAffinity matchExpressions for auto-created SpiderIPPool`,
        { labels: { "ipam.spidernet.io/owner-application-name": "web" } },
      ],
    ];
    cases.forEach(([what, spec, message, metadata], i) => {
      const name = `adm-bad-pool-${i}`;
      it(`refuses ${what}`, () =>
        assertCreateRefused(api, pool(name, spec, metadata), {
          status: 422,
          message: [HEAD(name), message],
        }));
    });

    it("refuses a name already taken with Spiderpool's 409 AlreadyExists", async () => {
      const existing = (await stored(api, "SpiderIPPool", PEER))!;
      await assertCreateRefused(
        api,
        pool(PEER, { subnet: "10.103.8.0/24" }),
        {
          status: 409,
          message: `admission webhook "pepr-spiderpool.pepr.dev" denied the request: SpiderIPPool.spiderpool.spidernet.io "${PEER}" already exists`,
        },
        existing,
      );
    });
  });

  describe("judges against what is stored now", () => {
    it("sees a peer's new addresses right after the peer changed", async () => {
      // Admission remembers what it parsed of unchanged pools; a change must never be missed.
      const ips = (await stored(api, "SpiderIPPool", PEER))!.spec.ips;
      kubectl([
        "patch",
        "spiderippool",
        PEER,
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { ips: [...(ips ?? []), "10.103.0.77"] } }),
      ]);
      try {
        await assertCreateRefused(
          api,
          pool("adm-after-change", { subnet: "10.103.0.0/24", ips: ["10.103.0.77"] }),
          {
            status: 422,
            message: `spec.ips: Forbidden: overlap with IPPool ${PEER} in IP ranges [10.103.0.77]`,
          },
        );
      } finally {
        kubectl([
          "patch",
          "spiderippool",
          PEER,
          "--type=merge",
          "-p",
          JSON.stringify({ spec: { ips } }),
        ]);
      }
      const clear = pool("adm-after-change", { subnet: "10.103.0.0/24", ips: ["10.103.0.77"] });
      apply(stringify({ apiVersion: "spiderpool.spidernet.io/v2beta1", ...clear }));
      created.push("adm-after-change");
      assert.ok(
        await stored(api, "SpiderIPPool", "adm-after-change"),
        "accepted once the peer gave the address back",
      );
    });
  });

  describe("refuses malformed objects in the schema layer (CRD openAPIV3Schema, before any rule)", () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [
        "ipVersion 5",
        { subnet: "10.103.1.0/24", ipVersion: 5 },
        `spec.ipVersion: Unsupported value: 5: supported values: "4", "6"`,
      ],
      [
        "ipVersion as text",
        { subnet: "10.103.1.0/24", ipVersion: "4" },
        `spec.ipVersion: Invalid value: "string": spec.ipVersion in body must be of type integer: "string"`,
      ],
      [
        "ips not a list",
        { subnet: "10.103.1.0/24", ips: "10.103.1.1" },
        `spec.ips: Invalid value: "string": spec.ips in body must be of type array: "string"`,
      ],
      [
        "a route without a next hop",
        { subnet: "10.103.1.0/24", routes: [{ dst: "10.119.0.0/16" }] },
        "spec.routes[0].gw: Required value",
      ],
      ["no subnet", { ips: ["10.103.1.1"] }, "spec.subnet: Required value"],
    ];
    cases.forEach(([what, spec, message], i) => {
      const name = `adm-malformed-pool-${i}`;
      // kubectl words schema errors its own way (`The SpiderIPPool "x" is invalid`), the API as usual.
      it(`refuses ${what}`, () =>
        assertCreateRefused(api, pool(name, spec), { status: 422, message }));
    });
  });

  describe("refuses invalid UPDATEs and leaves the pool unchanged", () => {
    const HEAD = `SpiderIPPool.spiderpool.spidernet.io "${PEER}" is invalid: `;
    it("keeps ipVersion immutable", () =>
      assertPatchRefused(
        api,
        "SpiderIPPool",
        PEER,
        { spec: { ipVersion: 6 } },
        { status: 422, message: `${HEAD}[spec.ipVersion: Forbidden: is not changeable` },
      ));
    it("keeps the subnet immutable", () =>
      assertPatchRefused(
        api,
        "SpiderIPPool",
        PEER,
        { spec: { subnet: "10.103.0.0/25" } },
        { status: 422, message: `${HEAD}spec.subnet: Forbidden: is not changeable` },
      ));
    it("applies the entry, gateway and route rules to updates too", () =>
      assertPatchRefused(
        api,
        "SpiderIPPool",
        PEER,
        { spec: { gateway: "10.103.0.5" } },
        {
          status: 422,
          message: `${HEAD}spec.ips[0]: Invalid value: "10.103.0.1-10.103.0.10": conflicts with 'spec.gateway' 10.103.0.5`,
        },
      ));
    it("refuses an update that would share addresses with a pool of the same subnet", () =>
      assertPatchRefused(
        api,
        "SpiderIPPool",
        PEER,
        { spec: { ips: ["10.103.0.1-10.103.0.12"] } },
        {
          status: 422,
          message: `${HEAD}spec.ips: Forbidden: overlap with IPPool adm-pool-sharing in IP ranges [10.103.0.5-10.103.0.20]`,
        },
      ));
  });

  describe("kubectl get", () => {
    it("prints Spiderpool's printer columns for sp, ss and sr", async () => {
      const headers = (out: string) =>
        out
          .split("\n")
          .filter(l => l.startsWith("NAME"))
          .map(l => l.trim().split(/\s+/));
      assert.deepEqual(headers(kubectl(["get", "sp", "storage-net-v4"])), [
        ["NAME", "VERSION", "SUBNET", "ALLOCATED-IP-COUNT", "TOTAL-IP-COUNT", "DEFAULT"],
      ]);
      assert.deepEqual(headers(kubectl(["get", "sp", "storage-net-v4", "-o", "wide"])), [
        [
          "NAME",
          "VERSION",
          "SUBNET",
          "ALLOCATED-IP-COUNT",
          "TOTAL-IP-COUNT",
          "DEFAULT",
          "DISABLE",
          "NODENAME",
          "MULTUSNAME",
          "APP-NAMESPACE",
        ],
      ]);
      const row = kubectl(["get", "sp", "storage-net-v4", "--no-headers"]).trim().split(/\s+/);
      assert.deepEqual(row.slice(0, 6), [
        "storage-net-v4",
        "4",
        "10.100.0.0/16",
        "0",
        "50",
        "false",
      ]);
      // Each kind answers to its short name, and one command prints one table per kind.
      apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderSubnet
metadata: {name: adm-columns}
spec: {subnet: 10.103.200.0/24, ips: [10.103.200.1-10.103.200.9]}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderReservedIP
metadata: {name: adm-columns}
spec: {ips: [10.103.200.1]}
`);
      try {
        assert.deepEqual(
          headers(kubectl(["get", "sp/storage-net-v4", "ss/adm-columns", "sr/adm-columns"])),
          [
            ["NAME", "VERSION", "SUBNET", "ALLOCATED-IP-COUNT", "TOTAL-IP-COUNT", "DEFAULT"],
            ["NAME", "VERSION", "SUBNET", "ALLOCATED-IP-COUNT", "TOTAL-IP-COUNT"],
            ["NAME", "VERSION"],
          ],
        );
      } finally {
        kubectl(["delete", "sr/adm-columns"]);
      }
      await removeAndWait(api, "SpiderSubnet", "adm-columns");
    });
  });
});
