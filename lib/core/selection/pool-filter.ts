/**
 * Whether one candidate pool may serve one NIC and family of a Pod (docs/reference/allocation.md#filters): Spiderpool's
 * rules a–g in its order and with its reason texts, then our own last rule, exhaustion, so that a
 * full pool is reported as such instead of failing later inside allocation.
 *
 * Rule h (`match_master_subnet`) compares the pool's subnet with the addresses of the NIC's master,
 * which the agent reads on the host and hands over as `master` (master-subnet.ts).
 */
import type { IpFamily } from "../net/address.js";
import { matchLabelSelector } from "../compat/label-selector-match.js";
import type { NicNetwork, NicNetworkError } from "./multus-networks.js";
import { isAutoCreatedPool, type PoolView } from "./pool-view.js";
import { masterSubnetProblem, type MasterFacts } from "./master-subnet.js";
import type { Result } from "../base/result.js";
import { apiVersionOf, type TopController } from "./top-controller.js";
import {
  LABEL_APP_API_GROUP,
  LABEL_APP_API_VERSION,
  LABEL_APP_KIND,
  LABEL_APP_NAME,
  LABEL_APP_NAMESPACE,
} from "../base/well-known-names.js";

/** Which rule skipped a pool. */
export type SkipRule =
  | "terminating"
  | "disabled"
  | "ip_version"
  | "node"
  | "namespace"
  | "pod_affinity"
  | "multus"
  | "master_subnet"
  | "exhausted";

/** A candidate that was filtered out, and why. */
export interface SkippedPool {
  readonly pool: string;
  /** Spiderpool's reason text, sometimes followed by a parenthesised detail of ours. */
  readonly reason: string;
  readonly rule: SkipRule;
}

/** The Pod-side facts the rules compare pools against. */
export interface FilterContext {
  readonly family: IpFamily;
  readonly nic: string;
  readonly podNamespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
  /** `pod.spec.nodeName`. */
  readonly nodeName: string;
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  readonly top: TopController;
  readonly agentNamespace: string;
  /** The NIC's NAD; called only when a non-auto pool reaches rule g. */
  readonly nicNetwork: () => Result<NicNetwork, NicNetworkError>;
  /** Pools already holding an address of this Pod: allocation reuses it, so they are never "full". */
  readonly reusablePools: ReadonlySet<string>;
  /** Set only when the netconf asks for `match_master_subnet` and this is the NIC being added. */
  readonly master?: MasterFacts;
}

/** `undefined` when the pool is usable, otherwise why not. */
export function filterPool(pool: PoolView, context: FilterContext): SkippedPool | undefined {
  const skip = (rule: SkipRule, reason: string): SkippedPool => ({ pool: pool.name, reason, rule });
  const { spec, name } = pool;
  if (pool.terminating) return skip("terminating", `terminating IPPool ${name}`);
  if (spec.disable === true) return skip("disabled", `disabled IPPool ${name}`);
  if (spec.ipVersion === undefined) return skip("ip_version", "nil ippool ipVersion");
  if (spec.ipVersion !== context.family) {
    return skip(
      "ip_version",
      `expect an IPv${context.family} IPPool, but the version of the IPPool ${name} is IPv${spec.ipVersion}`,
    );
  }

  const notHere = nodeMismatch(pool, context.nodeName, context.nodeLabels);
  if (notHere !== undefined) return skip("node", notHere);

  const namespace = ` (namespace ${context.podNamespace})`;
  if ((spec.namespaceName ?? []).length > 0) {
    if (!(spec.namespaceName ?? []).includes(context.podNamespace)) {
      return skip("namespace", `unmatched Namespace name of IPPool ${name}${namespace}`);
    }
  } else if (spec.namespaceAffinity !== undefined) {
    const matched = matchLabelSelector(spec.namespaceAffinity, context.namespaceLabels);
    if (!matched.ok) return skip("namespace", matched.error.message);
    if (!matched.value)
      return skip("namespace", `unmatched Namespace affinity of IPPool ${name}${namespace}`);
  }

  if (spec.podAffinity !== undefined) {
    if (isAutoCreatedPool(pool)) {
      if (!matchesAutoPoolAffinity(spec.podAffinity.matchLabels ?? {}, context.top)) {
        const { top } = context;
        const owner = ` (application ${apiVersionOf(top)} ${top.kind} ${top.namespace}/${top.name})`;
        return skip("pod_affinity", `unmatched Pod annifity of auto-created IPool ${name}${owner}`);
      }
      // An auto pool that belongs to the workload is accepted without the Multus check (docs/reference/allocation.md#filters).
      return exhausted(pool, context);
    }
    const matched = matchLabelSelector(spec.podAffinity, context.podLabels);
    if (!matched.ok) return skip("pod_affinity", matched.error.message);
    if (!matched.value) return skip("pod_affinity", `unmatched Pod affinity of IPPool ${name}`);
  }

  // Spiderpool resolves the NIC's NetworkAttachmentDefinition for every pool, so without Multus
  // (no default-network annotation, no MULTUS_CLUSTER_NETWORK) every pool is rejected (docs/reference/allocation.md#filters).
  // Here a pool without multusName does not care which attachment the NIC came from.
  const multusNames = spec.multusName ?? [];
  if (multusNames.length > 0) {
    const network = context.nicNetwork();
    if (!network.ok) {
      if (network.error.code === "cluster_network_unset") {
        return skip(
          "multus",
          `cluster-network multus isn't set, the IPPool ${name} specified multusName [${multusNames.join(" ")}] unmatched`,
        );
      }
      return skip("multus", network.error.message);
    }
    const wanted = `${network.value.namespace}/${network.value.name}`;
    const qualified = multusNames.map(m =>
      m.includes("/") ? m : `${context.agentNamespace}/${m}`,
    );
    if (!qualified.includes(wanted)) {
      return skip(
        "multus",
        `the spec.multusName [${multusNames.join(" ")}] in the IPPool ${name} used by the Pod interface ${context.nic} ` +
          `is not matched with the multusCR ${wanted} specified by the Pod`,
      );
    }
    // Spiderpool accepts a pool that names the NIC's network here, before the master's subnet
    // is looked at (docs/usage/match-master-subnet.md).
    return exhausted(pool, context);
  }
  if (context.master !== undefined) {
    const problem = masterSubnetProblem({ name, subnet: spec.subnet }, context.master);
    if (problem !== undefined) return skip("master_subnet", problem);
  }
  return exhausted(pool, context);
}

/**
 * Rule d alone: why the pool can serve no Pod of this node (its `nodeName` list leaves the node
 * out, or its `nodeAffinity` does not match the node's labels or cannot be read), `undefined`
 * when it may. It depends on the node only, so the agent also uses it to decide which pools'
 * claims it needs to watch (lib/core/selection/claim-scope.ts).
 */
export function nodeMismatch(
  pool: Pick<PoolView, "name" | "spec">,
  nodeName: string,
  nodeLabels: Readonly<Record<string, string>>,
): string | undefined {
  const { spec, name } = pool;
  const node = ` (node ${nodeName})`;
  if ((spec.nodeName ?? []).length > 0) {
    if (!(spec.nodeName ?? []).includes(nodeName))
      return `unmatched Node name of IPPool ${name}${node}`;
  } else if (spec.nodeAffinity !== undefined) {
    const matched = matchLabelSelector(spec.nodeAffinity, nodeLabels);
    if (!matched.ok) return matched.error.message;
    if (!matched.value) return `unmatched Node affinity of IPPool ${name}${node}`;
  }
  return undefined;
}

/**
 * Our last rule: no free address left. The reason shows the counts, `254/254 addresses used`,
 * plus how many of the rest are reserved when reservations are what fill the pool.
 */
function exhausted(pool: PoolView, context: FilterContext): SkippedPool | undefined {
  if (pool.free > 0n || context.reusablePools.has(pool.name)) return undefined;
  const reserved = pool.total - pool.used;
  const tail = reserved > 0n ? `, ${reserved} reserved` : "";
  return {
    pool: pool.name,
    reason: `${pool.used}/${pool.total} addresses used${tail}`,
    rule: "exhausted",
  };
}

/**
 * Spiderpool's `IsMatchAutoPoolAffinity`: the pool's five `ipam.spidernet.io/app-*` match labels
 * equal the workload's group, version, kind, namespace and name (a missing label reads as "").
 */
function matchesAutoPoolAffinity(
  matchLabels: Readonly<Record<string, string>>,
  top: TopController,
): boolean {
  const expected: Readonly<Record<string, string>> = {
    [LABEL_APP_API_GROUP]: top.group,
    [LABEL_APP_API_VERSION]: top.version,
    [LABEL_APP_KIND]: top.kind,
    [LABEL_APP_NAMESPACE]: top.namespace,
    [LABEL_APP_NAME]: top.name,
  };
  return Object.entries(expected).every(([key, value]) => (matchLabels[key] ?? "") === value);
}
