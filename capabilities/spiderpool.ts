import { SPIDERPOOL_GROUP } from "../lib/core/base/well-known-names.js";
import { Capability, a } from "pepr";
import { mutateIPPool, validateIPPool, validateIPPoolDeletion } from "./ippool-admission.js";
import { mutateSubnet, validateSubnet, validateSubnetDeletion } from "./subnet-admission.js";
import { mutateReservedIP, validateReservedIP } from "./reserved-ip-admission.js";
import { validateCoordinator } from "./coordinator-admission.js";
import { mutateMultusConfig, validateMultusConfigRequest } from "./multus-config-admission.js";
import { validateWorkload } from "./workload-admission.js";
import type { GenericKind } from "kubernetes-fluent-client";
import {
  AUTO_POOL_WORKLOAD_KINDS,
  type AutoPoolWorkloadKind,
} from "../lib/core/auto-pool/auto-pool-workload.js";
import type { KubeObject } from "../lib/k8s/api-client.js";
import { WORKLOAD_COLLECTIONS } from "../lib/k8s/workload-objects.js";
import { watchEvents, type WatchedKind } from "../lib/watcher/event-inbox.js";

/**
 * The one capability of the module. Every binding (kind + event → handler) is listed in this
 * file, so "what reacts to X?" has one answer: admission handlers live beside it, one file per
 * kind, with the rules they apply in lib/core; watch handlers hand their events to the
 * controllers of lib/watcher.
 */
export const Spiderpool = new Capability({
  name: "spiderpool",
  description:
    "Spiderpool-compatible underlay IPAM: admission for Spider CRs, pool status, auto-pools, IP GC and Multus NADs",
});

const { When } = Spiderpool;
const gvk = (kind: string, plural: string) => ({
  group: SPIDERPOOL_GROUP,
  version: "v2beta1",
  kind,
  plural,
});
const IPPool = gvk("SpiderIPPool", "spiderippools");
const Subnet = gvk("SpiderSubnet", "spidersubnets");
const ReservedIP = gvk("SpiderReservedIP", "spiderreservedips");
const Coordinator = gvk("SpiderCoordinator", "spidercoordinators");
const Endpoint = gvk("SpiderEndpoint", "spiderendpoints");
const MultusConfig = gvk("SpiderMultusConfig", "spidermultusconfigs");
const workloadGvk = (kind: AutoPoolWorkloadKind) => {
  const [group, version] = WORKLOAD_COLLECTIONS[kind].apiVersion.split("/") as [string, string];
  const plural = WORKLOAD_COLLECTIONS[kind].path.split("/").pop() as string;
  return { group, version, kind, plural };
};

// SpiderIPPool: finalizer, ipVersion, CIDR label, adoption by its SpiderSubnet, merged ranges.
When(a.GenericKind, IPPool).IsCreatedOrUpdated().Mutate(mutateIPPool);
// SpiderIPPool: syntax, overlap with other pools, gateway/routes, affinities, in-use protection.
When(a.GenericKind, IPPool).IsCreatedOrUpdated().Validate(validateIPPool);
// SpiderIPPool: refuse deletion while addresses are allocated (enableValidatingResourcesDeletedWebhook).
When(a.GenericKind, IPPool).IsDeleted().Validate(validateIPPoolDeletion);

// SpiderSubnet: finalizer, ipVersion, CIDR label, merged ranges.
When(a.GenericKind, Subnet).IsCreatedOrUpdated().Mutate(mutateSubnet);
// SpiderSubnet: syntax, overlap with subnets and pools, ranges handed to pools stay usable.
When(a.GenericKind, Subnet).IsCreatedOrUpdated().Validate(validateSubnet);
// SpiderSubnet: refuse deletion while addresses are handed out (same switch as pools).
When(a.GenericKind, Subnet).IsDeleted().Validate(validateSubnetDeletion);

// SpiderReservedIP: ipVersion from ips[0], merged ranges.
When(a.GenericKind, ReservedIP).IsCreatedOrUpdated().Mutate(mutateReservedIP);
// SpiderReservedIP: syntax and family; deletion is always allowed.
When(a.GenericKind, ReservedIP).IsCreatedOrUpdated().Validate(validateReservedIP);

// SpiderCoordinator: only "default"; fields we do not implement come back as warnings by name.
When(a.GenericKind, Coordinator).IsCreatedOrUpdated().Validate(validateCoordinator);

// SpiderMultusConfig: Spiderpool's per-type defaults, coordinator defaults for all but custom.
When(a.GenericKind, MultusConfig).IsCreatedOrUpdated().Mutate(mutateMultusConfig);
// SpiderMultusConfig: Spiderpool's rules and texts; the NAD it names must not be another SMC's.
When(a.GenericKind, MultusConfig).IsCreatedOrUpdated().Validate(validateMultusConfigRequest);

// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob: malformed IPAM annotations on the
// Pod template are refused with the auto-pool controller's text. Pepr 1.1.4 gives a module one
// failurePolicy (onError: reject → Fail); these rules go into a second webhook entry that fails
// open (scripts/workload-webhook.ts), so this module being down never blocks workloads.
for (const kind of AUTO_POOL_WORKLOAD_KINDS) {
  When(a.GenericKind, workloadGvk(kind)).IsCreatedOrUpdated().Validate(validateWorkload(kind));
}

// Watch bindings: everything the watcher process reacts to. Each handler hands the event to the
// controllers of lib/watcher through one inbox (lib/watcher/event-inbox.ts); they keep their work
// queues (coalescing, one run per key at a time, retries with backoff), their caches and their
// periodic resyncs. Watch, not Reconcile, for every kind: the handler only enqueues and returns
// at once, so Reconcile's per-object FIFO would queue in front of a queue, and it retries nothing
// either. Which controller takes which kind, and why some also keep an informer of their own:
// docs/architecture.md, "What reacts to each kind". These bindings exist only in the watcher
// (Pepr registers Watch bindings in watch, dev and build mode).
const deliver =
  (kind: WatchedKind) =>
  (object: GenericKind, phase: string): void => {
    watchEvents.deliver(kind, object as unknown as KubeObject, phase);
  };

// SpiderIPPool → pool status controller: status projected from the claims, finalizer released
// when none is left. A terminating pool arrives as an update (our finalizer holds it), so the
// final deletion has nothing left to react to.
When(a.GenericKind, IPPool).IsCreatedOrUpdated().Watch(deliver("SpiderIPPool"));
// SpiderSubnet → subnet controller: status and finalizer, as for pools.
When(a.GenericKind, Subnet).IsCreatedOrUpdated().Watch(deliver("SpiderSubnet"));
// SpiderReservedIP → auto-pool controller: workloads left unserved for lack of free addresses try
// again. Deletion frees addresses too, hence both bindings.
When(a.GenericKind, ReservedIP).IsCreatedOrUpdated().Watch(deliver("SpiderReservedIP"));
When(a.GenericKind, ReservedIP).IsDeleted().Watch(deliver("SpiderReservedIP"));
// SpiderEndpoint → IP GC: looks at the claims of the Pod the endpoint records.
When(a.GenericKind, Endpoint).IsCreatedOrUpdated().Watch(deliver("SpiderEndpoint"));
// SpiderMultusConfig → multus config controller: writes its NetworkAttachmentDefinition. Its
// deletion needs nothing: the NAD's owner reference lets the garbage collector remove it.
When(a.GenericKind, MultusConfig).IsCreatedOrUpdated().Watch(deliver("SpiderMultusConfig"));
// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob → auto-pool controller: pools
// created or resized with the workload, reclaimed when it is deleted (hence both bindings).
for (const kind of AUTO_POOL_WORKLOAD_KINDS) {
  When(a.GenericKind, workloadGvk(kind)).IsCreatedOrUpdated().Watch(deliver(kind));
  When(a.GenericKind, workloadGvk(kind)).IsDeleted().Watch(deliver(kind));
}
