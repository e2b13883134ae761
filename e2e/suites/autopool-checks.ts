/**
 * Checks shared by the auto-pool suites: reading auto pools by their owner labels, and the
 * subnet accounting invariants (records disjoint, each auto pool equal to its record, counts
 * exact), computed here from what the API server stores, independently of the controllers.
 */
import fs from "node:fs";
import path from "node:path";
import type { ApiClient, KubeList, Stored } from "../../lib/k8s/api-client.js";
import { IntervalSet } from "../../lib/core/net/interval-set.js";
import { parseCidr } from "../../lib/core/net/cidr.js";
import type { IPClaim } from "../../lib/schemas/ip-claim.js";
import type { SpiderIPPool } from "../../lib/schemas/ippool.js";
import type { SpiderSubnet } from "../../lib/schemas/subnet.js";
import { repoRoot } from "../cluster/paths.js";
import { apply } from "../support/kube.js";

export const SP = "/apis/spiderpool.spidernet.io/v2beta1";
export type Pool = Stored<SpiderIPPool>;
export type Subnet = Stored<SpiderSubnet>;

/** `kubectl apply` of docs/examples/autopool/<file>, so the documented examples are what is tested. */
export function applyExample(file: string): string {
  return apply(fs.readFileSync(path.join(repoRoot, "docs/examples/autopool", file), "utf8"));
}

export function exampleText(file: string): string {
  return fs.readFileSync(path.join(repoRoot, "docs/examples/autopool", file), "utf8");
}

export async function listPools(api: ApiClient, labelSelector?: string): Promise<Pool[]> {
  return (await api.get<KubeList<Pool>>(`${SP}/spiderippools`, { labelSelector })).items;
}

/** The auto pools whose owner labels name this workload (any UID). */
export function autoPoolsOf(
  api: ApiClient,
  kind: string,
  namespace: string,
  name: string,
): Promise<Pool[]> {
  return listPools(
    api,
    `ipam.spidernet.io/owner-application-kind=${kind},ipam.spidernet.io/owner-application-namespace=${namespace},ipam.spidernet.io/owner-application-name=${name}`,
  );
}

export async function getSubnet(api: ApiClient, name: string): Promise<Subnet> {
  return api.get<Subnet>(`${SP}/spidersubnets/${name}`);
}

export function rangesOf(texts: readonly string[] | undefined, family: 4 | 6 = 4): IntervalSet {
  const r = IntervalSet.fromRanges(texts ?? [], family);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** Addresses of a pool's `ips` as strings (pools in these suites are small). */
export function poolAddresses(pool: Pool): string[] {
  return rangesOf(pool.spec.ips, (pool.spec.ipVersion ?? 4) as 4 | 6).toAddressStrings();
}

export async function claimsOfPool(api: ApiClient, pool: string): Promise<Stored<IPClaim>[]> {
  const l = await api.get<KubeList<Stored<IPClaim>>>(
    "/apis/ipam.pepr-spiderpool.io/v1alpha1/ipclaims",
    { labelSelector: `ipam.pepr-spiderpool.io/pool=${pool}` },
  );
  return l.items;
}

/**
 * Every problem with a subnet's accounting, empty when it is exact:
 * - no two records share an address; every record lies inside the subnet;
 * - every live auto pool of the subnet has a record equal to its `spec.ips`;
 * - `allocatedIPCount` is the number of recorded addresses, `totalIPCount` the subnet size.
 */
export async function subnetProblems(api: ApiClient, name: string): Promise<string[]> {
  const subnet = await getSubnet(api, name);
  const family = (subnet.spec.ipVersion ?? 4) as 4 | 6;
  const cidr = parseCidr(subnet.spec.subnet, family);
  if (!cidr.ok) return [`subnet ${name}: bad CIDR`];
  const usable = rangesOf(subnet.spec.ips, family).subtract(
    rangesOf(subnet.spec.excludeIPs, family),
  );
  const records = JSON.parse(subnet.status?.controlledIPPools ?? "{}") as Record<
    string,
    { ips: string[]; application?: string }
  >;
  const problems: string[] = [];
  let seen = IntervalSet.empty(family);
  let count = 0n;
  for (const [pool, rec] of Object.entries(records)) {
    const set = rangesOf(rec.ips, family);
    if (set.overlaps(seen))
      problems.push(
        `record of ${pool} shares addresses with another record: ${set.intersect(seen).toRangeStrings().join(",")}`,
      );
    if (!set.isSubsetOf(usable)) problems.push(`record of ${pool} lies outside the subnet`);
    seen = seen.union(set);
    count += set.size();
  }
  const pools = (await listPools(api, `ipam.spidernet.io/owner-spider-subnet=${name}`)).filter(
    p => !p.metadata.deletionTimestamp,
  );
  for (const p of pools) {
    if (!p.metadata.labels?.["ipam.spidernet.io/owner-application-name"]) continue;
    const rec = records[p.metadata.name];
    if (!rec) problems.push(`auto pool ${p.metadata.name} has no record`);
    else if (!rangesOf(rec.ips, family).equals(rangesOf(p.spec.ips, family)))
      problems.push(
        `auto pool ${p.metadata.name} ips ${p.spec.ips?.join(",")} != record ${rec.ips.join(",")}`,
      );
  }
  if ((subnet.status?.allocatedIPCount ?? 0) !== Number(count))
    problems.push(`allocatedIPCount ${subnet.status?.allocatedIPCount} != ${count} recorded`);
  if (subnet.status?.totalIPCount !== Number(usable.size()))
    problems.push(`totalIPCount ${subnet.status?.totalIPCount} != ${usable.size()}`);
  return problems;
}

/** Deletes a namespace and waits until it is really gone, so the next suite can create it again. */
export async function deleteNamespaceAndWait(
  api: ApiClient,
  name: string,
  timeoutMs = 120_000,
): Promise<void> {
  await api.delete(`/api/v1/namespaces/${name}`).catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const gone = await api.get(`/api/v1/namespaces/${name}`).then(
      () => false,
      () => true,
    );
    if (gone) return;
    await new Promise(r => setTimeout(r, 250));
  }
}
