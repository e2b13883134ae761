import { formatAddress } from "../lib/core/net/address.js";
import { isQuarantined } from "../lib/core/lifecycle/quarantine.js";
import { claimName } from "../lib/schemas/ip-claim.js";
import type { ClusterReads } from "./cluster-reads.js";
import { CliError } from "./cli-error.js";
import type { CommandResult } from "./output.js";
import { parseAddressArg } from "./release-command.js";
import { table } from "./table.js";

/**
 * `spiderpool ip ADDRESS`: who holds the address. The IPClaim named after it is the record
 * (docs/adr/0002-address-claims.md); the Pod and its SpiderEndpoint are read to show whether the
 * holder is still there and what Spiderpool's own record says. Not allocated: exit 1.
 */
export async function ipCommand(reads: ClusterReads, text: string): Promise<CommandResult> {
  const a = parseAddressArg(text);
  const address = formatAddress(a.value, a.family);
  const claim = await reads.claim(claimName(a.family, a.value));
  if (!claim)
    throw new CliError("not_found", `${address} is not allocated: there is no IPClaim for it`);
  const s = claim.spec;
  const [pod, endpoint] = await Promise.all([
    reads.pod(s.podNamespace, s.podName),
    reads.endpoint(s.podNamespace, s.podName),
  ]);
  const quarantined = isQuarantined(s);
  const holderPresent = !!pod && pod.metadata.uid === s.podUID;
  const recorded = endpoint?.status?.current.ips.find(i =>
    [i.ipv4, i.ipv6].some(x => x?.split("/")[0] === address),
  );
  const body = {
    address,
    ipVersion: a.family,
    pool: s.pool,
    since: claim.metadata.creationTimestamp ?? "",
    claim: {
      name: claim.metadata.name,
      uid: claim.metadata.uid,
      resourceVersion: claim.metadata.resourceVersion,
    },
    pod: {
      namespace: s.podNamespace,
      name: s.podName,
      uid: s.podUID,
      // present: a Pod of that name with the claim's UID exists now.
      present: holderPresent,
      ...(pod ? { phase: pod.status?.phase ?? "Unknown", currentUID: pod.metadata.uid } : {}),
    },
    node: s.node,
    interface: s.interface,
    static: s.static === true,
    ...(s.network ? { network: s.network } : {}),
    ...(s.containerID ? { containerID: s.containerID } : {}),
    ...(quarantined && s.quarantine ? { quarantine: s.quarantine } : {}),
    endpoint: endpoint
      ? {
          name: `${endpoint.metadata.namespace}/${endpoint.metadata.name}`,
          uid: endpoint.status?.current.uid ?? "",
          recorded: !!recorded,
          ...(recorded ? { interface: recorded.interface } : {}),
          ...(endpoint.status
            ? {
                owner: `${endpoint.status.ownerControllerType}/${endpoint.status.ownerControllerName}`,
              }
            : {}),
        }
      : null,
  };
  return {
    kind: "IPAddress",
    body,
    table: () => {
      const podText = quarantined
        ? `(quarantined until ${s.quarantine?.until}, answered by ${s.quarantine?.mac})`
        : `${s.podNamespace}/${s.podName}`;
      const state = quarantined
        ? ""
        : holderPresent
          ? ` (${pod?.status?.phase ?? "Unknown"})`
          : pod
            ? ` (gone: a Pod of that name now has uid ${pod.metadata.uid})`
            : " (gone)";
      const rows: [string, string][] = [
        ["ADDRESS", `${address} (IPv${a.family})`],
        ["POOL", s.pool],
        ["POD", podText + state],
        ["POD UID", s.podUID],
        ["NODE", s.node],
        ["INTERFACE", s.interface],
        ["SINCE", claim.metadata.creationTimestamp ?? "unknown"],
        ["STATIC", s.static ? "yes (StatefulSet: follows the Pod name)" : "no"],
        [
          "ENDPOINT",
          !endpoint
            ? "none"
            : `${endpoint.metadata.namespace}/${endpoint.metadata.name}${recorded ? `, records it on ${recorded.interface}` : ", does not record it"}${body.endpoint?.owner ? `, owner ${body.endpoint.owner}` : ""}`,
        ],
      ];
      if (s.network) rows.push(["NETWORK", s.network]);
      return table(["", ""], rows).split("\n").slice(1).join("\n");
    },
  };
}
