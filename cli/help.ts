/** The help texts of `spiderpool`, top level and per command (docs/usage/cli.md says the same). */

export const COMMANDS = ["pools", "subnets", "ip", "check", "explain", "release"];

const GLOBAL_FLAGS = `global flags:
  --kubeconfig PATH   kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME      kubeconfig context to use instead of its current-context
  -o, --output FMT    table (default), json or yaml; json and yaml have a stable shape
                      {"apiVersion": "cli.pepr-spiderpool.io/v1alpha1", "kind": ..., ...}
  -h, --help          help of the command
  --version           the CLI's version`;

const EXIT = `exit status: 0 done, 1 findings (check), refused or not found, 2 bad arguments or
malformed input (unknown flag, not an address, unknown context, unreadable file),
3 the cluster is unreachable or refuses the request (forbidden, unauthorized).`;

export const USAGE = `usage: spiderpool <command> [flags]     (also: kubectl spiderpool <command>)

commands:
  pools [POOL...]          address usage per SpiderIPPool, with a usage bar; with names, who
                           holds each address
  subnets [SUBNET...]      usage per SpiderSubnet: addresses given to pools, allocated, and the
                           ranges no pool has yet
  ip ADDRESS               who holds an address: Pod, node, pool, interface, since when
  check [-n NS]            leak report: claims whose Pod is gone, Running Pods whose address has
                           no claim, pool status that disagrees with the claims
  explain WORKLOAD         dry run of pool selection for a Pod, Deployment or StatefulSet
  release ADDRESS          release a leaked address (or --from-report FILE of check)

${GLOBAL_FLAGS}

${EXIT}
spiderpool <command> --help for the command's flags.`;

const HELP: Readonly<Record<string, string>> = {
  pools: `usage: spiderpool pools [POOL...] [-o table|json|yaml]

How full each SpiderIPPool is, counted from the IPClaims (the allocation ledger), with a bar per
pool. With pool names, every address held: by which Pod (and its UID), NIC and node, and whether
it is a StatefulSet (static) address. Claims naming a pool that does not exist are listed.
json/yaml: {"kind": "PoolList", "items": [...], "orphanClaims": [...]}`,
  subnets: `usage: spiderpool subnets [SUBNET...] [-o table|json|yaml]

Per SpiderSubnet: its addresses (ips − excludeIPs), how many of them its pools hold, how many of
those are allocated, and the free ranges (in no pool yet).
json/yaml: {"kind": "SubnetList", "items": [...]}`,
  ip: `usage: spiderpool ip ADDRESS [-o table|json|yaml]

Who holds ADDRESS: its IPClaim (pool, Pod, UID, node, interface, since when), the Pod as it is
now, and the SpiderEndpoint's record of it. Exit 1 when the address is not allocated.
json/yaml: {"kind": "IPAddress", ...}`,
  check: `usage: spiderpool check [-n NAMESPACE] [-o table|json|yaml]

A leak report, like calicoctl ipam check:
  LeakedClaim           a claim whose Pod (by UID) is gone or finished
  UnclaimedPodAddress   a Running Pod showing an address of a pool without a claim for it
  PoolStatusMismatch    a pool's status.allocatedIPs / allocatedIPCount disagreeing with claims
Writes nothing. -n limits the Pods and claims looked at to one namespace. Exit 1 when there are
findings. Save it with -o json (or yaml) and give it to release --from-report.
json/yaml: {"kind": "CheckReport", "items": [...]}`,
  explain: `usage: spiderpool explain POD | pod/NAME | deployment/NAME | statefulset/NAME [-n NS]
       spiderpool explain -f POD.yaml [--node NODE]

A dry run of pool selection with the agent's own rules: every candidate pool, taken (with its
try order) or skipped with the rule and reason, and what the CNI ADD would do. For a Deployment
or StatefulSet: each of its Pods, or its Pod template when it has none yet (give --node).
flags:
  -n, --namespace NS            namespace of the workload (default: the kubeconfig context's
                                namespace, else default)
  -f, --filename FILE           a Pod manifest not created yet
  --nic NAME                    the interface to explain (default eth0)
  --node NODE                   the node to assume for a Pod not bound yet
  --default-ipv4-ippool a,b     the CNI netconf's default_ipv4_ippool (the CLI cannot see it)
  --default-ipv6-ippool c       the CNI netconf's default_ipv6_ippool
  --cluster-network NS/NAD      Multus' cluster network
  --agent-namespace NS          where ConfigMap spiderpool-conf lives (default kube-system)
json/yaml: {"kind": "ExplanationList", "items": [...]}`,
  release: `usage: spiderpool release ADDRESS [--dry-run] [--force]
       spiderpool release --from-report REPORT [--dry-run]

Deletes the IPClaim of a leaked address. Refused while the Pod holding it (by UID) is alive or
terminating, and while a StatefulSet still wants the Pod's ordinal (--force overrides only that).
--from-report releases exactly the LeakedClaim findings of a saved check report, each only while
its claim still has the UID and resourceVersion the report saw; exit 1 when any was refused.
json/yaml: {"kind": "ReleaseResult", "items": [...]}`,
};

export function helpText(topic?: string): string {
  if (topic === undefined) return USAGE;
  return `${HELP[topic] ?? USAGE}\n\n${GLOBAL_FLAGS}\n\n${EXIT}`;
}
