import { Capability, a } from "pepr";
import { mutateIPPool, validateIPPool, validateIPPoolDeletion } from "./ippool-admission.js";
import { mutateSubnet, validateSubnet, validateSubnetDeletion } from "./subnet-admission.js";
import { mutateReservedIP, validateReservedIP } from "./reserved-ip-admission.js";
import { validateCoordinator } from "./coordinator-admission.js";
import { validateWorkload } from "./workload-admission.js";
import { AUTO_POOL_WORKLOAD_KINDS } from "../lib/core/auto-pool/auto-pool-workload.js";
import { WORKLOAD_COLLECTIONS } from "../lib/k8s/workload-objects.js";

/**
 * The one capability of the module. Every binding (kind + event → handler) is listed in this
 * file, so "what reacts to X?" has one answer. Handlers live beside it, one file per kind; the
 * rules they apply live in lib/core.
 */
export const Spiderpool = new Capability({
  name: "spiderpool",
  description:
    "Spiderpool-compatible underlay IPAM: admission for Spider CRs, pool status, auto-pools and IP GC",
});

const { When } = Spiderpool;
const gvk = (kind: string, plural: string) => ({
  group: "spiderpool.spidernet.io",
  version: "v2beta1",
  kind,
  plural,
});
const IPPool = gvk("SpiderIPPool", "spiderippools");
const Subnet = gvk("SpiderSubnet", "spidersubnets");
const ReservedIP = gvk("SpiderReservedIP", "spiderreservedips");
const Coordinator = gvk("SpiderCoordinator", "spidercoordinators");

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

// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob: malformed IPAM annotations on the
// Pod template are refused with the auto-pool controller's text. Pepr 1.1.4 gives a module one
// failurePolicy (onError: reject → Fail); these rules go into a second webhook entry that fails
// open (scripts/workload-webhook.ts), so this module being down never blocks workloads.
for (const kind of AUTO_POOL_WORKLOAD_KINDS) {
  const [group, version] = WORKLOAD_COLLECTIONS[kind].apiVersion.split("/") as [string, string];
  const plural = WORKLOAD_COLLECTIONS[kind].path.split("/").pop() as string;
  When(a.GenericKind, { group, version, kind, plural })
    .IsCreatedOrUpdated()
    .Validate(validateWorkload(kind));
}

// Pepr generates the watcher Deployment only for a module with a watch binding, and the
// watcher process is where lib/watcher's controllers run (pepr.ts starts them in watch mode);
// they keep their own informers, so this binding exists to put that process in the cluster.
When(a.GenericKind, IPPool)
  .IsDeleted()
  .Watch(() => undefined);
