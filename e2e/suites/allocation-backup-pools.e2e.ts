import assert from "node:assert/strict";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { adminClient } from "../cluster/cluster.js";
import {
  POOLS_PATH,
  assertLedgerAgreesAll,
  claimsOf,
  deleteNamespaceAndWait,
  deletePools,
} from "../support/allocation-ledger.js";
import { exampleObjects, exampleText } from "../support/examples.js";
import { apply, waitRunning } from "../support/kube.js";
import { waitFor } from "../support/wait-for.js";

const RESERVED = "/apis/spiderpool.spidernet.io/v2beta1/spiderreservedips";

/**
 * Backup pools, excludeIPs and SpiderReservedIPs (Spiderpool E00008, S00001; docs/usage/backup-pools.md, docs/usage/reserved-ip.md) with
 * docs/examples/allocation/backup-pools.yaml: the primary pool serves until it has no address
 * left, then the backup does; excluded and reserved addresses are never handed out, and become
 * allocatable as soon as they are released from those lists.
 */
describe("allocation: backup pools, excludeIPs and reserved IPs", function () {
  const EXAMPLE = "allocation/backup-pools.yaml";
  const ns = "alloc-backup";
  const objects = exampleObjects(EXAMPLE);
  const pools = objects.filter(o => o.kind === "SpiderIPPool").map(o => o.metadata.name);
  const reserved = objects.filter(o => o.kind === "SpiderReservedIP").map(o => o.metadata.name);
  let api: ApiClient;

  before(() => {
    api = adminClient();
    apply(exampleText(EXAMPLE));
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await deletePools(api, pools).catch(() => undefined);
    for (const r of reserved) await api.delete(`${RESERVED}/${r}`).catch(() => undefined);
    api.close();
  });

  const byPool = async (pods: Pod[]) => {
    const out: Record<string, string[]> = {};
    for (const p of pods)
      for (const c of await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`))
        (out[c.spec.pool] ??= []).push(c.spec.address);
    for (const k of Object.keys(out)) out[k]!.sort();
    return out;
  };

  const scale = async (replicas: number) => {
    await api.patch(`/apis/apps/v1/namespaces/${ns}/deployments/with-backup`, {
      spec: { replicas },
    });
    return waitRunning(api, ns, "app=with-backup", replicas);
  };

  it("fills the primary pool's usable addresses first, then the backup pool", async () => {
    const pods = await waitRunning(api, ns, "app=with-backup", 4);
    const got = await byPool(pods);
    assert.deepEqual(
      got["primary-v4"],
      ["10.126.1.10", "10.126.1.13"],
      "the primary's only usable addresses: .11 excluded, .12 reserved",
    );
    assert.equal(got["backup-v4"]?.length, 2, `backup: ${got["backup-v4"]}`);
    await assertLedgerAgreesAll(api, pods);
  });

  it("hands out a reserved address once its SpiderReservedIP is deleted", async () => {
    for (const r of reserved) await api.delete(`${RESERVED}/${r}`);
    await waitFor("reserved IP gone", () =>
      api.get(`${RESERVED}/${reserved[0]}`).then(
        () => false,
        () => true,
      ),
    );
    const pods = await scale(5);
    assert.deepEqual((await byPool(pods))["primary-v4"], [
      "10.126.1.10",
      "10.126.1.12",
      "10.126.1.13",
    ]);
  });

  it("hands out an excluded address once it is removed from excludeIPs", async () => {
    await api.patch(`${POOLS_PATH}/primary-v4`, { spec: { excludeIPs: [] } });
    const pods = await scale(6);
    const got = await byPool(pods);
    assert.deepEqual(got["primary-v4"], [
      "10.126.1.10",
      "10.126.1.11",
      "10.126.1.12",
      "10.126.1.13",
    ]);
    assert.equal(
      got["backup-v4"]?.length,
      2,
      "the backup pool is not touched while the primary has addresses",
    );
    await assertLedgerAgreesAll(api, pods);
  });
});
