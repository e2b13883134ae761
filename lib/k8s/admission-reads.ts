import type { KubeApi, KubeList, Stored } from "./api-client.js";
import { CLAIMS_PATH } from "./claim-store.js";
import { K8sError } from "./k8s-error.js";
import { type IPClaim } from "../schemas/ip-claim.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { SpiderSubnet } from "../schemas/subnet.js";
import { CLAIM_LABELS, SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

const SP = `/apis/${SPIDERPOOL_API_VERSION}`;

/**
 * What admission (and the CLI) reads from the API server, directly: every call is a request. The
 * admission process serves the reads of all pools and subnets from its watch-fed caches instead
 * (CachedAdmissionReads, docs/adr/0010-admission-cache.md) and keeps this reader to confirm a
 * refusal against what is stored.
 */
export class AdmissionReads {
  /**
   * The direct reader a refusal is confirmed with when these reads come from a cache
   * (lib/k8s/admission-cache.ts); undefined here, where every read is direct.
   */
  readonly uncached?: AdmissionReads;
  readonly #poolSpecs = new SpecReuse();
  readonly #subnetSpecs = new SpecReuse();

  constructor(private readonly api: KubeApi) {}

  async pools(): Promise<Stored<SpiderIPPool>[]> {
    return this.#poolSpecs.reuse(
      (await this.api.get<KubeList<Stored<SpiderIPPool>>>(`${SP}/spiderippools`)).items,
    );
  }

  async subnets(): Promise<Stored<SpiderSubnet>[]> {
    return this.#subnetSpecs.reuse(
      (await this.api.get<KubeList<Stored<SpiderSubnet>>>(`${SP}/spidersubnets`)).items,
    );
  }

  async subnet(name: string): Promise<Stored<SpiderSubnet> | undefined> {
    try {
      return await this.api.get<Stored<SpiderSubnet>>(`${SP}/spidersubnets/${name}`);
    } catch (e) {
      if (e instanceof K8sError && e.code === "not_found") return undefined;
      throw e;
    }
  }

  /** Addresses of a pool held by Pods, from the claims (the allocation records). */
  async inUse(pool: string): Promise<{ address: string; pod: string }[]> {
    const selector = pool.length <= 63 ? `${CLAIM_LABELS.pool}=${pool}` : undefined;
    const l = await this.api.get<KubeList<Stored<IPClaim>>>(CLAIMS_PATH, {
      labelSelector: selector,
    });
    return l.items
      .filter(c => c.spec.pool === pool)
      .map(c => ({ address: c.spec.address, pod: `${c.spec.podNamespace}/${c.spec.podName}` }));
  }
}

/**
 * Hands out the spec object of the previous LIST for every object whose spec did not change
 * (same uid and generation: the API server bumps a custom resource's generation on every spec
 * change, and never on status writes). lib/core remembers what it parsed of a peer per spec
 * object, so a request only parses the pools that changed since the last one: with a thousand
 * pools of many ranges that parsing, not the rules, was the cost of a request. Only the last
 * LIST is kept, so memory follows the cluster's pools.
 */
class SpecReuse {
  #last = new Map<string, { generation: number; spec: unknown }>();

  reuse<T extends { metadata: { uid?: string; generation?: number }; spec: unknown }>(
    items: T[],
  ): T[] {
    const next = new Map<string, { generation: number; spec: unknown }>();
    for (const item of items) {
      const { uid, generation } = item.metadata;
      if (uid === undefined || generation === undefined) continue;
      const before = this.#last.get(uid);
      if (before?.generation === generation) item.spec = before.spec as T["spec"];
      next.set(uid, { generation, spec: item.spec });
    }
    this.#last = next;
    return items;
  }
}
