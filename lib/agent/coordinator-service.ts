/**
 * The agent's side of the `coordinator` plugin (docs/usage/conflict-detection.md): `plan` says
 * what the plugin probes in the Pod's network namespace, `report` decides what its findings do.
 * An address another host answers for is taken from the Pod and quarantined in one
 * compare-and-swap write (a StatefulSet Pod keeps it), so the runtime's retry gets another one;
 * an unreachable gateway fails the ADD. Every text the runtime shows is written here.
 */
import type { KubeApi } from "../k8s/api-client.js";
import type { Pod } from "../k8s/core-kinds.js";
import { quarantineClaim } from "../k8s/claim-store.js";
import { recordEvent } from "../k8s/events.js";
import { K8sError } from "../k8s/k8s-error.js";
import { readAddress } from "../core/net/address.js";
import {
  effectiveSwitch,
  nicAddresses,
  planProbes,
  type NicAddress,
} from "../core/lifecycle/coordinator-plan.js";
import { probeScope } from "../core/lifecycle/coordinator-scope.js";
import { conflictOutcome, rfc3339 } from "../core/lifecycle/quarantine.js";
import {
  COORDINATOR_CNI_CODES,
  type CniError,
  type CoordinatorPlan,
  type CoordinatorPlanRequest,
  type CoordinatorReportRequest,
  type Finding,
} from "../schemas/coordinator-api.js";
import {
  coordinatorNetConfProblems,
  CoordinatorNetConfSchema,
  detectTiming,
  notImplementedFieldsOf,
  PROBE_SLACK_MS,
} from "../schemas/coordinator-netconf.js";
import { claimName } from "../schemas/ip-claim.js";
import type { SpiderpoolConfig } from "../schemas/config.js";
import { isNamespaceName, isPodName } from "../schemas/kube-name.js";
import type { Logger } from "../logger.js";
import { AgentError } from "./agent-error.js";
import type { Claim, ClusterView } from "./cluster-view.js";
import type { CoordinatorDefaults } from "./coordinator-defaults.js";
import type { CoordinatorFieldWarnings } from "./coordinator-warnings.js";
import type { AgentMetrics } from "./metrics.js";
import { SPIDERPOOL_API_VERSION } from "../core/base/well-known-names.js";

export interface CoordinatorDeps {
  api: KubeApi;
  view: ClusterView;
  config: SpiderpoolConfig;
  metrics: AgentMetrics;
  log: Logger;
  defaults: Pick<CoordinatorDefaults, "get">;
  warnings: Pick<CoordinatorFieldWarnings, "warn">;
  /** Epoch ms; the quarantine's expiry is judged by the watcher against the API server's clock. */
  now?: () => number;
}

export type PlanAnswer = CoordinatorPlan | { cniError: CniError };
export type ReportAnswer = { cniError?: CniError };

type Identity = Omit<CoordinatorPlanRequest, "netconf">;

export class CoordinatorService {
  constructor(private readonly d: CoordinatorDeps) {}

  async plan(req: CoordinatorPlanRequest): Promise<PlanAnswer> {
    const idProblem = identityProblem(req);
    if (idProblem) return invalid(idProblem);
    const problems = coordinatorNetConfProblems(req.netconf);
    if (problems.length) return invalid(`invalid coordinator netconf: ${problems.join("; ")}`);
    const conf = CoordinatorNetConfSchema.parse(req.netconf);
    const nic = nicAddresses(conf.prevResult, req.ifName);
    if (!nic.ok) return invalid(`invalid coordinator netconf: ${nic.problem}`);
    await this.#scope(req, nic.addresses);
    this.d.warnings.warn(conf.name, notImplementedFieldsOf(conf), {
      namespace: req.podNamespace,
      name: req.podName,
      uid: req.podUID,
    });
    const cluster = await this.d.defaults.get();
    const probes = planProbes(nic.addresses, {
      ipConflict: effectiveSwitch(conf.detectIPConflict, cluster.detectIPConflict),
      gateway: effectiveSwitch(conf.detectGateway, cluster.detectGateway),
    });
    const { retries, timeoutMs } = detectTiming(conf);
    return {
      probes,
      ifName: req.ifName,
      timeoutMs,
      retries,
      deadlineMs: probes.length * retries * timeoutMs + PROBE_SLACK_MS,
    };
  }

  async report(req: CoordinatorReportRequest): Promise<ReportAnswer> {
    const idProblem = identityProblem(req);
    if (idProblem) return invalid(idProblem);
    const conflicts: { finding: Extract<Finding, { kind: "conflict" }>; address: NicAddress }[] =
      [];
    for (const f of req.findings) {
      if (f.kind !== "conflict") continue;
      const a = readAddress(f.ip);
      if (!a)
        throw new AgentError(
          "invalid_request",
          `findings: conflict ip: expected an address (got ${JSON.stringify(f.ip)})`,
        );
      conflicts.push({
        finding: f,
        address: { ip: f.ip, family: a.family, claim: claimName(a.family, a.value) },
      });
    }
    const pod = await this.#scope(
      req,
      conflicts.map(c => c.address),
    );
    const gateways = req.findings.filter(
      (f): f is Extract<Finding, { kind: "gatewayUnreachable" }> => f.kind === "gatewayUnreachable",
    );
    this.#checkGateways(req, gateways);
    const lines: string[] = [];
    let code: number | undefined;
    for (const { finding, address } of conflicts) {
      const claim = this.d.view.claim(address.claim)!;
      lines.push(await this.#conflict(req, pod, claim, finding.mac));
      code = COORDINATOR_CNI_CODES.ipConflict;
    }
    for (const g of gateways) {
      this.d.metrics.gatewayUnreachable.inc();
      const line = `gateway ${g.ip} is unreachable from pod ${req.podNamespace}/${req.podName} NIC ${req.ifName}: no answer after ${g.attempts} attempt(s) in ${g.waitedMs} ms`;
      this.d.log.warn("gateway unreachable", {
        pod: `${req.podNamespace}/${req.podName}`,
        nic: req.ifName,
        gateway: g.ip,
        attempts: g.attempts,
        waitedMs: g.waitedMs,
      });
      void recordEvent(
        this.d.api,
        podRef(pod),
        "Warning",
        "GatewayUnreachable",
        line,
        "spiderpool-agent",
      );
      lines.push(line);
      code ??= COORDINATOR_CNI_CODES.gatewayUnreachable;
    }
    if (code === undefined) return {};
    return {
      cniError: {
        code,
        msg: lines.join("; "),
        details:
          "reported by the coordinator plugin's probes in the pod's network namespace; docs/usage/conflict-detection.md",
      },
    };
  }

  /** Quarantines or keeps one conflicting address; returns the line for the runtime. */
  async #conflict(req: Identity, pod: Pod, claim: Claim, mac: string): Promise<string> {
    const ref = `${req.podNamespace}/${req.podName}`;
    const addr = claim.spec.address;
    const pool = this.d.view.pools.get(claim.spec.pool);
    const poolRef = {
      apiVersion: SPIDERPOOL_API_VERSION,
      kind: "SpiderIPPool",
      metadata: {
        name: claim.spec.pool,
        ...(pool?.metadata.uid ? { uid: pool.metadata.uid } : {}),
      },
    };
    if (conflictOutcome(claim.spec) === "keep") {
      this.d.metrics.ipConflicts.inc({ outcome: "kept" });
      const line = `IP conflict: ${addr} (pod ${ref} NIC ${req.ifName}) is answered by MAC ${mac}, another host; the address stays with the StatefulSet pod: remove or re-address that host`;
      this.d.log.warn("IP conflict; StatefulSet pod keeps the address", {
        pod: ref,
        nic: req.ifName,
        address: addr,
        mac,
        pool: claim.spec.pool,
      });
      void recordEvent(this.d.api, podRef(pod), "Warning", "IPConflict", line, "spiderpool-agent");
      void recordEvent(this.d.api, poolRef, "Warning", "IPConflict", line, "spiderpool-agent");
      return line;
    }
    const now = (this.d.now ?? Date.now)();
    const until = rfc3339(now + this.d.config.coordinator.quarantineSeconds * 1000);
    let patched: Claim;
    try {
      patched = await quarantineClaim(this.d.api, claim, { until, since: rfc3339(now), mac });
    } catch (e) {
      // Changed since we judged it (another writer): the runtime's retry judges again.
      if (e instanceof K8sError && e.code === "conflict")
        throw new AgentError(
          "retries_exhausted",
          `claim ${claim.metadata.name} of ${addr} changed while quarantining it; retry`,
        );
      throw e;
    }
    // The retry of this ADD must not find the address as the Pod's: update our view now.
    this.d.view.noteClaim(patched);
    this.d.metrics.ipConflicts.inc({ outcome: "quarantined" });
    const line = `IP conflict: ${addr} (pod ${ref} NIC ${req.ifName}) is answered by MAC ${mac}, another host; released from the pod and quarantined in pool ${claim.spec.pool} until ${until}, the retry gets another address`;
    this.d.log.warn("IP conflict; address quarantined", {
      pod: ref,
      nic: req.ifName,
      address: addr,
      mac,
      pool: claim.spec.pool,
      until,
    });
    void recordEvent(this.d.api, podRef(pod), "Warning", "IPConflict", line, "spiderpool-agent");
    void recordEvent(this.d.api, poolRef, "Warning", "IPConflict", line, "spiderpool-agent");
    return line;
  }

  /** Caller trust (core/coordinator-scope.ts); a refusal is logged and thrown as `forbidden`. */
  async #scope(req: Identity, addresses: readonly { ip: string; claim: string }[]): Promise<Pod> {
    const pod = await this.d.view.pod(req.podNamespace, req.podName, req.podUID);
    const facts = pod && { uid: pod.metadata.uid ?? "", node: pod.spec.nodeName ?? "" };
    const scope = probeScope(
      { namespace: req.podNamespace, name: req.podName, uid: req.podUID, ifName: req.ifName },
      this.d.view.nodeName,
      facts,
      addresses,
      n => this.d.view.claim(n),
    );
    if (!scope.ok) {
      this.d.log.warn("coordinator request refused", {
        pod: `${req.podNamespace}/${req.podName}`,
        podUID: req.podUID,
        reason: scope.reason,
      });
      throw new AgentError("forbidden", `coordinator request refused: ${scope.reason}`);
    }
    return pod!;
  }

  /** A gateway finding must be the gateway of a pool the NIC holds an address of. */
  #checkGateways(req: Identity, gateways: readonly { ip: string }[]): void {
    if (!gateways.length) return;
    const known = new Set<string>();
    for (const c of this.d.view.claimsOfUid(req.podUID)) {
      if (c.spec.interface !== req.ifName) continue;
      const gw = this.d.view.pools.get(c.spec.pool)?.spec.gateway;
      const a = gw ? readAddress(gw) : undefined;
      if (a) known.add(claimName(a.family, a.value));
    }
    for (const g of gateways) {
      const a = readAddress(g.ip);
      if (!a || !known.has(claimName(a.family, a.value))) {
        throw new AgentError(
          "forbidden",
          `coordinator request refused: ${g.ip} is not the gateway of any pool pod ${req.podNamespace}/${req.podName} NIC ${req.ifName} holds an address of`,
        );
      }
    }
  }
}

function identityProblem(req: Identity): string | undefined {
  for (const k of [
    "containerID",
    "netns",
    "ifName",
    "podNamespace",
    "podName",
    "podUID",
  ] as const) {
    if (!req[k])
      return `${k} is empty: the runtime must pass ${k === "podNamespace" ? "K8S_POD_NAMESPACE" : k === "podName" ? "K8S_POD_NAME" : k === "podUID" ? "K8S_POD_UID" : `CNI_${k.toUpperCase()}`}`;
  }
  if (!isNamespaceName(req.podNamespace))
    return `podNamespace: expected a Kubernetes namespace name (got ${JSON.stringify(req.podNamespace)})`;
  if (!isPodName(req.podName))
    return `podName: expected a Kubernetes Pod name (got ${JSON.stringify(req.podName)})`;
  return undefined;
}

function invalid(msg: string): { cniError: CniError } {
  return { cniError: { code: COORDINATOR_CNI_CODES.invalidConfig, msg } };
}

function podRef(pod: Pod) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
  };
}
