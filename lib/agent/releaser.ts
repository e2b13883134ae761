import type { KubeApi } from "../k8s/api-client.js";
import type { Namespace, Pod } from "../k8s/core-kinds.js";
import { deleteClaim } from "../k8s/claim-store.js";
import { releaseEndpointOf } from "../k8s/endpoint-store.js";
import { K8sError } from "../k8s/k8s-error.js";
import { isAlive } from "../core/lifecycle/pod-liveness.js";
import { isQuarantined } from "../core/lifecycle/quarantine.js";
import {
  releaseScope,
  type ReleaseScope,
  type ScopeOptions,
} from "../core/lifecycle/release-scope.js";
import {
  isValidStatefulSetPod,
  statefulSetOrdinal,
} from "../core/lifecycle/statefulset-identity.js";
import type {
  IpamBatchDelArgs,
  IpamCheckArgs,
  IpamDelArgs,
  IpamGcArgs,
} from "../schemas/agent-api.js";
import type { SpiderpoolConfig } from "../schemas/config.js";
import { isNamespaceName, isPodName } from "../schemas/kube-name.js";
import { AgentError } from "./agent-error.js";
import type { Claim, ClusterView } from "./cluster-view.js";
import { sameAddresses } from "./same-addresses.js";
import type { SandboxRecords } from "./sandbox-records.js";
import { gcDecision } from "../core/lifecycle/gc-decision.js";
import { gcPodFacts } from "../k8s/gc-pod-facts.js";
import type { Logger } from "../logger.js";

export interface ReleaserDeps {
  api: KubeApi;
  view: ClusterView;
  config: SpiderpoolConfig;
  log: Logger;
  /** The agent's record of the sandboxes it served: DEL and CNI GC say which are gone. */
  records?: SandboxRecords;
  /**
   * Test knob only (lib/core/lifecycle/gc-test-delay.ts): how long a release decided after a sandbox check
   * waits before its deletes, so an e2e suite can let a StatefulSet Pod come back meanwhile.
   */
  releaseHoldMs?: number;
}

/**
 * CNI DEL, batch release, CHECK and GC. Release does not trust the watch cache to say a Pod is
 * alive or gone: a same-name Pod may already exist again, so the Pod is read from the API server
 * (docs/reference/allocation.md#release). The one exception is an incarnation the cache already shows dead (its UID being
 * deleted or finished): that never lives again, so the read could only say the same.
 */
export class Releaser {
  constructor(private readonly d: ReleaserDeps) {}

  /**
   * Idempotent; succeeds for unknown containers and Pods. Returns how many addresses were
   * released. Refuses (AgentError `forbidden`) a request whose Pod or claims are not this node's
   * or not the named Pod's (core/release-scope.ts).
   */
  async del(args: IpamDelArgs): Promise<number> {
    const pod =
      this.#knownDead(args.podNamespace, args.podName, args.podUID) ??
      (await this.#freshPod(args.podNamespace, args.podName));
    // A live Pod keeps its addresses: this DEL tears down a sandbox the runtime will re-create.
    const scope = this.#scope("DEL", args, pod, { keepLive: true });
    // The runtime tears this attachment down: its record no longer keeps anything (the claims of a
    // live Pod stay for its next sandbox, which gets a record of its own).
    await this.d.records?.released(args.containerID, args.ifName);
    if (scope.verdict !== "release" || !scope.uid) return 0; // without a UID the GC scan decides later
    return this.#release(args.podNamespace, args.podName, scope.uid, scope.claims);
  }

  /**
   * The agent's own confirmation (lib/agent/sandbox-sweep.ts): the claims of Pod incarnation
   * `uid` made on this node are held by no sandbox here (`how`). Judged by the same rules as IP
   * GC (lib/core/lifecycle/gc-decision.ts) on the Pod as the API server has it now, then released like a
   * DEL. Returns how many addresses went.
   */
  async releaseConfirmed(uid: string, claims: readonly Claim[], how: string): Promise<number> {
    const first = claims[0];
    if (!first) return 0;
    const { podNamespace, podName } = first.spec;
    if (!isNamespaceName(podNamespace) || !isPodName(podName)) return 0;
    const pod = await this.#freshPod(podNamespace, podName);
    const isStatic = claims.some(c => c.spec.static);
    const stsValid =
      isStatic && this.d.config.enableStatefulSet
        ? await this.#validStatefulSetPod(podNamespace, podName)
        : false;
    const facts = pod ? gcPodFacts(pod) : undefined;
    // The node is this one, alive enough to run us: its sandboxes are what the records say.
    const verdict = gcDecision(
      { podUID: uid, static: isStatic },
      facts,
      stsValid,
      { state: "ready" },
      this.d.api.clock.now(),
      this.d.config.gc,
      { state: "gone", how },
    );
    if (verdict.action !== "release") return 0;
    let scope: ReleaseScope<Claim>;
    try {
      scope = this.#scope("sandbox check", { podNamespace, podName, podUID: uid }, pod, {
        keepLive: false,
      });
    } catch {
      return 0; // logged; not this node's to release
    }
    if (scope.verdict !== "release" || !scope.uid) return 0;
    if (this.d.releaseHoldMs) {
      this.d.log.info(
        "release decided after the sandbox check, held back by SPIDERPOOL_TEST_GC_DELAY_MS",
        {
          pod: `${podNamespace}/${podName}`,
          podUID: uid,
          addresses: scope.claims.map(c => c.spec.address),
          delayMs: this.d.releaseHoldMs,
        },
      );
      await new Promise(r => setTimeout(r, this.d.releaseHoldMs));
    }
    // The deletes carry the resourceVersion judged here: a claim a new StatefulSet incarnation
    // took over meanwhile is left to it (docs/concepts/gc.md).
    const n = await this.#releaseClaims(
      [...scope.claims],
      podNamespace,
      podName,
      uid,
      isStatic && !stsValid,
    );
    if (n)
      this.d.log.info("released after confirming no sandbox holds the addresses", {
        pod: `${podNamespace}/${podName}`,
        podUID: uid,
        reason: verdict.reason,
      });
    return n;
  }

  /** `DELETE /v1/ipam/ips`: every address of the Pod, e.g. after an address conflict was detected. */
  async batchDel(args: IpamBatchDelArgs): Promise<number> {
    const pod = await this.#freshPod(args.podNamespace, args.podName);
    const scope = this.#scope("batch DEL", args, pod, { keepLive: false });
    if (scope.verdict !== "release" || !scope.uid) return 0;
    const claims = [...scope.claims];
    if (args.isReleaseConflictIPs && claims.some(c => c.spec.static)) {
      throw new AgentError("invalid_request", "forbid releasing IPs for stateful workload ");
    }
    return this.#releaseClaims(claims, args.podNamespace, args.podName, scope.uid, true);
  }

  /** The claims a request for `args`' Pod may touch; a refusal is logged and thrown as `forbidden`. */
  #scope(
    what: string,
    args: { podNamespace: string; podName: string; podUID: string },
    pod: Pod | undefined,
    opts: ScopeOptions,
  ): ReleaseScope<Claim> {
    const req = { namespace: args.podNamespace, name: args.podName, uid: args.podUID };
    const facts = pod && {
      uid: pod.metadata.uid ?? "",
      node: pod.spec.nodeName ?? "",
      alive: isAlive(pod),
    };
    const scope = releaseScope(
      req,
      this.d.view.nodeName,
      facts,
      uid => this.d.view.claimsOfUid(uid),
      opts,
    );
    if (scope.verdict === "refused") {
      this.d.log.warn(`${what} refused`, {
        pod: `${req.namespace}/${req.name}`,
        podUID: req.uid,
        reason: scope.reason,
      });
      throw new AgentError("forbidden", `${what} refused: ${scope.reason}`);
    }
    return scope;
  }

  async #release(
    namespace: string,
    name: string,
    uid: string,
    scoped: readonly Claim[],
  ): Promise<number> {
    const claims = [...scoped];
    if (
      claims.some(c => c.spec.static) &&
      this.d.config.enableStatefulSet &&
      (await this.#validStatefulSetPod(namespace, name))
    ) {
      return 0; // a valid StatefulSet ordinal keeps its addresses for its next incarnation
    }
    return this.#releaseClaims(
      claims,
      namespace,
      name,
      uid,
      claims.some(c => c.spec.static),
    );
  }

  async #releaseClaims(
    claims: Claim[],
    namespace: string,
    name: string,
    uid: string,
    deleteEndpoint: boolean,
  ): Promise<number> {
    const released: Claim[] = [];
    for (const c of claims) {
      // The decision was taken on this version of the claim; a changed one (re-pointed to another
      // incarnation or node) is left for the watch to show and the next DEL or GC to judge.
      if (
        (await deleteClaim(
          this.d.api,
          c.metadata.name,
          c.metadata.uid,
          c.metadata.resourceVersion,
        )) === "changed"
      ) {
        this.d.log.info("claim changed since it was judged; left as it is", {
          claim: c.metadata.name,
          podUID: uid,
        });
        continue;
      }
      this.d.view.forgetClaim(c);
      released.push(c);
    }
    await releaseEndpointOf(this.d.api, namespace, name, uid, deleteEndpoint);
    if (released.length)
      this.d.log.info("released", {
        pod: `${namespace}/${name}`,
        podUID: uid,
        addresses: released.map(c => c.spec.address),
      });
    return released.length;
  }

  /**
   * Whether the StatefulSet will create this Pod again. Beyond Spiderpool's ordinal check, a
   * StatefulSet or namespace being deleted never will: keeping the addresses then would leave
   * the endpoint's finalizer holding the namespace in Terminating until a GC pass.
   */
  async #validStatefulSetPod(namespace: string, name: string): Promise<boolean> {
    const parsed = statefulSetOrdinal(name);
    if (!parsed) return false;
    // Read, not cached: the namespace controller deletes Pods right after marking the namespace.
    const ns = await this.d.api
      .get<Namespace>(`/api/v1/namespaces/${namespace}`)
      .catch((e: unknown) => {
        if (e instanceof K8sError && e.code === "not_found") return undefined;
        throw e;
      });
    if (!ns || ns.metadata.deletionTimestamp) return false;
    try {
      const sts = await this.d.api.get<{
        metadata: { deletionTimestamp?: string };
        spec: { replicas?: number; ordinals?: { start?: number } };
      }>(`/apis/apps/v1/namespaces/${namespace}/statefulsets/${parsed.statefulSet}`);
      if (sts.metadata.deletionTimestamp) return false;
      return isValidStatefulSetPod(name, {
        replicas: sts.spec.replicas ?? 1,
        ordinalsStart: sts.spec.ordinals?.start ?? 0,
      });
    } catch (e) {
      if (e instanceof K8sError && e.code === "not_found") return false;
      throw e;
    }
  }

  /** CNI CHECK: the addresses the runtime holds for the NIC are exactly the ones claimed for it. */
  async check(args: IpamCheckArgs): Promise<void> {
    const ref = `${args.podNamespace}/${args.podName}`;
    const pod = await this.d.view.pod(args.podNamespace, args.podName, args.podUID || undefined);
    if (!pod) throw new AgentError("pod_not_found", `failed to get Pod ${ref}: not found`);
    if (args.podUID && pod.metadata.uid !== args.podUID) {
      throw new AgentError(
        "pod_not_found",
        `Pod ${ref} has UID ${pod.metadata.uid}, the runtime asked for ${args.podUID}`,
      );
    }
    const scope = this.#scope("CHECK", args, pod, { keepLive: false });
    const claimed = (scope.verdict === "release" ? scope.claims : [])
      .filter(c => c.spec.interface === args.ifName)
      .map(c => c.spec.address)
      .sort();
    const held = args.addresses.map(a => a.split("/")[0] ?? "").sort();
    if (!sameAddresses(held, claimed)) {
      throw new AgentError(
        "invalid_request",
        `Pod ${ref} NIC ${args.ifName} holds [${held.join(" ")}] but the allocation is [${claimed.join(" ")}]`,
      );
    }
  }

  /**
   * CNI GC: the runtime lists the attachments it still has on this node; claims made on this
   * node for other attachments are released, but never while their Pod is alive (a Pod's claims
   * keep the container ID of the sandbox that first asked, so a re-created sandbox differs).
   */
  async gc(args: IpamGcArgs): Promise<number> {
    const valid = new Set(args.validAttachments.map(a => `${a.containerID}/${a.ifname}`));
    await this.d.records?.collected(valid, args.networkName ?? "");
    const suspects = this.d.view
      .allClaims()
      .filter(
        c =>
          c.spec.node === this.d.view.nodeName &&
          !valid.has(`${c.spec.containerID}/${c.spec.interface}`),
      )
      // A quarantined address belongs to no Pod any more; the watcher frees it at its expiry.
      .filter(c => !isQuarantined(c.spec))
      // A runtime collects one network at a time; claims made through another are not its to judge.
      .filter(c => !args.networkName || !c.spec.network || c.spec.network === args.networkName);
    const byPod = new Map<string, Claim[]>();
    for (const c of suspects) byPod.set(c.spec.podUID, [...(byPod.get(c.spec.podUID) ?? []), c]);
    let released = 0;
    for (const [uid, claims] of byPod) {
      const { podNamespace, podName } = claims[0]!.spec;
      // Claims are written through the API, not only by agents: their names reach an API path only when valid.
      if (!isNamespaceName(podNamespace) || !isPodName(podName)) {
        this.d.log.warn("GC skips claims naming an invalid Pod", {
          pod: `${podNamespace}/${podName}`,
          podUID: uid,
        });
        continue;
      }
      const pod = await this.#freshPod(podNamespace, podName);
      if (pod && pod.metadata.uid === uid && isAlive(pod)) continue;
      let scope: ReleaseScope<Claim>;
      try {
        scope = this.#scope("GC", { podNamespace, podName, podUID: uid }, pod, { keepLive: false });
      } catch {
        continue; // logged; another node's agent or GC owns what this Pod holds elsewhere
      }
      if (scope.verdict === "release")
        released += await this.#release(podNamespace, podName, uid, scope.claims);
    }
    return released;
  }

  /** The cached Pod when it is the incarnation `uid` and already dead; else undefined (read it). */
  #knownDead(namespace: string, name: string, uid: string | undefined): Pod | undefined {
    if (!uid) return undefined;
    const cached = this.d.view.pods.get(name, namespace);
    return cached && cached.metadata.uid === uid && !isAlive(cached) ? cached : undefined;
  }

  async #freshPod(namespace: string, name: string): Promise<Pod | undefined> {
    try {
      return await this.d.api.get<Pod>(`/api/v1/namespaces/${namespace}/pods/${name}`);
    } catch (e) {
      if (e instanceof K8sError && e.code === "not_found") return undefined;
      throw e;
    }
  }
}
