import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { CRD_DIR, renderCrdFiles } from "../../scripts/gen-crds.js";
import { findStructuralViolations, type CustomResourceDefinition } from "./crd.js";
import { buildSpiderpoolCrds } from "./spiderpool-crds.js";

function crdOf(kind: string): CustomResourceDefinition {
  const crd = buildSpiderpoolCrds().find(c => c.spec.names.kind === kind);
  assert.ok(crd, `no CRD for ${kind}`);
  return crd;
}

/** `name jsonPath type [priority]` per column, the way Spiderpool's CRDs list them (docs/reference/crds.md). */
function columns(kind: string): string[] {
  return crdOf(kind).spec.versions[0]!.additionalPrinterColumns.map(
    c => `${c.name} ${c.jsonPath} ${c.type}${c.priority === undefined ? "" : ` ${c.priority}`}`,
  );
}

describe("manifests/crds (golden)", () => {
  const files = renderCrdFiles();

  it("has exactly one committed file per generated CRD", () => {
    const committed = fs
      .readdirSync(CRD_DIR)
      .filter(name => name.endsWith(".yaml"))
      .sort();
    assert.deepEqual(committed, [...files.keys()].sort());
  });

  for (const [name, expected] of files) {
    it(`${name} equals what lib/schemas generates (run npm run gen:crds on drift)`, () => {
      assert.equal(fs.readFileSync(path.join(CRD_DIR, name), "utf8"), expected);
    });
  }
});

describe("Spiderpool CRDs", () => {
  it("are all structural, in category spiderpool; Spider kinds in spiderpool.spidernet.io v2beta1", () => {
    const crds = buildSpiderpoolCrds();
    assert.deepEqual(
      crds.map(c => c.spec.names.plural),
      [
        "spiderippools",
        "spidersubnets",
        "spiderreservedips",
        "spiderendpoints",
        "ipclaims",
        "spidercoordinators",
        "spidermultusconfigs",
      ],
    );
    for (const crd of crds) {
      const ours = crd.spec.names.plural === "ipclaims";
      assert.equal(crd.spec.group, ours ? "ipam.pepr-spiderpool.io" : "spiderpool.spidernet.io");
      assert.deepEqual(crd.spec.names.categories, ["spiderpool"]);
      const [version] = crd.spec.versions;
      assert.equal(version?.name, ours ? "v1alpha1" : "v2beta1");
      assert.deepEqual(findStructuralViolations(version?.schema.openAPIV3Schema), []);
    }
  });

  const table: Array<[string, string, "Cluster" | "Namespaced", boolean]> = [
    ["SpiderIPPool", "sp", "Cluster", true],
    ["SpiderSubnet", "ss", "Cluster", true],
    ["SpiderReservedIP", "sr", "Cluster", false],
    ["SpiderEndpoint", "se", "Namespaced", false],
    ["IPClaim", "ipc", "Cluster", false],
    ["SpiderCoordinator", "scc", "Cluster", true],
    ["SpiderMultusConfig", "smc", "Namespaced", false],
  ];
  for (const [kind, short, scope, status] of table) {
    it(`${kind}: short name ${short}, ${scope}, status subresource ${status ? "on" : "off"}`, () => {
      const crd = crdOf(kind);
      assert.deepEqual(crd.spec.names.shortNames, [short]);
      assert.equal(crd.spec.scope, scope);
      assert.equal(crd.spec.versions[0]?.subresources !== undefined, status);
    });
  }

  it("SpiderIPPool columns: five always, four wide-only", () => {
    assert.deepEqual(columns("SpiderIPPool"), [
      "VERSION .spec.ipVersion string",
      "SUBNET .spec.subnet string",
      "ALLOCATED-IP-COUNT .status.allocatedIPCount integer",
      "TOTAL-IP-COUNT .status.totalIPCount integer",
      "DEFAULT .spec.default boolean",
      "DISABLE .spec.disable boolean 10",
      "NodeName .spec.nodeName string 10",
      "MultusName .spec.multusName string 10",
      "APP-NAMESPACE .spec.podAffinity.matchLabels['ipam\\.spidernet\\.io/app\\-namespace'] string 10",
    ]);
  });

  it("SpiderSubnet, SpiderReservedIP and SpiderEndpoint columns", () => {
    assert.deepEqual(columns("SpiderSubnet"), [
      "VERSION .spec.ipVersion string",
      "SUBNET .spec.subnet string",
      "ALLOCATED-IP-COUNT .status.allocatedIPCount integer",
      "TOTAL-IP-COUNT .status.totalIPCount integer",
    ]);
    assert.deepEqual(columns("SpiderReservedIP"), ["VERSION .spec.ipVersion string"]);
    assert.deepEqual(columns("SpiderEndpoint"), [
      "INTERFACE .status.current.ips[0].interface string",
      "IPV4POOL .status.current.ips[0].ipv4Pool string",
      "IPV4 .status.current.ips[0].ipv4 string",
      "IPV6POOL .status.current.ips[0].ipv6Pool string",
      "IPV6 .status.current.ips[0].ipv6 string",
      "NODE .status.current.node string",
    ]);
  });

  it("SpiderIPPool schema: int64 enum ipVersion, required subnet, false defaults, string allocatedIPs", () => {
    const root = crdOf("SpiderIPPool").spec.versions[0]!.schema.openAPIV3Schema;
    const spec = root.properties!.spec!;
    assert.deepEqual(root.required, ["spec"]);
    assert.deepEqual(spec.required, ["subnet"]);
    assert.deepEqual(
      {
        type: spec.properties!.ipVersion!.type,
        format: spec.properties!.ipVersion!.format,
        enum: spec.properties!.ipVersion!.enum,
      },
      { type: "integer", format: "int64", enum: [4, 6] },
    );
    assert.equal(spec.properties!.default!.default, false);
    assert.equal(spec.properties!.disable!.default, false);
    assert.deepEqual(spec.properties!.podAffinity!.properties!.matchLabels!.additionalProperties, {
      type: "string",
    });
    const status = root.properties!.status!.properties!;
    assert.equal(status.allocatedIPs!.type, "string");
    for (const count of ["allocatedIPCount", "totalIPCount"]) {
      assert.equal(status[count]!.format, "int64");
      assert.equal(status[count]!.minimum, 0);
    }
  });

  it("SpiderEndpoint schema: vlan 0..4094 default 0; status requires current and owner fields", () => {
    const status =
      crdOf("SpiderEndpoint").spec.versions[0]!.schema.openAPIV3Schema.properties!.status!;
    assert.deepEqual(status.required, ["current", "ownerControllerType", "ownerControllerName"]);
    const current = status.properties!.current!;
    assert.deepEqual(current.required, ["uid", "node", "ips"]);
    const vlan = current.properties!.ips!.items!.properties!.vlan!;
    assert.deepEqual(
      [vlan.minimum, vlan.maximum, vlan.default, vlan.format],
      [0, 4094, 0, "int64"],
    );
  });
});
