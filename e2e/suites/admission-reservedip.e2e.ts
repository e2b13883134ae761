import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import { adminClient, kubectl } from "../cluster/cluster.js";
import { exampleMistakes } from "../support/example-mistakes.js";
import { exampleText } from "../support/examples.js";
import { apply } from "../support/kube.js";
import { assertCreateRefused, assertPatchRefused } from "../support/refusals.js";
import { removeAndWait, stored, type SpiderObject } from "../support/spider-objects.js";
import { waitFor } from "../support/wait-for.js";

/**
 * SpiderReservedIP admission (docs/reference/admission.md#spiderreservedip) against the real API server through the Pepr module.
 * Reserved IPs are never compared with pools, so only their own syntax and family are checked.
 * Addresses: 10.100.1.x and fd00:100:: of the docs example, 10.106.0.0/16 (this suite).
 */
describe("admission: SpiderReservedIP", function () {
  let api: ApiClient;
  const names = ["legacy-appliance-v4", "legacy-appliance-v6", "adm-reserved-held"];
  const reserved = (name: string, spec: Record<string, unknown>): SpiderObject => ({
    kind: "SpiderReservedIP",
    metadata: { name },
    spec,
  });

  before(async () => {
    api = adminClient();
    for (const n of names) await removeAndWait(api, "SpiderReservedIP", n);
  });
  after(async () => {
    for (const n of names) await removeAndWait(api, "SpiderReservedIP", n);
    api.close();
  });

  it("defaults the documented examples: ipVersion from ips[0], merged ips, no finalizer", async () => {
    apply(exampleText("reserved-ip.yaml"));
    const v4 = (await stored(api, "SpiderReservedIP", "legacy-appliance-v4"))!;
    assert.equal(v4.spec.ipVersion, 4);
    assert.deepEqual(v4.spec.ips, ["10.100.1.20-10.100.1.21"]);
    assert.equal(v4.metadata.finalizers, undefined, "reserved IPs carry no finalizer");
    const v6 = (await stored(api, "SpiderReservedIP", "legacy-appliance-v6"))!;
    assert.equal(v6.spec.ipVersion, 6);
    assert.deepEqual(v6.spec.ips, ["fd00:100::20"]);
  });

  describe("the documented mistakes (docs/examples/reserved-ip-mistakes.yaml)", () => {
    for (const m of exampleMistakes("reserved-ip-mistakes.yaml")) {
      it(`refuses ${m.object.metadata.name}`, () =>
        assertCreateRefused(api, m.object as SpiderObject, { status: 422, message: m.error }));
    }
  });

  describe("refuses every invalid CREATE, with Spiderpool's text and nothing stored", () => {
    const HEAD = (name: string) =>
      `SpiderReservedIP.spiderpool.spidernet.io "${name}" is invalid: `;
    const cases: [string, Record<string, unknown>, string][] = [
      [
        "no addresses",
        { ips: [] },
        `spec.ipVersion: Invalid value: "null": is not generated correctly, 'spec.ips' is empty or 'spec.ips[0]' may be invalid`,
      ],
      [
        "a first entry that is no address",
        { ips: ["10.106.0.300"] },
        `spec.ipVersion: Invalid value: "null": is not generated correctly, 'spec.ips' is empty or 'spec.ips[0]' may be invalid`,
      ],
      [
        "an entry of the other family",
        { ipVersion: 6, ips: ["10.106.0.1"] },
        `spec.ips[0]: Invalid value: "10.106.0.1": invalid IP range format in IPv6 '10.106.0.1'`,
      ],
      [
        "a reversed range",
        { ips: ["10.106.0.9-10.106.0.1"], ipVersion: 4 },
        `spec.ips[0]: Invalid value: "10.106.0.9-10.106.0.1": invalid IP range format in IPv4 '10.106.0.9-10.106.0.1'`,
      ],
      [
        "a range with spaces",
        { ips: ["10.106.0.1", "10.106.0.2 - 10.106.0.5"] },
        `spec.ips[1]: Invalid value: "10.106.0.2 - 10.106.0.5": invalid IP range format in IPv4 '10.106.0.2 - 10.106.0.5'`,
      ],
    ];
    cases.forEach(([what, spec, message], i) => {
      const name = `adm-bad-reserved-${i}`;
      it(`refuses ${what}`, () =>
        assertCreateRefused(api, reserved(name, spec), {
          status: 422,
          message: [HEAD(name), message],
        }));
    });
    it("refuses ipVersion 5 in the schema layer", () =>
      assertCreateRefused(
        api,
        reserved("adm-malformed-reserved", { ipVersion: 5, ips: ["10.106.0.1"] }),
        {
          status: 422,
          message: `spec.ipVersion: Unsupported value: 5: supported values: "4", "6"`,
        },
      ));
    it("refuses ips that are not a list in the schema layer", () =>
      assertCreateRefused(api, reserved("adm-malformed-reserved", { ips: "10.106.0.1" }), {
        status: 422,
        message: `spec.ips: Invalid value: "string": spec.ips in body must be of type array: "string"`,
      }));
  });

  describe("UPDATE", () => {
    it("keeps ipVersion immutable", () =>
      assertPatchRefused(
        api,
        "SpiderReservedIP",
        "legacy-appliance-v4",
        { spec: { ipVersion: 6, ips: ["fd00:100::21"] } },
        {
          status: 422,
          message: `SpiderReservedIP.spiderpool.spidernet.io "legacy-appliance-v4" is invalid: spec.ipVersion: Forbidden: is not changeable`,
        },
      ));

    it("merges ips on update", async () => {
      kubectl([
        "patch",
        "spiderreservedip",
        "legacy-appliance-v4",
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { ips: ["10.100.1.22", "10.100.1.20-10.100.1.21"] } }),
      ]);
      assert.deepEqual((await stored(api, "SpiderReservedIP", "legacy-appliance-v4"))!.spec.ips, [
        "10.100.1.20-10.100.1.22",
      ]);
    });

    it("refuses to change a reserved IP that is being deleted (403), but lets its finalizers go", async () => {
      // A reserved IP has no finalizer of its own; another controller's keeps it terminating.
      apply(`
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderReservedIP
metadata: {name: adm-reserved-held, finalizers: [example.com/hold]}
spec: {ips: [10.106.0.1]}
`);
      kubectl(["delete", "spiderreservedip", "adm-reserved-held", "--wait=false"]);
      assert.ok(
        (await stored(api, "SpiderReservedIP", "adm-reserved-held"))?.metadata.deletionTimestamp,
        "terminating",
      );
      await assertPatchRefused(
        api,
        "SpiderReservedIP",
        "adm-reserved-held",
        { spec: { ips: ["10.106.0.2"] } },
        {
          status: 403,
          message: "forbidden: cannot update a terminating ReservedIP",
        },
      );
      kubectl([
        "patch",
        "spiderreservedip",
        "adm-reserved-held",
        "--type=json",
        "-p",
        JSON.stringify([{ op: "remove", path: "/metadata/finalizers" }]),
      ]);
      await waitFor(
        "adm-reserved-held gone",
        async () => (await stored(api, "SpiderReservedIP", "adm-reserved-held")) === undefined,
        10_000,
      );
    });

    it("allows deleting a reserved IP at any time", async () => {
      kubectl(["delete", "spiderreservedip", "legacy-appliance-v6"]);
      assert.equal(await stored(api, "SpiderReservedIP", "legacy-appliance-v6"), undefined);
    });
  });
});
