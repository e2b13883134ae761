import type { KubeApi, KubeList, Stored } from "../k8s/api-client.js";
import { createClaim, readClaim } from "../k8s/claim-store.js";
import type { Pod } from "../k8s/core-kinds.js";
import { recordEvent } from "../k8s/events.js";
import type { Informer } from "../k8s/informer.js";
import { K8sError } from "../k8s/k8s-error.js";
import {
  describeRecordErrors,
  planImport,
  poolFactsOf,
  sameHolder,
  type ImportConflict,
  type ImportEndpoint,
  type ImportPod,
} from "../core/lifecycle/allocation-import.js";
import { parseAllocationRecords } from "../core/lifecycle/allocation-records.js";
import { claimName, type IPClaim } from "../schemas/ip-claim.js";
import type { SpiderEndpoint } from "../schemas/endpoint.js";
import type { SpiderIPPool } from "../schemas/ippool.js";
import type { Logger } from "../logger.js";
import type { WatcherMetrics } from "./metrics.js";
import { WorkQueue } from "./work-queue.js";
import { IMPORTED_ANNOTATION, SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

const POOLS = `/apis/${SPIDERPOOL_API_VERSION}/spiderippools`;
const ENDPOINTS = (ns: string) =>
  `/apis/${SPIDERPOOL_API_VERSION}/namespaces/${ns}/spiderendpoints`;

type Pool = Stored<SpiderIPPool>;
type Claim = Stored<IPClaim>;

/**
 * Imports the allocations a live Spiderpool recorded in pools' `status.allocatedIPs` as claims,
 * once per pool, then marks the pool (IMPORTED_ANNOTATION). Agents do not allocate from a pool
 * with records no claim covers until it is marked, and the pool-status projection does not
 * overwrite an unmarked pool's status (docs/usage/migrate-from-spiderpool.md). Every pool passes
 * here once; one that holds no records is only marked. Safe to crash at any point: claims have
 * the address's name, so a second run meets its own (409, same Pod) and counts them as covered.
 */
export class AllocationImportController {
  readonly #queue: WorkQueue;
  /** resourceVersion of a pool whose refusal was already reported, so a resync does not repeat it. */
  readonly #reported = new Map<string, string>();

  constructor(
    private readonly api: KubeApi,
    private readonly pools: Informer<Pool>,
    private readonly claims: Informer<Claim>,
    private readonly log: Logger,
    private readonly metrics?: WatcherMetrics,
  ) {
    this.#queue = new WorkQueue(name => this.#reconcile(name), {
      delayMs: 100,
      onError: (key, e, n) =>
        log.warn("import of Spiderpool's allocation records failed; retrying", {
          pool: key,
          attempt: n,
          err: e,
        }),
    });
    pools.on(ev => {
      if (
        ev.type !== "deleted" &&
        ev.object.metadata.annotations?.[IMPORTED_ANNOTATION] === undefined
      )
        this.#queue.add(ev.object.metadata.name);
    });
  }

  /** Looks again at every pool not yet marked (a refused one may have been repaired by hand). */
  resyncAll(): void {
    for (const p of this.pools.list())
      if (p.metadata.annotations?.[IMPORTED_ANNOTATION] === undefined)
        this.#queue.add(p.metadata.name);
  }

  stop(): void {
    this.#queue.stop();
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  async #reconcile(name: string): Promise<void> {
    // Judging "no claim covers it" on a cache that has not listed claims yet would only cost
    // 409s, but the counts in the Event would be wrong.
    await this.claims.synced;
    const pool = this.pools.get(name);
    if (!pool || pool.metadata.annotations?.[IMPORTED_ANNOTATION] !== undefined) return;
    const facts = poolFactsOf(pool);
    const parsed = parseAllocationRecords(facts.allocatedIPs, facts.family);
    if (!parsed.ok) return this.#refuse(pool, describeRecordErrors(parsed.error));
    if (parsed.value.length === 0) return this.#mark(pool, 0);

    const lookups = await this.#lookups(parsed.value);
    const decided = planImport(facts, {
      claimOf: address => {
        const rec = parsed.value.find(r => r.address === address);
        return rec ? this.claims.get(claimName(facts.family, rec.value))?.spec : undefined;
      },
      podByName: (ns, n) => lookups.byName.get(`${ns}/${n}`),
      podByUid: (ns, uid) => lookups.byUid.get(`${ns}/${uid}`),
      endpoint: (ns, n) => lookups.endpoints.get(`${ns}/${n}`),
    });
    if (!decided.ok) return this.#refuse(pool, describeRecordErrors(decided.errors));
    const { plan } = decided;

    let created = 0;
    let gone = 0;
    let covered = plan.covered;
    const conflicts: ImportConflict[] = [...plan.conflicts];
    for (const c of plan.create) {
      const outcome = await this.#claim(c.spec, c.value);
      if (outcome === "created") {
        created++;
        if (c.holder === "gone") gone++;
        this.log.info("imported a Spiderpool allocation record as a claim", {
          pool: name,
          address: c.spec.address,
          pod: `${c.spec.podNamespace}/${c.spec.podName}`,
          podUID: c.spec.podUID,
          holder: c.holder,
        });
      } else if (outcome === "covered") covered++;
      else conflicts.push(outcome);
    }
    this.metrics?.importedRecords.inc({ result: "created" }, created);
    this.metrics?.importedRecords.inc({ result: "covered" }, covered);
    this.metrics?.importedRecords.inc({ result: "conflict" }, conflicts.length);
    const ref = { ...pool, apiVersion: SPIDERPOOL_API_VERSION, kind: "SpiderIPPool" };
    for (const x of conflicts) {
      this.log.warn("a Spiderpool allocation record names an address another Pod claims", {
        pool: name,
        ...x,
      });
      await recordEvent(
        this.api,
        ref,
        "Warning",
        "ImportConflict",
        `status.allocatedIPs records ${x.address} for ${x.recorded}, but ${x.claimedBy} claims it: both were handed the address; it stays claimed by ${x.claimedBy}`,
      );
    }
    const summary = `imported ${plan.records} Spiderpool allocation records of status.allocatedIPs: ${created} claims created (${gone} for Pods that no longer exist, left to IP GC), ${covered} already claimed by the same Pod, ${conflicts.length} claimed by another Pod`;
    await this.#mark(pool, plan.records);
    this.log.info("pool imported", {
      pool: name,
      records: plan.records,
      created,
      gone,
      covered,
      conflicts: conflicts.length,
    });
    await recordEvent(
      this.api,
      ref,
      conflicts.length ? "Warning" : "Normal",
      "AllocationsImported",
      summary,
    );
  }

  /** The claim of one record, settled: created now, already this Pod's, or another Pod's. */
  async #claim(
    spec: IPClaim["spec"],
    value: bigint,
  ): Promise<"created" | "covered" | ImportConflict> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if ((await createClaim(this.api, spec, value)) !== "taken") return "created";
      const existing = await readClaim(this.api, claimName(spec.ipVersion, value));
      if (!existing) continue; // released between CREATE and read: the address is free, claim it
      if (sameHolder(existing.spec, spec)) return "covered";
      return {
        address: spec.address,
        recorded: `${spec.podNamespace}/${spec.podName} (${spec.podUID})`,
        claimedBy: `${existing.spec.podNamespace}/${existing.spec.podName} (${existing.spec.podUID})`,
      };
    }
    throw new Error(
      `claim ${claimName(spec.ipVersion, value)} keeps appearing and disappearing; trying again later`,
    );
  }

  /**
   * Marks the pool, conditioned on the resourceVersion judged: a record added meanwhile (a
   * Spiderpool agent still running) makes the patch fail with 409 and the pool is judged again.
   */
  async #mark(pool: Pool, records: number): Promise<void> {
    await this.api
      .patch(
        `${POOLS}/${pool.metadata.name}`,
        {
          metadata: {
            resourceVersion: pool.metadata.resourceVersion,
            annotations: { [IMPORTED_ANNOTATION]: String(records) },
          },
        },
        "merge",
      )
      .catch(e => {
        if (!(e instanceof K8sError && e.code === "not_found")) throw e;
      });
  }

  async #refuse(pool: Pool, why: string): Promise<void> {
    const rv = pool.metadata.resourceVersion ?? "";
    if (this.#reported.get(pool.metadata.name) === rv) return;
    this.#reported.set(pool.metadata.name, rv);
    this.metrics?.importedRecords.inc({ result: "refused" });
    const text = `not imported, and no address is allocated from the pool until it is: ${why}. Repair or remove the bad records (kubectl patch --subresource=status), or set the annotation ${IMPORTED_ANNOTATION} to accept the status as it is`;
    this.log.warn("Spiderpool allocation records cannot be imported", {
      pool: pool.metadata.name,
      reason: why,
    });
    await recordEvent(
      this.api,
      { ...pool, apiVersion: SPIDERPOOL_API_VERSION, kind: "SpiderIPPool" },
      "Warning",
      "ImportRefused",
      text,
    );
  }

  /** The Pods and SpiderEndpoints the records name, read once for this pool. */
  async #lookups(records: readonly { podNamespace: string; podName: string; podUID: string }[]) {
    const byName = new Map<string, ImportPod>();
    const byUid = new Map<string, ImportPod>();
    const endpoints = new Map<string, ImportEndpoint>();
    const listed = new Set<string>();
    for (const r of records) {
      const key = `${r.podNamespace}/${r.podName}`;
      if (!byName.has(key)) {
        const pod = await getOrUndefined<Pod>(
          this.api,
          `/api/v1/namespaces/${r.podNamespace}/pods/${r.podName}`,
        );
        if (pod) byName.set(key, importPod(pod));
      }
      if (byName.get(key)?.uid !== r.podUID && !listed.has(r.podNamespace)) {
        // Not under the recorded name (a KubeVirt record names the VMI): find the UID in the namespace.
        listed.add(r.podNamespace);
        const list = await this.api.get<KubeList<Pod>>(`/api/v1/namespaces/${r.podNamespace}/pods`);
        for (const p of list.items) byUid.set(`${r.podNamespace}/${p.metadata.uid}`, importPod(p));
      }
      if (!endpoints.has(key)) {
        const ep = await getOrUndefined<Stored<SpiderEndpoint>>(
          this.api,
          `${ENDPOINTS(r.podNamespace)}/${r.podName}`,
        );
        const cur = ep?.status?.current;
        if (cur)
          endpoints.set(key, {
            uid: cur.uid,
            node: cur.node,
            ownerControllerType: ep.status?.ownerControllerType ?? "",
            ips: Array.isArray(cur.ips) ? cur.ips : [],
          });
      }
    }
    return { byName, byUid, endpoints };
  }
}

function importPod(p: Pod): ImportPod {
  const ctrl = p.metadata.ownerReferences?.find(o => o.controller);
  return {
    namespace: p.metadata.namespace ?? "",
    name: p.metadata.name,
    uid: p.metadata.uid ?? "",
    node: p.spec.nodeName,
    statefulSet: ctrl?.kind === "StatefulSet" && ctrl.apiVersion === "apps/v1",
  };
}

async function getOrUndefined<T>(api: KubeApi, path: string): Promise<T | undefined> {
  try {
    return await api.get<T>(path);
  } catch (e) {
    if (e instanceof K8sError && e.code === "not_found") return undefined;
    throw e;
  }
}
