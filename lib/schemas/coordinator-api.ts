/**
 * The contract between the `coordinator` CNI executable (cni/coordinator, Go) and the agent:
 * `POST /v1/coordinator/plan` says what to probe, `POST /v1/coordinator/report` hands back what
 * answered. The executable holds no policy: the agent decides and writes every error text
 * (docs/usage/conflict-detection.md). The Go side mirrors COORDINATOR_CNI_CODES.
 */
import * as z from "zod/mini";

/**
 * CNI error codes of the coordinator. 7 and 11 are the CNI spec's ("invalid network config",
 * "try again later"); 100 and up are ours. The Go executable mirrors this table.
 */
export const COORDINATOR_CNI_CODES = {
  /** The netconf or the request is wrong: unknown or ill-typed field, value out of range. */
  invalidConfig: 7,
  /** The agent cannot decide now (unreachable, not ready, a write lost a race): the runtime retries. */
  tryAgain: 11,
  /** A probe could not run (netns, interface, socket): the executable's own failure. */
  probeFailed: 100,
  /** Another host answers for the Pod's address. */
  ipConflict: 101,
  /** The gateway did not answer. */
  gatewayUnreachable: 102,
} as const;

export const CniErrorSchema = z.object({
  code: z.int(),
  msg: z.string(),
  details: z.optional(z.string()),
});
export type CniError = z.infer<typeof CniErrorSchema>;

/** Who asks: the CNI call's identity (CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, K8S_POD_*). */
const identity = {
  containerID: z.string(),
  netns: z.string(),
  ifName: z.string(),
  podNamespace: z.string(),
  podName: z.string(),
  podUID: z.string(),
};

/** `netconf` is the whole stdin object; the agent validates it itself so it can answer with a CNI error. */
export const CoordinatorPlanRequestSchema = z.object({ ...identity, netconf: z.unknown() });
export type CoordinatorPlanRequest = z.infer<typeof CoordinatorPlanRequestSchema>;

export const ProbeSchema = z.object({
  kind: z.enum(["conflict", "gateway"]),
  ip: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  /** Gateway probes: the Pod's own address to send from. */
  source: z.optional(z.string()),
});
export type Probe = z.infer<typeof ProbeSchema>;

export interface CoordinatorPlan {
  probes: Probe[];
  ifName: string;
  timeoutMs: number;
  retries: number;
  deadlineMs: number;
}

// A MAC as the prober prints it: six pairs of hex digits.
const mac = z
  .string()
  .check(z.regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i, "expected a MAC address aa:bb:cc:dd:ee:ff"));

export const FindingSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("conflict"), ip: z.string(), mac }),
  z.object({
    kind: z.literal("gatewayUnreachable"),
    ip: z.string(),
    attempts: z.int().check(z.gte(0), z.lte(1000)),
    waitedMs: z.int().check(z.gte(0), z.lte(600_000)),
  }),
]);
export type Finding = z.infer<typeof FindingSchema>;

export const CoordinatorReportRequestSchema = z.object({
  ...identity,
  findings: z.array(FindingSchema).check(z.maxLength(64)),
});
export type CoordinatorReportRequest = z.infer<typeof CoordinatorReportRequestSchema>;
