import assert from "node:assert/strict";
import {
  importState,
  planImport,
  sameHolder,
  type ImportEndpoint,
  type ImportFacts,
  type ImportPod,
  type PoolFacts,
} from "./allocation-import.js";
import { parseAllocationRecords } from "./allocation-records.js";
import { IMPORTED_ANNOTATION } from "../base/well-known-names.js";

const records = (r: Record<string, { pod: string; podUid: string }>) => JSON.stringify(r);
const pool = (
  allocatedIPs?: string,
  annotations: Record<string, string> = {},
  family: 4 | 6 = 4,
): PoolFacts => ({ name: "p1", family, annotations, allocatedIPs });

function facts(
  o: {
    claims?: Record<string, { podNamespace: string; podName: string; podUID: string }>;
    pods?: ImportPod[];
    endpoints?: Record<string, ImportEndpoint>;
  } = {},
): ImportFacts {
  const pods = o.pods ?? [];
  return {
    claimOf: a => o.claims?.[a],
    podByName: (ns, name) => pods.find(p => p.namespace === ns && p.name === name),
    podByUid: (ns, uid) => pods.find(p => p.namespace === ns && p.uid === uid),
    endpoint: (ns, name) => o.endpoints?.[`${ns}/${name}`],
  };
}

describe("parseAllocationRecords", () => {
  it("reads Spiderpool's records, canonical and sorted by address", () => {
    const r = parseAllocationRecords(
      records({
        "10.6.0.9": { pod: "a/x", podUid: "u1" },
        "10.6.0.10": { pod: "b/y", podUid: "u2" },
      }),
      4,
    );
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.map(x => [x.address, x.podNamespace, x.podName, x.podUID]),
      [
        ["10.6.0.9", "a", "x", "u1"],
        ["10.6.0.10", "b", "y", "u2"],
      ],
    );
  });

  it("canonicalises IPv6 keys", () => {
    const r = parseAllocationRecords(records({ "FD00:0:0::0005": { pod: "a/x", podUid: "u" } }), 6);
    assert.ok(r.ok);
    assert.equal(r.value[0]!.address, "fd00::5");
  });

  it("an absent or empty field is an empty ledger", () => {
    for (const t of [undefined, ""])
      assert.deepEqual(parseAllocationRecords(t, 4), { ok: true, value: [] });
  });

  const bad: [string, string, string][] = [
    ["not JSON", "{", "status.allocatedIPs"],
    ["an array", "[]", "status.allocatedIPs"],
    [
      "a key that is no address",
      records({ "10.6.0": { pod: "a/x", podUid: "u" } }),
      'status.allocatedIPs["10.6.0"]',
    ],
    [
      "an address of the other family",
      records({ "fd00::1": { pod: "a/x", podUid: "u" } }),
      'status.allocatedIPs["fd00::1"]',
    ],
    [
      "a pod without namespace",
      records({ "10.6.0.1": { pod: "x", podUid: "u" } }),
      'status.allocatedIPs["10.6.0.1"].pod',
    ],
    [
      "a pod with two slashes",
      records({ "10.6.0.1": { pod: "a/b/c", podUid: "u" } }),
      'status.allocatedIPs["10.6.0.1"].pod',
    ],
    [
      "no podUid",
      JSON.stringify({ "10.6.0.1": { pod: "a/x" } }),
      'status.allocatedIPs["10.6.0.1"].podUid',
    ],
    [
      "one address twice",
      '{"10.6.0.1":{"pod":"a/x","podUid":"u"},"10.6.0.01":{"pod":"a/y","podUid":"v"}}',
      'status.allocatedIPs["10.6.0.01"]',
    ],
  ];
  for (const [what, text, field] of bad) {
    it(`refuses the whole ledger for ${what}, naming the field`, () => {
      const r = parseAllocationRecords(text, 4);
      assert.ok(!r.ok, `accepted ${text}`);
      assert.equal(r.error[0]!.field, field);
    });
  }
});

describe("importState", () => {
  const two = records({
    "10.6.0.1": { pod: "a/x", podUid: "u1" },
    "10.6.0.2": { pod: "a/y", podUid: "u2" },
  });

  it("a marked pool is imported whatever its status says", () => {
    assert.deepEqual(
      importState(pool(two, { [IMPORTED_ANNOTATION]: "2" }), () => false),
      { state: "imported" },
    );
  });

  it("records no claim covers hold the pool back, counted in the reason", () => {
    const s = importState(pool(two), v => v === (10n << 24n) + (6n << 16n) + 1n);
    assert.equal(s.state, "awaiting_import");
    assert.match((s as { reason: string }).reason, /^1 of Spiderpool's allocation records/);
  });

  it("records all covered by claims, or none at all, leave nothing to import", () => {
    assert.deepEqual(
      importState(pool(two), () => true),
      { state: "nothing_to_import" },
    );
    assert.deepEqual(
      importState(pool(undefined), () => false),
      { state: "nothing_to_import" },
    );
  });

  it("an unreadable ledger holds the pool back and says why", () => {
    const s = importState(pool("{nonsense"), () => true);
    assert.equal(s.state, "awaiting_import");
    assert.match((s as { reason: string }).reason, /status\.allocatedIPs: .*not JSON/);
  });
});

describe("planImport", () => {
  const live: ImportPod = { namespace: "a", name: "x", uid: "u1", node: "n1", statefulSet: false };

  it("a live Pod's record becomes its claim, NIC and node from the endpoint and the Pod", () => {
    const ep: ImportEndpoint = {
      uid: "u1",
      node: "n0",
      ownerControllerType: "Deployment",
      ips: [{ interface: "net1", ipv4: "10.6.0.1/24" }],
    };
    const r = planImport(
      pool(records({ "10.6.0.1": { pod: "a/x", podUid: "u1" } })),
      facts({ pods: [live], endpoints: { "a/x": ep } }),
    );
    assert.ok(r.ok);
    assert.equal(r.plan.create.length, 1);
    const c = r.plan.create[0]!;
    assert.equal(c.holder, "live");
    assert.deepEqual(c.spec, {
      address: "10.6.0.1",
      ipVersion: 4,
      pool: "p1",
      podNamespace: "a",
      podName: "x",
      podUID: "u1",
      interface: "net1",
      node: "n1",
    });
    assert.equal(c.value, (10n << 24n) + (6n << 16n) + 1n);
  });

  it("without an endpoint the NIC is eth0; a StatefulSet Pod's claim is static", () => {
    const r = planImport(
      pool(records({ "10.6.0.1": { pod: "a/x", podUid: "u1" } })),
      facts({ pods: [{ ...live, statefulSet: true }] }),
    );
    assert.ok(r.ok);
    assert.equal(r.plan.create[0]!.spec.interface, "eth0");
    assert.equal(r.plan.create[0]!.spec.static, true);
  });

  it("an endpoint of another incarnation is not trusted", () => {
    const ep: ImportEndpoint = {
      uid: "old",
      node: "n9",
      ownerControllerType: "StatefulSet",
      ips: [{ interface: "net1", ipv4: "10.6.0.1/24" }],
    };
    const r = planImport(
      pool(records({ "10.6.0.1": { pod: "a/x", podUid: "u1" } })),
      facts({ pods: [live], endpoints: { "a/x": ep } }),
    );
    assert.ok(r.ok);
    assert.equal(r.plan.create[0]!.spec.interface, "eth0");
    assert.equal(r.plan.create[0]!.spec.static, undefined);
  });

  it("a gone Pod, or one re-created with another UID, still gets its claim (IP GC judges it)", () => {
    for (const pods of [[], [{ ...live, uid: "u-new" }]]) {
      const r = planImport(
        pool(records({ "10.6.0.1": { pod: "a/x", podUid: "u1" } })),
        facts({ pods }),
      );
      assert.ok(r.ok);
      assert.equal(r.plan.create.length, 1, "the record was dropped");
      assert.equal(r.plan.create[0]!.holder, "gone");
      assert.equal(r.plan.create[0]!.spec.podUID, "u1");
      assert.equal(r.plan.create[0]!.spec.podName, "x");
    }
  });

  it("a gone Pod's node comes from its endpoint", () => {
    const ep: ImportEndpoint = { uid: "u1", node: "n7", ownerControllerType: "Pod", ips: [] };
    const r = planImport(
      pool(records({ "10.6.0.1": { pod: "a/x", podUid: "u1" } })),
      facts({ endpoints: { "a/x": ep } }),
    );
    assert.ok(r.ok);
    assert.equal(r.plan.create[0]!.spec.node, "n7");
  });

  it("a KubeVirt record names the VMI: the claim goes to the Pod of that UID", () => {
    const launcher: ImportPod = {
      namespace: "a",
      name: "virt-launcher-vm1-abcde",
      uid: "u1",
      node: "n2",
      statefulSet: false,
    };
    const ep: ImportEndpoint = {
      uid: "u1",
      node: "n2",
      ownerControllerType: "VirtualMachineInstance",
      ips: [{ interface: "eth0", ipv4: "10.6.0.1/24" }],
    };
    const r = planImport(
      pool(records({ "10.6.0.1": { pod: "a/vm1", podUid: "u1" } })),
      facts({ pods: [launcher], endpoints: { "a/vm1": ep } }),
    );
    assert.ok(r.ok);
    assert.equal(r.plan.create[0]!.holder, "live_renamed");
    assert.equal(r.plan.create[0]!.spec.podName, "virt-launcher-vm1-abcde");
    assert.equal(r.plan.create[0]!.spec.node, "n2");
  });

  it("a record covered by the same Pod's claim is counted, another Pod's claim is a conflict", () => {
    const text = records({
      "10.6.0.1": { pod: "a/x", podUid: "u1" },
      "10.6.0.2": { pod: "a/y", podUid: "u2" },
      "10.6.0.3": { pod: "a/z", podUid: "u3" },
    });
    const r = planImport(
      pool(text),
      facts({
        pods: [live],
        claims: {
          "10.6.0.1": { podNamespace: "a", podName: "x", podUID: "u1" },
          "10.6.0.2": { podNamespace: "b", podName: "q", podUID: "u9" },
        },
      }),
    );
    assert.ok(r.ok);
    assert.equal(r.plan.records, 3);
    assert.equal(r.plan.covered, 1);
    assert.deepEqual(r.plan.conflicts, [
      { address: "10.6.0.2", recorded: "a/y (u2)", claimedBy: "b/q (u9)" },
    ]);
    assert.deepEqual(
      r.plan.create.map(c => c.spec.address),
      ["10.6.0.3"],
    );
  });

  it("a bad ledger is refused with nothing planned", () => {
    const r = planImport(pool(records({ "10.6.0.1": { pod: "x", podUid: "u1" } })), facts());
    assert.ok(!r.ok);
    assert.equal(r.errors[0]!.code, "invalid_allocation_record");
  });

  it("sameHolder needs UID, namespace and name", () => {
    const h = { podNamespace: "a", podName: "x", podUID: "u" };
    assert.ok(sameHolder(h, { ...h }));
    assert.ok(!sameHolder(h, { ...h, podUID: "v" }));
    assert.ok(!sameHolder(h, { ...h, podName: "y" }));
    assert.ok(!sameHolder(h, { ...h, podNamespace: "b" }));
  });
});
