/**
 * Why each identity holds each permission, keyed `<apiGroup>/<resource>` ("" is the core group).
 * scripts/gen-security-tables.ts writes these beside the rules of manifests/agent/rbac.yaml and
 * `pepr.rbac` into docs/security.md; a rule without a reason, or a reason without a rule, fails
 * `npm test`. Changing a rule means saying here why.
 */
import { CLAIM_GROUP, SPIDERPOOL_GROUP } from "../lib/core/base/well-known-names.js";
export const AGENT_REASONS: Record<string, string> = {
  "/pods":
    "watch cache of the Pods bound to its node (field selector `spec.nodeName`); GET a Pod its watch has not delivered yet",
  "/namespaces":
    "namespace labels and default-pool annotations for pool selection; namespace of a Pod at DEL",
  "/nodes": "its own Node's labels for node affinity (field selector `metadata.name`)",
  "/events":
    "Warning Events on Pods whose allocation failed; IP conflicts on the Pod and its pool; coordinator fields not implemented",
  "apps/replicasets":
    "the Deployment above a Pod's ReplicaSet (top controller: auto pools, StatefulSet rules)",
  "apps/statefulsets":
    "whether a StatefulSet Pod's addresses must be kept at DEL (replicas, deletion)",
  "batch/jobs": "the CronJob above a Pod's Job",
  [`${SPIDERPOOL_GROUP}/spiderippools`]:
    "watch cache of pools; `create` and `patch` only for the auto pool of a **third-party controller** (a Pod whose top owner is not a built-in kind, e.g. an OpenKruise CloneSet, with `ipam.spidernet.io/subnet` and the mandatory `ippool-ip-number`): the agent creates it at the Pod's ADD and resizes or relabels it, as Spiderpool's agent does. See *Why the agent writes pools* below",
  [`${SPIDERPOOL_GROUP}/spidersubnets`]: "auto pools are carved from subnets",
  [`${SPIDERPOOL_GROUP}/spidersubnets/status`]:
    "the third-party auto pool above is recorded in its subnet first (compare-and-swap on resourceVersion)",
  [`${SPIDERPOOL_GROUP}/spiderreservedips`]: "reserved addresses are never handed out",
  [`${SPIDERPOOL_GROUP}/spidercoordinators`]:
    "cluster-wide defaults of conflict and gateway detection (the object `default`), read-only",
  [`${SPIDERPOOL_GROUP}/spiderendpoints`]:
    "the per-Pod SpiderEndpoint written at ADD (update under resourceVersion), finalizer dropped at DEL",
  [`${CLAIM_GROUP}/ipclaims`]:
    "the allocation ledger: CREATE is the atomic allocation (409 = taken), DELETE with a UID precondition releases, PATCH with a resourceVersion test re-points a StatefulSet claim or quarantines an address another host answered for (the CRD's validation rules keep pool, Pod name and NIC)",
};

export const PEPR_REASONS: Record<string, string> = {
  "/configmaps": "read once at start (`SPIDERPOOL_NAMESPACE`)",
  "/pods": "IP GC: whether a claim's Pod is alive, finished or stuck terminating",
  "/nodes": "IP GC: Pods stuck terminating on a NotReady node",
  "/namespaces": "auto pools and admission checks that read namespace labels",
  "/events":
    "Events on pools, subnets, endpoints and workloads (e.g. `AutoPoolCreated`, `OverlappingIPPool`)",
  "apps/deployments":
    "auto pools follow the workload's replicas and lifetime: the capability's Watch binding (`list`, `watch`) and the auto-pool controller's cache",
  "apps/replicasets":
    "auto pools: the Deployment above a ReplicaSet, and bare ReplicaSets (Watch binding and cache, as Deployments)",
  "apps/statefulsets":
    "auto pools; StatefulSet addresses are kept across restarts (Watch binding and cache, as Deployments)",
  "apps/daemonsets": "auto pools of DaemonSets (Watch binding and cache, as Deployments)",
  "batch/jobs": "auto pools of Jobs (Watch binding and cache, as Deployments)",
  "batch/cronjobs": "auto pools of CronJobs (Watch binding and cache, as Deployments)",
  [`${SPIDERPOOL_GROUP}/spiderippools`]:
    "admission judges against its watch cache of every pool (`list`, `watch`; docs/adr/0010-admission-cache.md) and confirms a refusal with a direct `list`; the capability's Watch binding (`list`, `watch`) and the watcher's cache; the watcher creates, resizes and reclaims auto pools of built-in workloads, drops the finalizer once no claim names the pool, deletes the loser of an overlap race",
  [`${SPIDERPOOL_GROUP}/spiderippools/status`]:
    "pool status is a projection of the claims, written by the watcher only (merge patch)",
  [`${SPIDERPOOL_GROUP}/spidersubnets/status`]: "subnet status (addresses handed to pools)",
  [`${SPIDERPOOL_GROUP}/spidersubnets`]:
    "admission judges against its watch cache of every subnet (`list`, `watch`) and `get`s a pool's controlling subnet; the capability's Watch binding (`list`, `watch`) and the watcher's cache; the watcher drops the subnet finalizer",
  [`${SPIDERPOOL_GROUP}/spiderreservedips`]:
    "reserved addresses are excluded from auto pools: the capability's Watch binding (`list`, `watch`) and the auto-pool controller's cache",
  [`${SPIDERPOOL_GROUP}/spiderendpoints`]:
    "the capability's Watch binding (`list`, `watch`) and IP GC's cache; IP GC removes endpoints of gone Pods and repairs inconsistent ones",
  [`${SPIDERPOOL_GROUP}/spidermultusconfigs`]:
    "the capability's Watch binding (`list`, `watch`) and the watcher's cache: each SpiderMultusConfig is written out as its NetworkAttachmentDefinition (docs/usage/multus-config.md)",
  [`${SPIDERPOOL_GROUP}/spidermultusconfigs/finalizers`]:
    "`update` only: the NAD's controller reference carries `blockOwnerDeletion`, which an API server with OwnerReferencesPermissionEnforcement allows only to who may set the owner's finalizers; nothing is written to SpiderMultusConfigs",
  "k8s.cni.cncf.io/network-attachment-definitions":
    "admission `get`s the NAD a SpiderMultusConfig would write (another SMC may own it); the watcher's cache (`list`, `watch`) re-creates a deleted NAD, `create`s and `update`s NADs to what their SMC says, taking over a pre-existing one; deletion is left to the garbage collector through the owner reference",
  [`${CLAIM_GROUP}/ipclaims`]:
    "admission refuses shrinking a pool under live claims; IP GC deletes claims of gone Pods; pool status counts them; the migration import creates the claims of Spiderpool's records",
  "pepr.dev/peprstores":
    "Pepr's own store; `list` is ours (KFC lists before it watches), the rest Pepr adds itself",
  "apiextensions.k8s.io/customresourcedefinitions":
    "**forced by Pepr**: its controller server-side-applies the `peprstores.pepr.dev` CRD at start",
};
