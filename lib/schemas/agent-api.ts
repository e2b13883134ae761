/**
 * The contract between the `spiderpool` CNI plugin and the per-node agent: HTTP/1.1 over a unix
 * socket, base path `/v1`, JSON bodies, field names as Spiderpool's agent OpenAPI
 * (docs/reference/agent-api.md), so either side can talk to Spiderpool's counterpart.
 *
 * Written with `zod/mini` because the plugin imports it and every CNI exec pays its load time.
 */
import * as z from "zod/mini";
import { isNamespaceName, isPodName } from "./kube-name.js";

/** Default path of the agent's socket. */
export const DEFAULT_AGENT_SOCKET = "/var/run/spidernet/spiderpool.sock";

const str = z.string();
const optStr = z.optional(z.string());

/**
 * The Pod a request names. The agent puts both into API paths, so a name the API server would
 * refuse (`..`, `/`, `?`, upper case) is refused here, before any request (docs/security.md).
 */
const podNamespace = z
  .string()
  .check(
    z.refine(
      isNamespaceName,
      "expected a Kubernetes namespace name (DNS-1123 label, at most 63 characters)",
    ),
  );
const podName = z
  .string()
  .check(
    z.refine(
      isPodName,
      "expected a Kubernetes Pod name (DNS-1123 subdomain, at most 253 characters)",
    ),
  );

/** `POST /v1/ipam/ip`: allocate for one NIC of a Pod (and, on the first call, every NIC it declares). */
export const IpamAddArgsSchema = z.object({
  containerID: z.string().check(z.minLength(1)),
  ifName: z.string().check(z.minLength(1)),
  netNamespace: str,
  podNamespace,
  podName,
  podUID: str,
  defaultIPv4IPPool: z.optional(z.array(z.string())),
  defaultIPv6IPPool: z.optional(z.array(z.string())),
  cleanGateway: z.optional(z.boolean()),
  matchMasterSubnet: z.optional(z.boolean()),
  /**
   * Ours, sent with `matchMasterSubnet`: the main plugin's `master` and `deviceID` (an SR-IOV VF's
   * PCI address), from which the agent finds the master whose subnet pools must have.
   */
  master: z.optional(z.string()),
  deviceID: z.optional(z.string()),
  /** Ours: the netconf `name`, recorded so a later CNI GC of this network touches only its own attachments. */
  networkName: z.optional(z.string()),
});
export type IpamAddArgs = z.infer<typeof IpamAddArgsSchema>;

/** One address handed to one NIC; `address` carries the pool subnet's prefix length. */
export const IpConfigSchema = z.object({
  version: z.union([z.literal(4), z.literal(6)]),
  address: z.string(),
  nic: z.string(),
  ipPool: optStr,
  gateway: optStr,
  vlan: z.optional(z.number()),
  mac: optStr,
  enableGatewayDetection: z.optional(z.boolean()),
  enableIPConflictDetection: z.optional(z.boolean()),
});
export type IpConfig = z.infer<typeof IpConfigSchema>;

export const AgentRouteSchema = z.object({ ifName: z.string(), dst: z.string(), gw: z.string() });
export type AgentRoute = z.infer<typeof AgentRouteSchema>;

export const DnsSchema = z.object({
  domain: optStr,
  nameservers: z.optional(z.array(z.string())),
  options: z.optional(z.array(z.string())),
  search: z.optional(z.array(z.string())),
});

/** The allocation of every NIC the agent knows for the Pod; the plugin keeps its own NIC's part. */
export const IpamAddResponseSchema = z.object({
  ips: z.array(IpConfigSchema),
  routes: z.optional(z.array(AgentRouteSchema)),
  dns: z.optional(DnsSchema),
});
export type IpamAddResponse = z.infer<typeof IpamAddResponseSchema>;

/** `DELETE /v1/ipam/ip`: release on CNI DEL; idempotent, succeeds for unknown containers. */
export const IpamDelArgsSchema = z.object({
  containerID: z.string().check(z.minLength(1)),
  ifName: z.string().check(z.minLength(1)),
  netNamespace: optStr,
  podNamespace,
  podName,
  podUID: str,
});
export type IpamDelArgs = z.infer<typeof IpamDelArgsSchema>;

/** `DELETE /v1/ipam/ips`: release every address of the Pod (after a detected conflict). */
export const IpamBatchDelArgsSchema = z.object({
  containerID: z.string().check(z.minLength(1)),
  netNamespace: optStr,
  podNamespace,
  podName,
  podUID: str,
  isReleaseConflictIPs: z.optional(z.boolean()),
});
export type IpamBatchDelArgs = z.infer<typeof IpamBatchDelArgsSchema>;

/**
 * `POST /v1/ipam/check` (ours; CNI CHECK): does the agent still hold exactly these addresses for
 * this Pod and NIC? 200 when yes; 500 with the mismatch otherwise.
 */
export const IpamCheckArgsSchema = z.object({
  containerID: z.string().check(z.minLength(1)),
  ifName: z.string().check(z.minLength(1)),
  podNamespace,
  podName,
  podUID: str,
  addresses: z.array(z.string()),
});
export type IpamCheckArgs = z.infer<typeof IpamCheckArgsSchema>;

/**
 * `POST /v1/ipam/gc` (ours; CNI 1.1 GC): the runtime's list of attachments that are still valid on
 * this node; the agent releases allocations of this node's attachments that are not listed.
 */
export const IpamGcArgsSchema = z.object({
  /** The network the runtime is collecting: only attachments made through it are considered. */
  networkName: z.optional(z.string()),
  validAttachments: z.array(z.object({ containerID: z.string(), ifname: z.string() })),
});
export type IpamGcArgs = z.infer<typeof IpamGcArgsSchema>;

/** `GET /v1/workloadendpoint?podNamespace=&podName=`. */
export const WorkloadEndpointStatusSchema = z.object({
  podNamespace: z.string(),
  podName: z.string(),
  podUID: z.string(),
  node: z.string(),
  interfaces: z.array(
    z.object({
      interface: z.string(),
      ipv4: optStr,
      ipv6: optStr,
      ipv4Pool: optStr,
      ipv6Pool: optStr,
      ipv4Gateway: optStr,
      ipv6Gateway: optStr,
      mac: optStr,
      vlan: z.optional(z.number()),
      routes: z.optional(z.array(z.object({ dst: z.string(), gw: z.string() }))),
    }),
  ),
});
export type WorkloadEndpointStatus = z.infer<typeof WorkloadEndpointStatusSchema>;

/**
 * Failures are HTTP 500 with a JSON string body (Spiderpool's convention; 400 for a request that
 * does not validate, 403 `forbidden` for one about another Pod's or node's addresses). Ours also send a
 * header `X-Spiderpool-Error-Code` naming the error class, so the plugin can tell "try again
 * later" (agent not ready, API server unreachable) from a definitive refusal.
 */
export const ERROR_CODE_HEADER = "x-spiderpool-error-code";

/** Error classes the agent reports; `retryable` ones become CNI error code 11. */
export const AGENT_ERROR_CODES = [
  "invalid_request",
  "pod_not_found",
  "pod_not_on_node",
  "forbidden",
  "dead_pod",
  "no_available_pool",
  "ip_used_out",
  "retries_exhausted",
  "not_ready",
  "api_unavailable",
  "internal",
] as const;
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];
export const RETRYABLE_AGENT_ERRORS: readonly AgentErrorCode[] = [
  "not_ready",
  "api_unavailable",
  "retries_exhausted",
];

/**
 * Ours, not Spiderpool's: `POST /v1/cni/exec` runs one whole CNI call of the plugin inside the
 * agent, for the exec shim (cni/shim, docs/adr/0006-exec-shim.md). `env` holds the call's CNI_*
 * variables, `stdin` the netconf bytes in base64, `startedAtMs` when the runtime started the shim
 * (the call's deadline counts from there).
 */
export const CniExecArgsSchema = z.object({
  env: z.record(
    z.string().check(z.regex(/^CNI_[A-Z_]+$/, "expected a CNI_* variable name")),
    z.string(),
  ),
  stdin: z.base64("expected base64 text"),
  startedAtMs: z.optional(z.number().check(z.int())),
});
export type CniExecArgs = z.infer<typeof CniExecArgsSchema>;

/** What the plugin printed and returned; the shim writes both streams and exits with `exitCode`. */
export const CniExecResultSchema = z.object({
  exitCode: z.number().check(z.int()),
  stdout: z.string(),
  stderr: z.string(),
});
export type CniExecResult = z.infer<typeof CniExecResultSchema>;
