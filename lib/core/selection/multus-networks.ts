/**
 * Which NetworkAttachmentDefinition a Pod NIC comes from, read from the Multus annotations the way
 * Spiderpool reads them to check a pool's `multusName` (docs/reference/allocation.md#filters): the first NIC from
 * `v1.multus-cni.io/default-network` (else `MULTUS_CLUSTER_NETWORK`), the others from
 * `k8s.v1.cni.cncf.io/networks`.
 */
import { readAddress } from "../net/address.js";
import { parseCidrLenient } from "../net/cidr.js";
import { goPointer, goSlice, goString, goStruct, goUnmarshal } from "../compat/go-json.js";
import { err, ok, type Result } from "../base/result.js";
import { ANNO_MULTUS_DEFAULT_NETWORK, ANNO_MULTUS_NETWORKS } from "../base/well-known-names.js";

/** One element of a network selection annotation; `namespace` already defaulted. */
export interface NetworkSelection {
  readonly namespace: string;
  readonly name: string;
  /** Requested interface name; empty when not given. */
  readonly interface: string;
}

/** The NAD a NIC is attached through, `<namespace>/<name>`. */
export interface NicNetwork {
  readonly namespace: string;
  readonly name: string;
}

/**
 * Why a NIC's NAD is unknown. For `cluster_network_unset` the text names the pool, so callers
 * render it per pool; the other messages are complete.
 */
export type NicNetworkError =
  | { readonly code: "cluster_network_unset" }
  | { readonly code: "invalid_network_annotation"; readonly message: string }
  | { readonly code: "no_network_for_nic"; readonly message: string };

/** What {@link resolveNicNetwork} reads. */
export interface NicNetworkInput {
  readonly nic: string;
  readonly podNamespace: string;
  readonly podAnnotations: Readonly<Record<string, string>>;
  /** Namespace of the agent: the default namespace of the default network. */
  readonly agentNamespace: string;
  /** `MULTUS_CLUSTER_NETWORK`; unset or empty means not configured. */
  readonly clusterNetwork?: string;
}

const selectionCodec = goSlice(
  goPointer(
    goStruct("v1.NetworkSelectionElement", {
      name: goString,
      namespace: goString,
      ips: goSlice(goString),
      mac: goString,
      "infiniband-guid": goString,
      interface: goString,
    }),
  ),
  "[]*v1.NetworkSelectionElement",
);

/**
 * Multus' `ParsePodNetworkAnnotation`: JSON when the value contains `[`, `{` or `"`, otherwise a
 * comma list of `[<ns>/]<name>[@<ifname>]`. Names and namespaces must be DNS-1123 labels,
 * interface names shorter than 16 bytes without `/` or spaces; JSON elements' `mac`,
 * `infiniband-guid` and `ips` are validated. Other JSON keys (`portMappings`, `cni-args`, …) are
 * ignored. An empty value is an error, as in Multus.
 */
export function parseNetworkSelections(
  value: string,
  defaultNamespace: string,
): Result<NetworkSelection[], string> {
  if (value === "") return err(`parsePodNetworkAnnotation: ${value}, ${defaultNamespace}`);
  const selections: NetworkSelection[] = [];
  if (/["[{]/.test(value.trim())) {
    const decoded = goUnmarshal(value, selectionCodec);
    if (!decoded.ok) {
      return err(
        `parsePodNetworkAnnotation: failed to parse pod Network Attachment Selection Annotation JSON format: ${decoded.error}`,
      );
    }
    for (const element of decoded.value) {
      // Multus would dereference a JSON null element and crash; treat it as an empty element.
      const e = element ?? {
        name: "",
        namespace: "",
        ips: [],
        mac: "",
        "infiniband-guid": "",
        interface: "",
      };
      if (e.mac !== "" && !isMac(e.mac))
        return err(
          `parsePodNetworkAnnotation: failed to mac: address ${e.mac}: invalid MAC address`,
        );
      if (e["infiniband-guid"] !== "" && !isMac(e["infiniband-guid"])) {
        return err(
          `parsePodNetworkAnnotation: failed to validate infiniband GUID: address ${e["infiniband-guid"]}: invalid MAC address`,
        );
      }
      for (const ip of e.ips) {
        if (ip.includes("/")) {
          if (!parseCidrLenient(ip).ok)
            return err(`failed to parse CIDR "${ip}": invalid CIDR address: ${ip}`);
        } else if (readAddress(ip) === undefined) {
          return err(`failed to parse IP address "${ip}"`);
        }
      }
      selections.push({
        namespace: e.namespace === "" ? defaultNamespace : e.namespace,
        name: e.name,
        interface: e.interface,
      });
    }
    return ok(selections);
  }
  for (const rawItem of value.split(",")) {
    const parsed = parseObjectName(rawItem.trim());
    if (!parsed.ok) return err(`parsePodNetworkAnnotation: ${parsed.error}`);
    selections.push({
      ...parsed.value,
      namespace: parsed.value.namespace === "" ? defaultNamespace : parsed.value.namespace,
    });
  }
  return ok(selections);
}

/**
 * The NAD of `nic`. The first NIC is `eth0` or, in unnamed multi-NIC mode, `0`; NIC `k` of the
 * unnamed mode is the k-th element of `k8s.v1.cni.cncf.io/networks`. Bare names default to the
 * agent namespace for the default network and to the Pod namespace for the others.
 */
export function resolveNicNetwork(input: NicNetworkInput): Result<NicNetwork, NicNetworkError> {
  const { nic, podAnnotations } = input;
  if (nic === "eth0" || nic === "0") {
    let value = podAnnotations[ANNO_MULTUS_DEFAULT_NETWORK] ?? "";
    if (value === "") {
      if (input.clusterNetwork === undefined || input.clusterNetwork === "")
        return err({ code: "cluster_network_unset" });
      value = input.clusterNetwork;
    }
    const parsed = parseNetworkSelections(value, input.agentNamespace);
    const where = `failed to parse Annotation '${ANNO_MULTUS_DEFAULT_NETWORK}' value '${value}'`;
    if (!parsed.ok)
      return err({
        code: "invalid_network_annotation",
        message: `${where}, error: ${parsed.error}`,
      });
    const [first] = parsed.value;
    if (first === undefined)
      return err({ code: "invalid_network_annotation", message: `${where}: empty result` });
    return ok({ namespace: first.namespace, name: first.name });
  }
  const value = podAnnotations[ANNO_MULTUS_NETWORKS] ?? "";
  const parsed = parseNetworkSelections(value, input.podNamespace);
  if (!parsed.ok)
    return err({
      code: "invalid_network_annotation",
      message: `failed to parse pod network annotation: ${parsed.error}`,
    });
  for (const [index, selection] of parsed.value.entries()) {
    const requested = selection.interface === "" ? `net${index + 1}` : selection.interface;
    if (nic === requested || nic === String(index + 1))
      return ok({ namespace: selection.namespace, name: selection.name });
  }
  return err({
    code: "no_network_for_nic",
    message: `unknown: no matched multus object for NIC '${nic}'. The multus network-attachments: ${value}`,
  });
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Multus' `parsePodNetworkObjectName`: `[<ns>/]<name>[@<ifname>]`. */
function parseObjectName(item: string): Result<NetworkSelection, string> {
  const slashItems = item.split("/");
  let namespace = "";
  let rest: string;
  if (slashItems.length === 2) {
    namespace = (slashItems[0] ?? "").trim();
    rest = slashItems[1] ?? "";
  } else if (slashItems.length === 1) {
    rest = slashItems[0] ?? "";
  } else {
    return err("parsePodNetworkObjectName: Invalid network object (failed at '/')");
  }
  const atItems = rest.split("@");
  const name = (atItems[0] ?? "").trim();
  let ifName = "";
  if (atItems.length === 2) ifName = (atItems[1] ?? "").trim();
  else if (atItems.length !== 1)
    return err("parsePodNetworkObjectName: Invalid network object (failed at '@')");
  for (const part of [namespace, name]) {
    if (part !== "" && !DNS1123_LABEL.test(part)) {
      return err(
        "parsePodNetworkObjectName: Failed to parse: one or more items did not match comma-delimited format " +
          `(must consist of lower case alphanumeric characters). Must start and end with an alphanumeric character), mismatch @ '${part}'`,
      );
    }
  }
  if (
    ifName !== "" &&
    (new TextEncoder().encode(ifName).length > 15 || /[ \t\n\v\f\r/]/.test(ifName))
  ) {
    return err(
      `parsePodNetworkObjectName: Failed to parse interface name: must be less than 15 chars and not contain '/' or spaces. interface name '${ifName}'`,
    );
  }
  return ok({ namespace, name, interface: ifName });
}

/** Go's `net.ParseMAC` forms: 6, 8 or 20 octets with `:` or `-`, or 3, 4 or 10 dotted quads of hex. */
function isMac(text: string): boolean {
  const octets = /^[0-9a-fA-F]{2}(?:([:-])[0-9a-fA-F]{2})*$/.exec(text);
  if (octets !== null) {
    const separator = octets[1] ?? ":";
    const groups = text.split(separator);
    return groups.length === text.split(/[:-]/).length && [6, 8, 20].includes(groups.length);
  }
  if (/^[0-9a-fA-F]{4}(?:\.[0-9a-fA-F]{4})*$/.test(text))
    return [3, 4, 10].includes(text.split(".").length);
  return false;
}
