import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { ApiClient } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIM_LABELS } from "../../lib/schemas/ip-claim.js";
import { adminClient } from "../cluster/cluster.js";
import { ipAsync } from "../cluster/netns.js";
import {
  assertLedgerAgreesAll,
  bare,
  claimsOf,
  deleteNamespaceAndWait,
  deletePools,
} from "../support/allocation-ledger.js";
import { exampleObjects, exampleText } from "../support/examples.js";
import { apply, waitRunning } from "../support/kube.js";
import { sandboxOf } from "../support/sandboxes.js";
import { waitFor } from "../support/wait-for.js";

const run = promisify(execFile);

/**
 * Dual stack and IPv6 only (Spiderpool E00009, docs/reference/allocation.md#dual-stack) with docs/examples/allocation/dual-stack.yaml:
 * a NIC gets one address per family named, from single-family pools, both configured by the
 * real macvlan plugin and recorded in canonical form everywhere.
 */
describe("allocation: dual-stack and IPv6-only Pods", function () {
  const EXAMPLE = "allocation/dual-stack.yaml";
  const ns = "alloc-dual";
  const pools = exampleObjects(EXAMPLE)
    .filter(o => o.kind === "SpiderIPPool")
    .map(o => o.metadata.name);
  let api: ApiClient;
  let dual: Pod[] = [];
  let v6only: Pod[] = [];

  before(() => {
    api = adminClient();
    apply(exampleText(EXAMPLE));
  });
  after(async () => {
    await deleteNamespaceAndWait(api, ns).catch(() => undefined);
    await deletePools(api, pools).catch(() => undefined);
    api.close();
  });

  it("gives each dual-stack Pod one IPv4 and one IPv6 address on eth0", async () => {
    dual = await waitRunning(api, ns, "app=dual", 3);
    const seen = await assertLedgerAgreesAll(api, dual);
    for (const p of dual) {
      const eth0 = seen[p.metadata.name]!.eth0!;
      assert.equal(eth0.length, 2, `${p.metadata.name}: ${eth0}`);
      assert.ok(
        eth0.some(a => /^10\.125\.0\.\d+\/24$/.test(a)),
        `${p.metadata.name}: no IPv4 from dual-v4 in ${eth0}`,
      );
      assert.ok(
        eth0.some(a => /^fd00:120:125::[0-9a-f]+\/64$/.test(a)),
        `${p.metadata.name}: no IPv6 from dual-v6 in ${eth0}`,
      );
      assert.deepEqual(
        p.status?.podIPs?.map(x => x.ip).sort(),
        eth0.map(bare).sort(),
        `${p.metadata.name}: Pod status IPs`,
      );
      const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`);
      assert.deepEqual(claims.map(c => `${c.spec.ipVersion}:${c.spec.pool}`).sort(), [
        "4:dual-v4",
        "6:dual-v6",
      ]);
    }
  });

  it("sets both default routes via the pools' gateways", async () => {
    for (const p of dual) {
      const netns = sandboxOf(p.spec.nodeName!, p.metadata.uid!)!.netns;
      const v4 = JSON.parse(await ipAsync("-j", "-4", "-n", netns, "route", "show", "default")) as {
        gateway: string;
      }[];
      const v6 = JSON.parse(await ipAsync("-j", "-6", "-n", netns, "route", "show", "default")) as {
        gateway: string;
      }[];
      assert.deepEqual(
        v4.map(r => r.gateway),
        ["10.125.0.1"],
      );
      assert.deepEqual(
        v6.map(r => r.gateway),
        ["fd00:120:125::1"],
      );
    }
  });

  it("lets dual-stack Pods reach each other over IPv6 once duplicate address detection is done", async () => {
    const [a, b] = dual;
    const from = sandboxOf(a!.spec.nodeName!, a!.metadata.uid!)!.netns;
    const to = b!.status!.podIPs!.map(x => x.ip).find(ip => ip.includes(":"))!;
    // The kernel keeps a new IPv6 address tentative for about a second (DAD), as on a real node.
    await waitFor(
      `ping -6 ${to}`,
      () =>
        run("ip", ["netns", "exec", from, "ping", "-6", "-c", "1", "-W", "1", to]).then(
          r => / 0% packet loss/.test(r.stdout),
          () => false,
        ),
      20_000,
      500,
    );
  });

  it("gives IPv6-only Pods exactly one global IPv6 address and no IPv4", async () => {
    v6only = await waitRunning(api, ns, "app=v6-only", 2);
    const seen = await assertLedgerAgreesAll(api, v6only);
    for (const p of v6only) {
      const eth0 = seen[p.metadata.name]!.eth0!;
      assert.equal(eth0.length, 1, `${p.metadata.name}: ${eth0}`);
      assert.match(eth0[0]!, /^fd00:120:126::[0-9a-f]+\/64$/);
      const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${p.metadata.uid}`);
      assert.deepEqual(
        claims.map(c => `${c.spec.ipVersion}:${c.spec.pool}`),
        ["6:only-v6"],
      );
    }
  });
});
