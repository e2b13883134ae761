import assert from "node:assert/strict";
import type { ApiClient, Stored } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIMS_PATH, createClaim, repointClaim } from "../../lib/k8s/claim-store.js";
import { parseAddress } from "../../lib/core/net/address.js";
import { CLAIM_API_VERSION, type ClaimSpec, type IPClaim } from "../../lib/schemas/ip-claim.js";
import { adminClient } from "../cluster/cluster.js";
import { createNamespace, deleteNamespace } from "../support/kube.js";
import { refusalOf } from "../support/refusals.js";

const NAME_RULE = "metadata.name must be derived from spec.address";
const FAMILY_RULE = "spec.address must be an IP address of the family spec.ipVersion";

/**
 * The IPClaim CRD's validation rules (lib/schemas/ip-claim.ts), enforced by the real API server
 * for every writer: a claim is named after its address, and its spec stays as created except
 * the re-pointing of a StatefulSet claim (docs/security.md). The claims name two Pending Pods
 * (they can never be scheduled), so IP GC has no reason to release them during the test.
 * Addresses: 198.51.100.0/24 and 2001:db8:14::/48 (documentation ranges, never in a pool).
 */
describe("ipclaim CRD: names follow addresses, spec is immutable but for re-pointing", function () {
  const ns = `ipclaim-crd-${Date.now().toString(36)}`;
  let api: ApiClient;
  let pods: Stored<Pod>[] = [];
  const created: string[] = [];

  const spec = (address: string, ipVersion: 4 | 6, pod = pods[0]!): ClaimSpec => ({
    address,
    ipVersion,
    pool: "ipclaim-crd-pool",
    podNamespace: ns,
    podName: pod.metadata.name!,
    podUID: pod.metadata.uid!,
    interface: "eth0",
    node: "node-1",
    containerID: "c-1",
  });
  const valueOf = (text: string) => {
    const a = parseAddress(text);
    assert.ok(a.ok, text);
    return a.value.value;
  };
  const create = async (s: ClaimSpec) => {
    const c = await createClaim(api, s, valueOf(s.address));
    assert.notEqual(c, "taken", `${s.address} was already claimed`);
    const claim = c as Stored<IPClaim>;
    created.push(claim.metadata.name);
    return claim;
  };
  const raw = (name: string, s: ClaimSpec) =>
    api.create(CLAIMS_PATH, {
      apiVersion: CLAIM_API_VERSION,
      kind: "IPClaim",
      metadata: { name },
      spec: s,
    });

  before(async () => {
    api = adminClient();
    await createNamespace(api, ns);
    for (const name of ["holder-a", "holder-b"]) {
      pods.push(
        await api.create<Stored<Pod>>(`/api/v1/namespaces/${ns}/pods`, {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name },
          spec: {
            nodeSelector: { "ipclaim-crd.test/never": "true" },
            containers: [{ name: "c", image: "registry.invalid/pause" }],
          },
        }),
      );
    }
  });
  after(async () => {
    for (const name of created) await api.delete(`${CLAIMS_PATH}/${name}`).catch(() => undefined);
    await deleteNamespace(api, ns);
    api.close();
  });

  it("accepts claims named after their address, IPv4 and IPv6", async () => {
    const v4 = await create(spec("198.51.100.7", 4));
    assert.equal(v4.metadata.name, "198.51.100.7");
    for (const [address, name] of [
      ["2001:db8:14::7", "v6-20010db8001400000000000000000007"],
      ["2001:db8:14:0:1::9", "v6-20010db8001400000001000000000009"],
      ["2001:db8:14:1:2:3:4:5", "v6-20010db8001400010002000300040005"],
      ["2001:db8:14::", "v6-20010db8001400000000000000000000"],
    ] as const) {
      const v6 = await create(spec(address, 6));
      assert.equal(v6.metadata.name, name);
    }
  });

  it("refuses a claim whose name is another address, with the rule's message", async () => {
    for (const [name, s] of [
      ["198.51.100.9", spec("198.51.100.8", 4)],
      ["v6-2001db8", spec("2001:db8:14::8", 6)],
      ["2001.db8.14.8", spec("2001:db8:14::8", 6)],
      ["anything", spec("198.51.100.8", 4)],
    ] as const) {
      const r = await refusalOf(raw(name, s));
      assert.equal(r.status, 422, r.message);
      assert.ok(
        r.message.includes(NAME_RULE),
        `${name} for ${s.address}/${s.ipVersion}: ${r.message}`,
      );
    }
    for (const [name, s] of [
      ["v6-20010db8001400000000000000000008", spec("2001:db8:14::8", 4)],
      ["198.51.100.8", spec("198.51.100.8", 6)],
      ["not-an-address", spec("not-an-address", 4)],
    ] as const) {
      const r = await refusalOf(raw(name, s));
      assert.equal(r.status, 422, r.message);
      assert.ok(
        r.message.includes(FAMILY_RULE),
        `${name} for ${s.address}/${s.ipVersion}: ${r.message}`,
      );
    }
    const left = await refusalOf(api.get(`${CLAIMS_PATH}/198.51.100.9`));
    assert.equal(left.status, 404, "nothing was stored");
  });

  it("refuses changing the address, the pool or the Pod of a claim", async () => {
    const claim = await create(spec("198.51.100.10", 4));
    for (const [field, value] of [
      ["address", "198.51.100.11"],
      ["pool", "another-pool"],
      ["podName", "someone-else"],
      ["podNamespace", "elsewhere"],
      ["interface", "net1"],
      ["network", "added-later"],
    ] as const) {
      const r = await refusalOf(
        api.patch(`${CLAIMS_PATH}/${claim.metadata.name}`, { spec: { [field]: value } }, "merge"),
      );
      assert.equal(r.status, 422, r.message);
      assert.ok(r.message.includes(`spec.${field} is immutable`), `${field}: ${r.message}`);
    }
    const now = await api.get<Stored<IPClaim>>(`${CLAIMS_PATH}/${claim.metadata.name}`);
    assert.deepEqual(now.spec, claim.spec, "the stored claim is unchanged");
  });

  it("accepts the StatefulSet re-pointing: new Pod UID, node and container", async () => {
    const claim = await create(spec("198.51.100.12", 4));
    const moved = await repointClaim(api, claim, {
      podUID: pods[1]!.metadata.uid!,
      node: "node-2",
      containerID: "c-2",
    });
    assert.deepEqual(
      {
        podUID: moved.spec.podUID,
        node: moved.spec.node,
        containerID: moved.spec.containerID,
        address: moved.spec.address,
        pool: moved.spec.pool,
      },
      {
        podUID: pods[1]!.metadata.uid,
        node: "node-2",
        containerID: "c-2",
        address: "198.51.100.12",
        pool: "ipclaim-crd-pool",
      },
    );
  });
});
