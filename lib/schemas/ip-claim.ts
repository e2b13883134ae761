/**
 * IPClaim (cluster-scoped, short name `ipc`): one object per allocated address, named after the
 * address. Creating it is the atomic step that makes an address a Pod's: the API server refuses
 * a second object of the same name (409), so no two Pods can hold one address, whichever node
 * or process asks. It is our own kind, outside Spiderpool's API group; see
 * docs/adr/0002-address-claims.md.
 */
import { z } from "zod";
import { SPIDERPOOL_CATEGORY } from "./api-group.js";
import type { CrdNames } from "./crd.js";
import { IpVersionSchema, objectRootShape } from "./shared-fields.js";
import { CLAIM_GROUP, CLAIM_VERSION } from "../core/base/well-known-names.js";
/** The claim group, version and labels live with every other wire name in lib/core/base/well-known-names.ts. */
export {
  CLAIM_GROUP,
  CLAIM_VERSION,
  CLAIM_API_VERSION,
  CLAIM_LABELS,
} from "../core/base/well-known-names.js";

/**
 * A field the API server keeps as created: only the re-pointing of a StatefulSet claim to the
 * Pod's new incarnation (podUID, node, containerID; lib/k8s/claim-store.ts repointClaim) may
 * change a claim, so the address can never move to another pool or Pod by an update
 * (docs/adr/0002-address-claims.md).
 */
const immutable = (field: string) => ({
  "x-kubernetes-validations": [{ rule: "self == oldSelf", message: `spec.${field} is immutable` }],
});

/** The same for an optional field: it may be neither added, removed nor changed. */
const immutableOptional = (field: string) => ({
  rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`,
  message: `spec.${field} is immutable`,
});

/**
 * Set when another host answered for the address (docs/usage/conflict-detection.md): the claim
 * no longer belongs to the Pod (podUID is QUARANTINE_POD_UID) and holds the address so nobody
 * picks it until `until`, when the watcher's GC deletes the claim.
 */
export const QuarantineSchema = z
  .strictObject({
    until: z.string().meta({ description: "RFC 3339 time after which the address is freed." }),
    since: z.string().meta({ description: "RFC 3339 time the conflict was found." }),
    mac: z.string().meta({ description: "MAC address that answered for the address." }),
    podUID: z
      .string()
      .meta({ description: "UID of the Pod that held the address when the conflict was found." }),
  })
  .meta({ description: "The address is quarantined after an IP conflict." });

/** The podUID of a quarantined claim: no Pod has it, so no ADD, DEL or Pod GC takes the claim as its own. */
export const QUARANTINE_POD_UID = "quarantine";

export const ClaimSpecSchema = z
  .strictObject({
    // 45: the longest textual IPv6 address (IPv4-embedded form); bounds the CEL rules' cost.
    address: z
      .string()
      .max(45)
      .meta({
        description: "The claimed address, canonical, without prefix length.",
        ...immutable("address"),
      }),
    ipVersion: IpVersionSchema.meta(immutable("ipVersion")),
    pool: z
      .string()
      .meta({ description: "SpiderIPPool the address belongs to.", ...immutable("pool") }),
    podNamespace: z.string().meta(immutable("podNamespace")),
    podName: z.string().meta(immutable("podName")),
    podUID: z.string().meta({
      description:
        "UID of the Pod holding the address; re-pointed when a StatefulSet Pod is re-created.",
    }),
    interface: z
      .string()
      .meta({ description: "NIC of the Pod, e.g. eth0 or net1.", ...immutable("interface") }),
    node: z.string().meta({
      description: "Node the Pod ran on when the address was claimed or last re-pointed.",
    }),
    containerID: z.string().optional(),
    network: z
      .string()
      .meta({ description: "CNI network (netconf name) the attachment was made through." })
      .optional(),
    static: z
      .boolean()
      .meta({
        description:
          "True for StatefulSet Pods: the claim follows the Pod name across re-creation.",
      })
      .optional(),
    quarantine: QuarantineSchema.optional(),
  })
  .meta({
    description: "Who holds the address.",
    "x-kubernetes-validations": [immutableOptional("network"), immutableOptional("static")],
  });
export type ClaimSpec = z.infer<typeof ClaimSpecSchema>;

/**
 * The name is the address (claimName below): one object per address is what makes CREATE the
 * atomic allocation, so a claim named after one address but holding another would let two Pods
 * hold the same address. The API server checks it, whoever writes. For IPv6 it checks the form
 * only: writing the address out as 32 hex digits in CEL (from the name or from the address)
 * exceeds the cost budget kube-apiserver allows a CRD rule, so there the agent's claimName is
 * the only guard of the digits (docs/security.md).
 */
const CLAIM_RULES = [
  {
    rule: "isIP(self.spec.address) && ip(self.spec.address).family() == self.spec.ipVersion",
    message: "spec.address must be an IP address of the family spec.ipVersion",
  },
  {
    rule: "self.spec.ipVersion != 4 || self.metadata.name == self.spec.address",
    message: "metadata.name must be derived from spec.address: for IPv4 the address itself",
  },
  {
    rule: "self.spec.ipVersion != 6 || self.metadata.name.matches('^v6-[0-9a-f]{32}$')",
    message: "metadata.name must be derived from spec.address: for IPv6 v6- and its 32 hex digits",
  },
];

export const IPClaimSchema = z.strictObject({ ...objectRootShape, spec: ClaimSpecSchema }).meta({
  description:
    "IPClaim records that one address is allocated; its name is derived from the address.",
  "x-kubernetes-validations": CLAIM_RULES,
});
export type IPClaim = z.infer<typeof IPClaimSchema>;

export const IPClaimCrdNames: CrdNames = {
  group: CLAIM_GROUP,
  version: CLAIM_VERSION,
  kind: "IPClaim",
  plural: "ipclaims",
  shortNames: ["ipc"],
  categories: [SPIDERPOOL_CATEGORY],
  scope: "Cluster",
  statusSubresource: false,
  printerColumns: [
    { name: "ADDRESS", type: "string", jsonPath: ".spec.address", description: "claimed address" },
    { name: "POOL", type: "string", jsonPath: ".spec.pool", description: "SpiderIPPool" },
    {
      name: "NAMESPACE",
      type: "string",
      jsonPath: ".spec.podNamespace",
      description: "Pod namespace",
    },
    { name: "POD", type: "string", jsonPath: ".spec.podName", description: "Pod name" },
    { name: "INTERFACE", type: "string", jsonPath: ".spec.interface", description: "NIC" },
    { name: "NODE", type: "string", jsonPath: ".spec.node", description: "node" },
  ],
};

/**
 * Object name of the claim for an address: IPv4 dotted form is a valid name as it is; IPv6
 * becomes `v6-` plus the 32 hex digits, since `:` is not allowed and compressed forms could
 * start or end with a separator.
 */
export function claimName(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map(s => String((value >> s) & 255n)).join(".");
  return `v6-${value.toString(16).padStart(32, "0")}`;
}
