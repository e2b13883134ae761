import assert from "node:assert/strict";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import type { Pod } from "../../lib/k8s/core-kinds.js";
import { CLAIMS_PATH } from "../../lib/k8s/claim-store.js";
import { endpointPath, FINALIZER } from "../../lib/k8s/endpoint-store.js";
import { CLAIM_LABELS, type IPClaim } from "../../lib/schemas/ip-claim.js";
import type { SpiderEndpoint } from "../../lib/schemas/endpoint.js";
import type { SpiderIPPool } from "../../lib/schemas/ippool.js";
import { addressesIn } from "../cluster/netns.js";
import { sandboxOf } from "./sandboxes.js";
import { waitFor } from "./wait-for.js";

export const POOLS_PATH = "/apis/spiderpool.spidernet.io/v2beta1/spiderippools";

/** Addresses (with prefix length) per NIC, as configured inside a Pod's network namespace. */
export type NicAddresses = Record<string, string[]>;

/** What the kernel shows on every NIC the node attached to the Pod (global scope only). */
export async function addressesInPod(pod: Pod): Promise<NicAddresses> {
  const sb = sandboxOf(pod.spec.nodeName!, pod.metadata.uid!);
  assert.ok(
    sb,
    `${pod.metadata.namespace}/${pod.metadata.name}: no sandbox on ${pod.spec.nodeName}`,
  );
  const out: NicAddresses = {};
  for (const a of sb.attachments) out[a.ifname] = (await addressesIn(sb.netns, a.ifname)).sort();
  return out;
}

export function bare(address: string): string {
  return address.split("/")[0] ?? "";
}

export async function claimsOf(api: ApiClient, selector: string): Promise<Stored<IPClaim>[]> {
  return (await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, { labelSelector: selector })).items;
}

export async function endpointOf(api: ApiClient, pod: Pod): Promise<Stored<SpiderEndpoint>> {
  return api.get<Stored<SpiderEndpoint>>(endpointPath(pod.metadata.namespace!, pod.metadata.name));
}

export async function poolOf(api: ApiClient, name: string): Promise<Stored<SpiderIPPool>> {
  return api.get<Stored<SpiderIPPool>>(`${POOLS_PATH}/${name}`);
}

/**
 * The four records of a running Pod's addresses agree: the kernel (inside the Pod's netns), its
 * SpiderEndpoint, its IPClaims and the pool status the watcher projects (waited for, since the
 * watcher writes it after the fact). Returns what the kernel shows, per NIC.
 */
export async function assertLedgerAgrees(api: ApiClient, pod: Pod): Promise<NicAddresses> {
  const who = `${pod.metadata.namespace}/${pod.metadata.name}`;
  const uid = pod.metadata.uid!;
  const inside = await addressesInPod(pod);

  const ep = await endpointOf(api, pod);
  const cur = ep.status?.current;
  assert.ok(cur, `${who}: SpiderEndpoint has no status`);
  assert.equal(cur.uid, uid, `${who}: SpiderEndpoint records another Pod UID`);
  assert.equal(cur.node, pod.spec.nodeName, `${who}: SpiderEndpoint records another node`);
  const recorded: NicAddresses = {};
  const poolOfAddress = new Map<string, string | undefined>();
  for (const d of cur.ips) {
    recorded[d.interface] = [d.ipv4, d.ipv6].filter((a): a is string => !!a).sort();
    if (d.ipv4) poolOfAddress.set(bare(d.ipv4), d.ipv4Pool);
    if (d.ipv6) poolOfAddress.set(bare(d.ipv6), d.ipv6Pool);
  }
  assert.deepEqual(
    recorded,
    inside,
    `${who}: SpiderEndpoint disagrees with the Pod's network namespace`,
  );

  const claims = await claimsOf(api, `${CLAIM_LABELS.podUid}=${uid}`);
  const claimed: NicAddresses = {};
  for (const c of claims) {
    (claimed[c.spec.interface] ??= []).push(c.spec.address);
    assert.equal(
      c.spec.pool,
      poolOfAddress.get(c.spec.address),
      `${who}: claim ${c.metadata.name} names pool ${c.spec.pool}, the endpoint another`,
    );
    assert.equal(
      `${c.spec.podNamespace}/${c.spec.podName}`,
      who,
      `${who}: claim ${c.metadata.name} names another Pod`,
    );
    assert.equal(
      c.spec.node,
      pod.spec.nodeName,
      `${who}: claim ${c.metadata.name} names another node`,
    );
  }
  for (const k of Object.keys(claimed)) claimed[k]!.sort();
  const insideBare = Object.fromEntries(
    Object.entries(inside).map(([nic, a]) => [nic, a.map(bare).sort()]),
  );
  assert.deepEqual(
    claimed,
    insideBare,
    `${who}: IPClaims disagree with the Pod's network namespace`,
  );

  for (const pool of new Set(claims.map(c => c.spec.pool))) {
    let last: unknown;
    await waitFor(
      `pool ${pool} status to record ${who}`,
      async () => {
        const p = await poolOf(api, pool);
        const held = await claimsOf(api, `${CLAIM_LABELS.pool}=${pool}`);
        const view = JSON.parse(p.status?.allocatedIPs ?? "{}") as Record<
          string,
          { pod: string; podUid: string }
        >;
        last = {
          allocatedIPCount: p.status?.allocatedIPCount,
          claims: held.map(c => c.spec.address),
          view,
        };
        return (
          p.status?.allocatedIPCount === held.length &&
          Object.keys(view).sort().join() ===
            held
              .map(c => c.spec.address)
              .sort()
              .join() &&
          claims
            .filter(c => c.spec.pool === pool)
            .every(c => view[c.spec.address]?.pod === who && view[c.spec.address]?.podUid === uid)
        );
      },
      30_000,
    ).catch(() =>
      assert.fail(
        `pool ${pool} status never agreed with its claims and ${who}: ${JSON.stringify(last)}`,
      ),
    );
  }
  return inside;
}

/** {@link assertLedgerAgrees} for every Pod, then {@link assertNoDuplicates}; the kernel view per Pod name. */
export async function assertLedgerAgreesAll(
  api: ApiClient,
  pods: Pod[],
): Promise<Record<string, NicAddresses>> {
  const out: Record<string, NicAddresses> = {};
  for (const p of pods) out[p.metadata.name] = await assertLedgerAgrees(api, p);
  await assertNoDuplicates(api);
  return out;
}

/**
 * No address is held twice anywhere in the cluster: not by two claims, not in two
 * SpiderEndpoints, not by two running Pods.
 */
export async function assertNoDuplicates(api: ApiClient): Promise<void> {
  const seen = (what: string, values: string[]) => {
    const dup = values.filter((v, i) => values.indexOf(v) !== i);
    assert.deepEqual(dup, [], `addresses held twice by ${what}: ${[...new Set(dup)].join(" ")}`);
  };
  const claims = (await api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH)).items;
  seen(
    "IPClaims",
    claims.map(c => c.spec.address),
  );
  const allPods = (await api.get<KubeList<Pod>>("/api/v1/pods")).items;
  const podUids = new Set(allPods.map(p => p.metadata.uid));
  // A released endpoint (finalizer dropped) of a Pod incarnation that no longer exists holds
  // nothing: it only waits for the garbage collector to follow its owner reference.
  const eps = (
    await api.get<KubeList<Stored<SpiderEndpoint>>>(
      "/apis/spiderpool.spidernet.io/v2beta1/spiderendpoints",
    )
  ).items.filter(
    e => (e.metadata.finalizers ?? []).includes(FINALIZER) || podUids.has(e.status?.current.uid),
  );
  seen(
    "SpiderEndpoints",
    eps.flatMap(e =>
      (e.status?.current.ips ?? []).flatMap(d =>
        [d.ipv4, d.ipv6].filter((a): a is string => !!a).map(bare),
      ),
    ),
  );
  const pods = allPods.filter(p => !p.spec.hostNetwork && p.status?.phase === "Running");
  seen(
    "running Pods",
    pods.flatMap(p => (p.status?.podIPs ?? []).map(x => x.ip)),
  );
}

/** Deletes pools and waits until they are really gone (their finalizer waits for the claims). */
export async function deletePools(
  api: ApiClient,
  names: string[],
  timeoutMs = 120_000,
): Promise<void> {
  for (const n of names) await api.delete(`${POOLS_PATH}/${n}`).catch(() => undefined);
  await waitFor(
    `pools ${names.join(", ")} gone`,
    async () => {
      const left: string[] = [];
      for (const n of names) {
        const gone = await api.get(`${POOLS_PATH}/${n}`).then(
          () => false,
          (e: { code?: string }) => e.code === "not_found",
        );
        if (!gone) left.push(n);
      }
      return left.length === 0;
    },
    timeoutMs,
  );
}

/** Deletes a namespace and waits until it is gone (its Pods released their addresses). */
export async function deleteNamespaceAndWait(
  api: ApiClient,
  name: string,
  timeoutMs = 180_000,
): Promise<void> {
  await api.delete(`/api/v1/namespaces/${name}`).catch(() => undefined);
  await waitFor(
    `namespace ${name} gone`,
    () =>
      api.get(`/api/v1/namespaces/${name}`).then(
        () => false,
        (e: { code?: string }) => e.code === "not_found",
      ),
    timeoutMs,
    500,
  );
}
