import type { KubeApi, KubeObject, Stored } from "../k8s/api-client.js";
import { deleteClaim } from "../k8s/claim-store.js";
import type { Node, Pod } from "../k8s/core-kinds.js";
import { FINALIZER, releaseEndpoint } from "../k8s/endpoint-store.js";
import { recordEvent } from "../k8s/events.js";
import { Informer } from "../k8s/informer.js";
import { K8sError } from "../k8s/k8s-error.js";
import {
  gcDecision,
  type GcPolicy,
  type NodeFacts,
  type SandboxFacts,
} from "../core/lifecycle/gc-decision.js";
import { gcPodFacts } from "../k8s/gc-pod-facts.js";
import {
  isValidStatefulSetPod,
  statefulSetOrdinal,
} from "../core/lifecycle/statefulset-identity.js";
import { QUARANTINE_POD_UID, type IPClaim } from "../schemas/ip-claim.js";
import type { SpiderEndpoint } from "../schemas/endpoint.js";
import type { Logger } from "../logger.js";
import type { WatcherMetrics } from "./metrics.js";
import { nodeFacts } from "./node-facts.js";
import { WorkQueue } from "./work-queue.js";
import { SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

type Claim = Stored<IPClaim>;
type Endpoint = Stored<SpiderEndpoint>;

/**
 * IP garbage collection (docs/concepts/gc.md): gives addresses back when their Pod no longer needs them,
 * whether or not CNI DEL ever ran — Pods force-deleted, Pods of a lost node, Pods stuck
 * Terminating, completed Job Pods, re-created Pods, scaled-down StatefulSet ordinals, and
 * claims left by a crash between two writes. Two triggers, like Spiderpool's trace and scan-all:
 * Pod events (with a timer for grace periods) and a full scan every `gc.scanAllIntervalSeconds`.
 * Every decision is `gcDecision` in lib/core; releases delete the claim with a UID
 * precondition, so a claim re-made meanwhile for someone else is never touched.
 */
export class IpGcController {
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly endpoints: Informer<Endpoint>;
  readonly #byUid = new Map<string, Set<string>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /**
   * Pod UID → when GC first found its claims free but for the sandbox (API server clock): the
   * wait for the node's agent to confirm is counted from there (docs/concepts/gc.md, "Ready
   * nodes: the agent confirms"). In memory: a watcher restart starts the wait again, later, never earlier.
   */
  readonly #waitingSince = new Map<string, number>();
  readonly #queue: WorkQueue;

  constructor(
    private readonly api: KubeApi,
    private readonly claims: Informer<Claim>,
    private readonly policy: GcPolicy,
    private readonly metrics: WatcherMetrics,
    private readonly log: Logger,
    /** Test knob only (lib/core/lifecycle/gc-test-delay.ts): how long a decided release waits before its deletes. */
    private readonly releaseDelayMs = 0,
  ) {
    this.pods = new Informer<Pod>(api, { path: "/api/v1/pods" });
    this.nodes = new Informer<Node>(api, { path: "/api/v1/nodes" });
    this.endpoints = new Informer<Endpoint>(api, {
      path: `/apis/${SPIDERPOOL_API_VERSION}/spiderendpoints`,
    });
    this.#queue = new WorkQueue(uid => this.#reconcileUid(uid), {
      delayMs: 100,
      concurrency: 8,
      onError: (uid, e, n) => {
        metrics.gcFailures.inc();
        log.warn("IP GC of a Pod's claims failed", { podUID: uid, attempt: n, err: e });
      },
    });
    claims.on(ev => {
      const c = ev.object;
      const s = this.#byUid.get(c.spec.podUID) ?? new Set<string>();
      if (ev.type === "deleted") s.delete(c.metadata.name);
      else s.add(c.metadata.name);
      if (s.size) this.#byUid.set(c.spec.podUID, s);
      else {
        this.#byUid.delete(c.spec.podUID);
        this.#waitingSince.delete(c.spec.podUID);
      }
    });
    // Any Pod event may end a Pod's need for its addresses: look at the claims of its UID.
    this.pods.on(ev => this.#queue.add(ev.object.metadata.uid ?? ""));
    // A node known dead at last (deleted, tainted out-of-service) or Ready again frees what
    // waited for it: look at the claims made on it.
    this.nodes.on(ev => {
      const before = ev.type === "updated" ? nodeFacts(ev.old).state : undefined;
      const after = ev.type === "deleted" ? "dead" : nodeFacts(ev.object).state;
      if (before === after || ev.type === "added") return;
      for (const c of this.claims.list())
        if (c.spec.node === ev.object.metadata.name) this.#queue.add(c.spec.podUID);
    });
  }

  start(): this {
    this.pods.start();
    this.nodes.start();
    this.endpoints.start();
    return this;
  }

  async synced(): Promise<void> {
    await Promise.all([
      this.pods.synced,
      this.nodes.synced,
      this.endpoints.synced,
      this.claims.synced,
    ]);
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /**
   * A SpiderEndpoint was written (the agent records a Pod's addresses in it at ADD): GC looks at
   * the claims of the Pod it names, keyed like every GC decision by Pod UID. An endpoint without
   * a Pod UID waits for the full scan, which also handles endpoints whose Pod is gone.
   */
  endpointChanged(endpoint: KubeObject & { status?: { current?: { uid?: string } } }): void {
    const uid = endpoint.status?.current?.uid;
    if (uid) this.#queue.add(uid);
  }

  /** The full scan: every claim and every finalized endpoint, once. */
  scanAll(): void {
    for (const uid of this.#byUid.keys()) this.#queue.add(uid);
    void this.#releaseOrphanEndpoints().catch((e: Error) =>
      this.log.warn("orphan endpoint scan failed", { err: e }),
    );
  }

  #claimsOf(uid: string): Claim[] {
    // A re-pointed claim stays in its old UID's set: it belongs to the UID it names now.
    return [...(this.#byUid.get(uid) ?? [])]
      .map(n => this.claims.get(n))
      .filter((c): c is Claim => !!c && c.spec.podUID === uid);
  }

  async #reconcileUid(uid: string): Promise<void> {
    // Quarantined addresses belong to no Pod; lib/watcher/quarantine-expiry.ts frees them.
    if (uid === QUARANTINE_POD_UID) return;
    const claims = this.#claimsOf(uid);
    if (!uid || claims.length === 0) return;
    const { podNamespace: ns, podName: name } = claims[0]!.spec;
    const isStatic = claims.some(c => c.spec.static);
    // A full scan looks at every Pod holding an address; reading each from the API server would
    // cost one GET per Pod per scan. The cache decides "keep" for the live incarnation (a wrong
    // keep only delays: the Pod's next event or the next scan looks again); anything that could
    // release is confirmed against the API server below. StatefulSet claims always take the
    // confirmed path, their answer depends on the StatefulSet too.
    const cached = this.pods.get(name, ns);
    if (!isStatic && cached?.metadata.uid === uid) {
      // "Recheck later" from the cache is safe too: it means this incarnation is terminating (or
      // on a lost node), which a read cannot undo. Only a release is worth a read.
      const early = gcDecision(
        { podUID: uid, static: false },
        gcPodFacts(cached),
        false,
        this.#nodeOf(cached.spec.nodeName),
        this.api.clock.now(),
        this.policy,
        this.#sandbox(uid),
      );
      if (early.action === "keep") {
        this.#waitingSince.delete(uid);
        return;
      }
      if (early.action === "recheck" && cached.metadata.deletionTimestamp) {
        this.#schedule(uid, early.at);
        return;
      }
    }
    const pod = await this.#freshPod(ns, name);
    const stsValid = isStatic ? await this.#statefulSetWants(ns, name) : false;
    // The sandbox that holds the claims is on the node of their incarnation: the Pod's own node
    // while it exists, else the node the claim records.
    const nodeName =
      pod?.metadata.uid === uid
        ? (pod.spec.nodeName ?? claims[0]!.spec.node)
        : claims[0]!.spec.node;
    const verdict = gcDecision(
      { podUID: uid, static: isStatic },
      pod ? gcPodFacts(pod) : undefined,
      stsValid,
      this.#nodeOf(nodeName),
      this.api.clock.now(),
      this.policy,
      this.#sandbox(uid),
    );
    if (verdict.action === "keep") {
      this.#waitingSince.delete(uid);
      return;
    }
    if (verdict.action === "recheck") {
      this.#schedule(uid, verdict.at);
      return;
    }
    if (this.releaseDelayMs > 0) {
      this.log.info("IP GC: release decided, held back by SPIDERPOOL_TEST_GC_DELAY_MS", {
        pod: `${ns}/${name}`,
        podUID: uid,
        addresses: claims.map(c => c.spec.address),
        delayMs: this.releaseDelayMs,
      });
      await new Promise(r => setTimeout(r, this.releaseDelayMs));
    }
    for (const c of claims) {
      // Conditioned on the claim as judged: one a new StatefulSet incarnation re-pointed meanwhile
      // has moved on, so this Pod UID is decided again from what is there now.
      if (
        (await deleteClaim(
          this.api,
          c.metadata.name,
          c.metadata.uid,
          c.metadata.resourceVersion,
        )) === "changed"
      ) {
        this.metrics.releaseConflicts.inc();
        this.log.info("IP GC: claim changed since it was judged; deciding again", {
          claim: c.metadata.name,
          podUID: uid,
        });
        this.#queue.add(uid);
        return;
      }
      this.metrics.gcCounts.inc();
      this.metrics.gcReleased.inc({ reason: verdict.reason.split(" (")[0] ?? verdict.reason });
    }
    this.#waitingSince.delete(uid);
    this.log.info("IP GC released addresses", {
      pod: `${ns}/${name}`,
      podUID: uid,
      addresses: claims.map(c => c.spec.address),
      reason: verdict.reason,
    });
    if (verdict.unconfirmed)
      await this.#sayUnconfirmed(
        pod?.metadata.uid === uid ? pod : undefined,
        claims,
        verdict.reason,
      );
    const ep = this.endpoints.get(name, ns);
    if (ep && (ep.status?.current.uid === uid || !ep.status))
      await releaseEndpoint(this.api, ep, isStatic && !stsValid);
  }

  /**
   * The watcher never knows a sandbox's end: only the node's agent does, and it releases itself
   * when it can confirm (lib/agent/sandbox-sweep.ts). Here the wait is only counted.
   */
  #sandbox(uid: string): SandboxFacts {
    let since = this.#waitingSince.get(uid);
    if (since === undefined) {
      since = this.api.clock.now();
      this.#waitingSince.set(uid, since);
    }
    return { state: "unconfirmed", since };
  }

  /** An address released by a bound, not by knowledge: a Warning on the Pod (or the pool, once the Pod is gone) and a metric. */
  async #sayUnconfirmed(pod: Pod | undefined, claims: Claim[], reason: string): Promise<void> {
    this.metrics.gcUnconfirmed.inc(claims.length);
    const msg = `released [${claims.map(c => c.spec.address).join(" ")}] without confirmation that no sandbox holds them: ${reason}`;
    this.log.warn("IP GC released addresses without confirmation from the node's agent", {
      podUID: claims[0]?.spec.podUID,
      addresses: claims.map(c => c.spec.address),
      reason,
    });
    if (pod)
      await recordEvent(
        this.api,
        { ...pod, apiVersion: "v1", kind: "Pod" },
        "Warning",
        "AddressReleasedUnconfirmed",
        msg,
      );
    for (const p of new Set(claims.map(c => c.spec.pool))) {
      await recordEvent(
        this.api,
        {
          apiVersion: SPIDERPOOL_API_VERSION,
          kind: "SpiderIPPool",
          metadata: { name: p },
        },
        "Warning",
        "AddressReleasedUnconfirmed",
        `${claims[0]?.spec.podNamespace}/${claims[0]?.spec.podName}: ${msg}`,
      );
    }
  }

  #schedule(uid: string, at: number): void {
    if (this.#timers.has(uid)) return;
    const t = setTimeout(
      () => {
        this.#timers.delete(uid);
        this.#queue.add(uid, 0);
      },
      Math.max(0, at - this.api.clock.now()) + 100,
    );
    t.unref();
    this.#timers.set(uid, t);
  }

  /** A node the (synced) cache does not hold was deleted: its sandboxes went with it. */
  #nodeOf(name: string | undefined): NodeFacts {
    const node = name ? this.nodes.get(name) : undefined;
    return node ? nodeFacts(node) : { state: "dead" };
  }

  /** The Pod is read from the API server: the cache may not have seen a same-name re-creation. */
  async #freshPod(ns: string, name: string): Promise<Pod | undefined> {
    try {
      return await this.api.get<Pod>(`/api/v1/namespaces/${ns}/pods/${name}`);
    } catch (e) {
      if (e instanceof K8sError && e.code === "not_found") return undefined;
      throw e;
    }
  }

  async #statefulSetWants(ns: string, podName: string): Promise<boolean> {
    const o = statefulSetOrdinal(podName);
    if (!o) return false;
    try {
      const sts = await this.api.get<{
        metadata: { deletionTimestamp?: string };
        spec: { replicas?: number; ordinals?: { start?: number } };
      }>(`/apis/apps/v1/namespaces/${ns}/statefulsets/${o.statefulSet}`);
      if (sts.metadata.deletionTimestamp) return false;
      return isValidStatefulSetPod(podName, {
        replicas: sts.spec.replicas ?? 1,
        ordinalsStart: sts.spec.ordinals?.start ?? 0,
      });
    } catch (e) {
      if (e instanceof K8sError && e.code === "not_found") return false;
      throw e;
    }
  }

  /**
   * Endpoints that keep our finalizer although no claim names their Pod incarnation — a crash
   * after the claims were released, or a record edited by hand: the finalizer goes (and so does
   * the object, through its ownerReference). Endpoints of live Pods whose addresses contradict
   * the claims are reported: the claims are the ledger, the endpoint only a record of it.
   */
  async #releaseOrphanEndpoints(): Promise<void> {
    for (const ep of this.endpoints.list()) {
      const ns = ep.metadata.namespace ?? "";
      const uid = ep.status?.current.uid ?? "";
      const claims = uid ? this.#claimsOf(uid) : [];
      if (!ep.metadata.finalizers?.includes(FINALIZER)) continue;
      if (!ep.status || !Array.isArray(ep.status.current?.ips)) {
        const pod = await this.#freshPod(ns, ep.metadata.name);
        this.metrics.inconsistent.inc({ kind: "SpiderEndpoint" });
        await recordEvent(
          this.api,
          { ...ep, apiVersion: SPIDERPOOL_API_VERSION, kind: "SpiderEndpoint" },
          "Warning",
          "InvalidEndpoint",
          "status is missing or malformed; the address claims remain the record of what the Pod holds",
        );
        if (!pod) await releaseEndpoint(this.api, ep, true);
        continue;
      }
      if (claims.length) {
        const recorded = ep.status.current.ips
          .flatMap(d => [d.ipv4, d.ipv6])
          .filter((a): a is string => !!a)
          .map(a => a.split("/")[0])
          .sort();
        const held = claims.map(c => c.spec.address).sort();
        if (recorded.join() !== held.join()) {
          this.metrics.inconsistent.inc({ kind: "SpiderEndpoint" });
          await recordEvent(
            this.api,
            { ...ep, apiVersion: SPIDERPOOL_API_VERSION, kind: "SpiderEndpoint" },
            "Warning",
            "InconsistentEndpoint",
            `records [${recorded.join(" ")}] but the Pod holds [${held.join(" ")}] (IPClaims); addresses follow the claims`,
          );
        }
        continue;
      }
      const pod = await this.#freshPod(ns, ep.metadata.name);
      if (pod && pod.metadata.uid === uid) continue; // claims may not be in the cache yet
      const isStatic = !ep.metadata.ownerReferences?.length;
      if (isStatic && (await this.#statefulSetWants(ns, ep.metadata.name))) continue;
      await releaseEndpoint(this.api, ep, isStatic).catch(e => {
        if (!(e instanceof K8sError && e.code === "conflict")) throw e;
      });
    }
  }
}
