import { CoalescedRun } from "../core/base/coalesced-run.js";
import type { KubeApi } from "../k8s/api-client.js";
import type { Pod } from "../k8s/core-kinds.js";
import { claimAddress, readClaim } from "../k8s/claim-store.js";
import { recordEvent } from "../k8s/events.js";
import { K8sError } from "../k8s/k8s-error.js";
import {
  auditClaims,
  type AuditFinding,
  type AuditHolder,
  type AuditPod,
} from "../core/lifecycle/claim-audit.js";
import { readAddress, type IpFamily } from "../core/net/address.js";
import { isAlive } from "../core/lifecycle/pod-liveness.js";
import { claimName, type ClaimSpec } from "../schemas/ip-claim.js";
import type { SpiderpoolConfig } from "../schemas/config.js";
import type { Logger } from "../logger.js";
import { addressValue, type Claim, type ClusterView } from "./cluster-view.js";
import type { AgentMetrics } from "./metrics.js";
import type { SandboxRecords } from "./sandbox-records.js";
import { SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

export interface ClaimAuditorDeps {
  api: KubeApi;
  view: ClusterView;
  records: SandboxRecords;
  config: SpiderpoolConfig;
  metrics: AgentMetrics;
  log: Logger;
}

/**
 * Claims against reality, on this node only (docs/concepts/gc.md, "Claims against reality"):
 * every `agent.claimAuditIntervalSeconds`, and at once when a claim of an address one of its
 * running Pods uses is deleted, the agent compares what its Pods use (`status.podIPs`, and the
 * addresses its sandbox records gave them) with the claims. An address in use that nobody claims
 * is claimed for its Pod through the normal claim protocol (a CREATE; a 409 is read: ours is
 * adopted, anyone else's reported), so a race with another allocator is safe. One claimed by
 * another Pod is reported: a Warning Event on the Pod and on the pool, and a metric.
 */
export class ClaimAuditor {
  /** `podUID/address` already reported, so a standing conflict gives one Event, not one per pass. */
  readonly #reported = new Set<string>();
  readonly #run = new CoalescedRun(() =>
    this.audit().then(
      () => undefined,
      (e: Error) => void this.d.log.warn("claim audit failed", { err: e }),
    ),
  );
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly d: ClaimAuditorDeps) {}

  start(intervalMs: number): this {
    this.#timer = setInterval(() => void this.trigger(), intervalMs);
    this.#timer.unref();
    this.d.view.claims.on(ev => {
      if (ev.type === "deleted") this.#claimDeleted(ev.object);
      // A claim of an address in use here now names someone else: look at once.
      else if (
        ev.type === "updated" &&
        ev.old.spec.podUID !== ev.object.spec.podUID &&
        this.#usedHere(ev.object.spec.address)
      )
        void this.trigger();
    });
    void this.trigger();
    return this;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  trigger(): Promise<void> {
    return this.#run.trigger();
  }

  /**
   * A claim is gone while one of this node's running Pods still uses its address: the address is
   * held back from this agent's picks at once (before any ADD can run), and claimed again for
   * the Pod by the audit. Runs in the watch handler, synchronously.
   */
  #claimDeleted(c: Claim): void {
    if (!this.#usedHere(c.spec.address)) return;
    const v = addressValue(c);
    if (v !== undefined) this.d.view.markPending(c.spec.pool, v);
    void this.trigger();
  }

  /** Cheap enough for every claim event of the cluster: no namespace is looked at. */
  #usedHere(address: string): boolean {
    return this.#podsInUse(false).some(p => p.addresses.some(a => sameAddress(a.address, address)));
  }

  /** One pass; returns the findings. */
  async audit(): Promise<AuditFinding[]> {
    const { view } = this.d;
    const byAddress = new Map<string, Claim>();
    for (const c of view.allClaims()) byAddress.set(c.spec.address, c);
    const findings = auditClaims(
      this.#podsInUse(),
      a => byAddress.get(a)?.spec,
      (family, value) => this.#poolOf(family, value),
    );
    this.d.metrics.unclaimedInUse.set(findings.length);
    for (const f of findings) {
      if (f.kind === "unclaimed") await this.#claimFor(f);
      else await this.#report(f.pod, f.address, f.holder, f.pool);
    }
    // Forget conflicts that ended, so a new one is reported again.
    const open = new Set(findings.map(f => `${f.pod.uid}/${f.address}`));
    for (const k of this.#reported) if (!open.has(k)) this.#reported.delete(k);
    return findings;
  }

  /** This node's Pods that run now and the addresses they use; `probe`: only recorded sandboxes whose namespace still exists count. */
  #podsInUse(probe = true): AuditPod[] {
    const { view, records } = this.d;
    const live = probe
      ? records.observe().filter(s => !s.released && s.netns === "present")
      : records.list().filter(s => !s.released);
    const out: AuditPod[] = [];
    for (const p of view.pods.list()) {
      if (p.spec.nodeName !== view.nodeName || p.spec.hostNetwork || !isRunningNow(p)) continue;
      const uid = p.metadata.uid ?? "";
      const recorded = live
        .filter(s => s.podUID === uid)
        .flatMap(s => s.addresses.map(address => ({ address, ifName: s.ifName })));
      const status = (p.status?.podIPs ?? []).map(x => ({ address: x.ip }));
      out.push({
        uid,
        namespace: p.metadata.namespace ?? "",
        name: p.metadata.name,
        addresses: [...recorded, ...status],
      });
    }
    return out;
  }

  #poolOf(family: IpFamily, value: bigint): string | undefined {
    for (const pool of this.d.view.pools.list()) {
      if ((pool.spec.ipVersion ?? 4) !== family || pool.metadata.deletionTimestamp) continue;
      if (this.d.view.allocatable(pool).contains(value)) return pool.metadata.name;
    }
    return undefined;
  }

  async #claimFor(f: Extract<AuditFinding, { kind: "unclaimed" }>): Promise<void> {
    const { api, view, config } = this.d;
    // Decided on caches; acted on the Pod as the API server has it now: still this incarnation,
    // still running, still using the address.
    const pod = await api
      .get<Pod>(`/api/v1/namespaces/${f.pod.namespace}/pods/${f.pod.name}`)
      .catch((e: unknown) => {
        if (e instanceof K8sError && e.code === "not_found") return undefined;
        throw e;
      });
    if (
      !pod ||
      pod.metadata.uid !== f.pod.uid ||
      !isRunningNow(pod) ||
      pod.spec.nodeName !== view.nodeName
    )
      return;
    const stillUsed =
      (pod.status?.podIPs ?? []).some(x => sameAddress(x.ip, f.address)) ||
      f.pod.addresses.some(a => a.ifName && sameAddress(a.address, f.address));
    if (!stillUsed) return;
    const record = this.d.records
      .list()
      .find(r => r.podUID === f.pod.uid && r.ifName === f.ifName && !r.released);
    const isSts =
      config.enableStatefulSet &&
      (pod.metadata.ownerReferences ?? []).some(
        o => o.controller && o.kind === "StatefulSet" && o.apiVersion.startsWith("apps/"),
      );
    const spec: ClaimSpec = {
      address: f.address,
      ipVersion: f.family,
      pool: f.pool,
      podNamespace: f.pod.namespace,
      podName: f.pod.name,
      podUID: f.pod.uid,
      interface: f.ifName,
      node: view.nodeName,
      ...(record ? { containerID: record.containerID } : {}),
      ...(record?.network ? { network: record.network } : {}),
      ...(isSts ? { static: true } : {}),
    };
    const r = await claimAddress(api, spec, f.value);
    if (r === "taken") {
      const holder = await readClaim(api, claimName(f.family, f.value));
      if (holder) await this.#report(f.pod, f.address, holder.spec, f.pool);
      return;
    }
    view.noteClaim(r.claim);
    if (r.adopted) return;
    this.d.metrics.unclaimedReclaimed.inc();
    const msg = `address ${f.address} (pool ${f.pool}, ${f.ifName}) was in use by this Pod without a claim; claimed for it again`;
    this.d.log.warn("address in use without a claim; claimed for its Pod", {
      pod: `${f.pod.namespace}/${f.pod.name}`,
      podUID: f.pod.uid,
      address: f.address,
      pool: f.pool,
    });
    await recordEvent(
      api,
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: f.pod.name, namespace: f.pod.namespace, uid: f.pod.uid },
      },
      "Warning",
      "UnclaimedAddressReclaimed",
      msg,
      "spiderpool-agent",
    );
    await recordEvent(
      api,
      {
        apiVersion: SPIDERPOOL_API_VERSION,
        kind: "SpiderIPPool",
        metadata: { name: f.pool },
      },
      "Warning",
      "UnclaimedAddressReclaimed",
      `${f.pod.namespace}/${f.pod.name}: ${msg}`,
      "spiderpool-agent",
    );
  }

  async #report(
    pod: AuditPod,
    address: string,
    holder: AuditHolder,
    pool: string | undefined,
  ): Promise<void> {
    const key = `${pod.uid}/${address}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.d.metrics.unclaimedReported.inc();
    const msg = `address ${address} is in use by this Pod (uid ${pod.uid}) but claimed by Pod ${holder.podNamespace}/${holder.podName} (uid ${holder.podUID}); two holders of one address: left as it is for an operator`;
    this.d.log.warn("address in use by a Pod while another Pod's claim names it", {
      pod: `${pod.namespace}/${pod.name}`,
      podUID: pod.uid,
      address,
      holder: `${holder.podNamespace}/${holder.podName}`,
      holderUID: holder.podUID,
    });
    await recordEvent(
      this.d.api,
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid },
      },
      "Warning",
      "AddressClaimedByOther",
      msg,
      "spiderpool-agent",
    );
    if (pool) {
      await recordEvent(
        this.d.api,
        {
          apiVersion: SPIDERPOOL_API_VERSION,
          kind: "SpiderIPPool",
          metadata: { name: pool },
        },
        "Warning",
        "AddressClaimedByOther",
        `${pod.namespace}/${pod.name}: ${msg}`,
        "spiderpool-agent",
      );
    }
  }
}

/** Running, not being deleted, and alive: its addresses are in use now and will stay. */
function isRunningNow(p: Pod): boolean {
  return p.status?.phase === "Running" && !p.metadata.deletionTimestamp && isAlive(p);
}

function sameAddress(a: string, b: string): boolean {
  const x = readAddress(a.split("/")[0] ?? "");
  const y = readAddress(b.split("/")[0] ?? "");
  return !!x && !!y && x.family === y.family && x.value === y.value;
}
