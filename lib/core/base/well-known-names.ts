/**
 * Every well-known name on the wire: API groups and versions, the finalizer, and the label,
 * annotation and taint keys this project reads or writes. Spiderpool's are spelled exactly as
 * Spiderpool spells them (pkg/constant), so existing objects and clients keep working; ours live
 * under our claim group. Shipped code names them only through this module (docs/architecture.md);
 * specs and e2e suites may spell them out, since they test the wire spelling.
 *
 * It sits in lib/core's bottom wing and imports nothing, so every folder may use it; lib/schemas
 * re-exports the group and version names as part of the API's identity.
 */

// ---- API identity ----

/** API group of every Spiderpool kind. */
export const SPIDERPOOL_GROUP = "spiderpool.spidernet.io";

/** The single served and storage version (v2beta1 since Spiderpool v0.4.0). */
export const SPIDERPOOL_VERSION = "v2beta1";

/** `apiVersion` of every Spiderpool object: `spiderpool.spidernet.io/v2beta1`. */
export const SPIDERPOOL_API_VERSION = `${SPIDERPOOL_GROUP}/${SPIDERPOOL_VERSION}`;

/** Finalizer the webhook adds to pools and subnets (the group name, reused). */
export const SPIDERPOOL_FINALIZER = SPIDERPOOL_GROUP;

/** API group of our own IPClaim kind (docs/adr/0002-address-claims.md), outside Spiderpool's. */
export const CLAIM_GROUP = "ipam.pepr-spiderpool.io";
export const CLAIM_VERSION = "v1alpha1";
export const CLAIM_API_VERSION = `${CLAIM_GROUP}/${CLAIM_VERSION}`;

/** Labels every claim carries, so pools, Pods and nodes can list their claims by selector. */
export const CLAIM_LABELS = {
  pool: `${CLAIM_GROUP}/pool`,
  podUid: `${CLAIM_GROUP}/pod-uid`,
  podNamespace: `${CLAIM_GROUP}/pod-namespace`,
  podName: `${CLAIM_GROUP}/pod-name`,
  node: `${CLAIM_GROUP}/node`,
} as const;

// ---- Pod and Namespace annotations (docs/reference/annotations.md) ----

/** Pod: the pool of the current NIC. */
export const ANNO_POD_IPPOOL = "ipam.spidernet.io/ippool";
/** Pod: the pools of every NIC. */
export const ANNO_POD_IPPOOLS = "ipam.spidernet.io/ippools";
/** Pod: extra routes. */
export const ANNO_POD_ROUTES = "ipam.spidernet.io/routes";
/** Namespace: default IPv4 pools of its Pods. */
export const ANNO_NS_DEFAULT_V4_POOL = "ipam.spidernet.io/default-ipv4-ippool";
/** Namespace: default IPv6 pools of its Pods. */
export const ANNO_NS_DEFAULT_V6_POOL = "ipam.spidernet.io/default-ipv6-ippool";
/** Pod (template): the subnet of an auto pool, one NIC. */
export const ANNO_SUBNET = "ipam.spidernet.io/subnet";
/** Pod (template): the subnets of auto pools, one item per NIC. */
export const ANNO_SUBNETS = "ipam.spidernet.io/subnets";
/**
 * Pod (template): the size an auto pool should have, `N` or `+N`; on an auto pool: the size it
 * was asked for, recorded as the same annotation.
 */
export const ANNO_IPPOOL_IP_NUMBER = "ipam.spidernet.io/ippool-ip-number";
/** Pod (template): whether the auto pool goes with its workload. */
export const ANNO_IPPOOL_RECLAIM = "ipam.spidernet.io/ippool-reclaim";
/** Pod: Multus' default network. */
export const ANNO_MULTUS_DEFAULT_NETWORK = "v1.multus-cni.io/default-network";
/** Pod: Multus' additional networks. */
export const ANNO_MULTUS_NETWORKS = "k8s.v1.cni.cncf.io/networks";

// ---- SpiderMultusConfig and NetworkAttachmentDefinition (docs/usage/multus-config.md) ----

/** SpiderMultusConfig: name of the NetworkAttachmentDefinition to write, when not the SMC's own. */
export const ANNO_MULTUS_CR_NAME = "multus.spidernet.io/cr-name";
/** SpiderMultusConfig: `cniVersion` of the generated CNI config (default 0.3.1). */
export const ANNO_MULTUS_CNI_VERSION = "multus.spidernet.io/cni-version";
/** SpiderMultusConfig: `name` of the generated CNI config, when not the NAD's name. */
export const ANNO_CNI_CONFIG_NAME = "cni.spidernet.io/cniconfig-name";
/** SpiderMultusConfig: Spiderpool's RDMA resource injection into Pods (copied to a label). */
export const ANNO_RDMA_RESOURCE_INJECT = "cni.spidernet.io/rdma-resource-inject";
/** SpiderMultusConfig: Spiderpool's network resource injection into Pods (copied to a label). */
export const ANNO_NETWORK_RESOURCE_INJECT = "cni.spidernet.io/network-resource-inject";
/** NetworkAttachmentDefinition: the device-plugin resource its NICs need (sriov, ib-sriov, ovs offload). */
export const ANNO_NAD_RESOURCE_NAME = "k8s.v1.cni.cncf.io/resourceName";
/** API group of NetworkAttachmentDefinition. */
export const NAD_GROUP = "k8s.cni.cncf.io";
/** apiVersion of NetworkAttachmentDefinition. */
export const NAD_API_VERSION = `${NAD_GROUP}/v1`;

// ---- Pool and subnet labels ----

/** Label on a pool: the label value of its CIDR (`10-6-0-0-16`); how same-subnet pools find each other. */
export const LABEL_IPPOOL_CIDR = "ipam.spidernet.io/ippool-cidr";
/** Label on a subnet: the label value of its CIDR; how a pool finds the subnet that adopts it. */
export const LABEL_SUBNET_CIDR = "ipam.spidernet.io/subnet-cidr";
/** Label on a pool: name of the SpiderSubnet that controls it. */
export const LABEL_OWNER_SPIDER_SUBNET = "ipam.spidernet.io/owner-spider-subnet";
/** Label on a pool: present only on pools the subnet controller created for an application. */
export const LABEL_OWNER_APPLICATION_NAME = "ipam.spidernet.io/owner-application-name";
/** Auto pool: the owning workload's group and version joined by `_` (`apps_v1`; core: `v1`). */
export const LABEL_OWNER_APPLICATION_GV = "ipam.spidernet.io/owner-application-gv";
/** Auto pool: the owning workload's kind. */
export const LABEL_OWNER_APPLICATION_KIND = "ipam.spidernet.io/owner-application-kind";
/** Auto pool: the owning workload's namespace. */
export const LABEL_OWNER_APPLICATION_NAMESPACE = "ipam.spidernet.io/owner-application-namespace";
/** Auto pool: the owning workload's UID. */
export const LABEL_OWNER_APPLICATION_UID = "ipam.spidernet.io/owner-application-uid";
/** Auto pool: the NIC it serves. */
export const LABEL_IPPOOL_INTERFACE = "ipam.spidernet.io/interface";
/** Auto pool: `IPv4` or `IPv6`. */
export const LABEL_IPPOOL_IP_VERSION = "ipam.spidernet.io/ip-version";
/** Auto pool: `true` when it goes with its workload. */
export const LABEL_IPPOOL_RECLAIM = "ipam.spidernet.io/ippool-reclaim";

/** The `podAffinity.matchLabels` keys of an auto pool: the workload's identity. */
export const LABEL_APP_API_GROUP = "ipam.spidernet.io/app-api-group";
export const LABEL_APP_API_VERSION = "ipam.spidernet.io/app-api-version";
export const LABEL_APP_KIND = "ipam.spidernet.io/app-kind";
export const LABEL_APP_NAMESPACE = "ipam.spidernet.io/app-namespace";
export const LABEL_APP_NAME = "ipam.spidernet.io/app-name";

/** The only `podAffinity.matchLabels` keys an auto-created pool may carry. */
export const AUTO_POOL_POD_AFFINITY_KEYS: readonly string[] = [
  LABEL_APP_API_GROUP,
  LABEL_APP_API_VERSION,
  LABEL_APP_KIND,
  LABEL_APP_NAMESPACE,
  LABEL_APP_NAME,
];

// ---- Our own annotations and Kubernetes' taints ----

/**
 * On a SpiderIPPool once its records are claims: the number of records that were imported. An
 * annotation, not a status field: with Spiderpool's own CRDs still installed the API server
 * prunes status fields their schema does not list.
 */
export const IMPORTED_ANNOTATION = `${CLAIM_GROUP}/allocations-imported`;

/** Kubernetes' own word that a node is dead and its workloads may be recovered elsewhere. */
export const TAINT_OUT_OF_SERVICE = "node.kubernetes.io/out-of-service";
