/**
 * The one configuration of the system: ConfigMap `spiderpool-conf`, key `conf.yml`, read by the
 * agent and the Pepr module at start. Keys are Spiderpool's where Spiderpool has them, with the
 * chart's defaults; `gc` and `agent` hold our own knobs. The file Spiderpool's chart renders
 * loads; its keys for features we do not have are judged in spiderpool-only-keys.ts (each key's
 * class: docs/usage/configuration.md). Unknown keys are refused so a typo cannot silently fall
 * back to a default.
 */
import { z } from "zod";
import {
  IaasNetworkProviderSchema,
  judgeSpiderpoolKeys,
  NetworkResourcePluginSchema,
  PodResourceInjectSchema,
  RETIRED_KEYS,
  type ConfigWarning,
} from "./spiderpool-only-keys.js";

export type { ConfigWarning } from "./spiderpool-only-keys.js";

const bool = (d: boolean) => z.boolean().default(d);
const seconds = (d: number) => z.number().int().min(0).default(d);

export const GcConfigSchema = z.strictObject({
  /** Master switch of IP garbage collection. */
  enabled: bool(true),
  /** Period of the full scan that reconciles every claim with Pods and SpiderEndpoints. */
  scanAllIntervalSeconds: z.number().int().min(10).default(600),
  /** Extra wait after a Pod's grace period before its addresses are reclaimed. */
  additionalGraceDelaySeconds: seconds(0),
  /** Release addresses of stateless Pods stuck Terminating on a Ready node. */
  terminatingPodOnReadyNode: bool(true),
  /** Release addresses of stateless Pods stuck Terminating on a NotReady node. */
  terminatingPodOnNotReadyNode: bool(true),
  /** Release addresses of Running stateless Pods that report no podIPs (off: such Pods may be starting). */
  statelessRunningPodOnEmptyPodStatusIPs: bool(false),
  /**
   * Ours: addresses of Pods on a NotReady node wait until the node is known dead (deleted, or
   * tainted out-of-service); after this many seconds of NotReady they are released anyway.
   * 0 = wait (docs/concepts/gc.md).
   */
  notReadyNodeReleaseAfterSeconds: seconds(0),
  /**
   * Ours: addresses of Pods gone or stuck Terminating on a Ready node wait for the node's agent
   * to confirm that no sandbox there still holds them; after this many seconds they are released
   * anyway, with a Warning Event. 0 = do not wait (docs/concepts/gc.md).
   */
  readyNodeReleaseAfterSeconds: seconds(600),
});

export const AgentConfigSchema = z.strictObject({
  /** Lowest free addresses a request chooses among (hash of Pod UID), to spread concurrent agents. */
  addressWindow: z.number().int().min(1).max(1024).default(16),
  /** Attempts per pool when other agents keep winning the race for the chosen address. */
  claimAttemptsPerPool: z.number().int().min(1).max(100).default(16),
  /** Waiting for a controller-made auto pool: attempts and the pause between them. */
  waitSubnetPoolMaxRetries: z.number().int().min(1).default(25),
  waitSubnetPoolSeconds: z.number().min(0).default(2),
  /**
   * How often the agent looks at the sandboxes it recorded, to confirm that no sandbox holds the
   * addresses of this node's gone Pods (docs/concepts/gc.md, "Ready nodes: the agent confirms").
   */
  sandboxCheckIntervalSeconds: z.number().int().min(1).max(3600).default(10),
  /** How often the agent compares its node's running Pods with the claims (docs/concepts/gc.md, "Claims against reality"). */
  claimAuditIntervalSeconds: z.number().int().min(5).max(86400).default(60),
});

/** Ours: the agent's side of the coordinator plugin (docs/usage/conflict-detection.md). */
export const CoordinatorConfigSchema = z.strictObject({
  /** How long an address another host answered for stays out of every pool before GC frees it. */
  quarantineSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86400)
    .default(600),
});

export const SpiderpoolConfigSchema = z.strictObject({
  ipamUnixSocketPath: z.string().min(1).default("/var/run/spidernet/spiderpool.sock"),
  enableIPv4: bool(true),
  enableIPv6: bool(true),
  enableStatefulSet: bool(true),
  /** Not implemented; `true` (the chart's default) is accepted with a warning. */
  enableKubevirtStaticIP: bool(false),
  enableSpiderSubnet: bool(true),
  enableAutoPoolForApplication: bool(true),
  /** Not implemented; `true` is refused. */
  enableCleanOutdatedEndpoint: bool(false),
  /** `true` is refused: detection is the chained coordinator plugin's (docs/usage/conflict-detection.md). */
  enableIPConflictDetection: bool(false),
  /** `true` is refused, as enableIPConflictDetection. */
  enableGatewayDetection: bool(false),
  enableValidatingResourcesDeletedWebhook: bool(false),
  /** Default `+N` of auto pools (the key Spiderpool's code reads). */
  clusterSubnetAutoPoolDefaultRedundantIPNumber: z.number().int().min(0).default(1),
  /** The key Spiderpool's chart writes for the same number; accepted as an alias. */
  clusterSubnetDefaultFlexibleIPNumber: z.number().int().min(0).optional(),
  /** Not implemented; `true` (the chart's default) is accepted with a warning. */
  tuneSysctlConfig: bool(false),
  gc: GcConfigSchema.default(GcConfigSchema.parse({})),
  agent: AgentConfigSchema.default(AgentConfigSchema.parse({})),
  coordinator: CoordinatorConfigSchema.default(CoordinatorConfigSchema.parse({})),
});
export type SpiderpoolConfig = z.infer<typeof SpiderpoolConfigSchema>;

/**
 * What a `conf.yml` may hold: our keys and Spiderpool's keys for features we do not have (typed
 * and strict too). The latter are dropped from the parsed value: nothing may read them.
 */
const ConfFileSchema = SpiderpoolConfigSchema.extend({
  podResourceInject: PodResourceInjectSchema.optional(),
  iaasNetworkProvider: IaasNetworkProviderSchema.optional(),
  agent: AgentConfigSchema.extend({
    networkResourcePlugin: NetworkResourcePluginSchema.optional(),
  }).default(AgentConfigSchema.parse({})),
});

/**
 * Parses the decoded `conf.yml` value. On failure returns one line per problem naming the key
 * and what it accepts, e.g. `conf.yml: gc.scanAllIntervalSeconds: expected an integer >= 10, got "5m"`.
 * On success, `warnings` names each key accepted but not acted on; the caller logs them in one
 * line at start (configWarningLine).
 */
export function parseConfig(
  raw: unknown,
):
  | { ok: true; value: SpiderpoolConfig; warnings: ConfigWarning[] }
  | { ok: false; errors: string[] } {
  const r = ConfFileSchema.safeParse(raw ?? {});
  const judged = judgeSpiderpoolKeys(raw);
  const errors = [
    ...(r.success ? [] : r.error.issues.map(i => describeIssue(i, raw))),
    ...judged.errors,
  ];
  if (!r.success || errors.length) return { ok: false, errors: errors.map(e => `conf.yml: ${e}`) };
  const file = { ...r.data, agent: { ...r.data.agent } };
  delete file.podResourceInject;
  delete file.iaasNetworkProvider;
  delete file.agent.networkResourcePlugin;
  const v: SpiderpoolConfig = file;
  if (v.clusterSubnetDefaultFlexibleIPNumber !== undefined)
    v.clusterSubnetAutoPoolDefaultRedundantIPNumber = v.clusterSubnetDefaultFlexibleIPNumber;
  return { ok: true, value: v, warnings: judged.warnings };
}

/** The one start-up warning line for the keys `parseConfig` accepted but does not act on. */
export function configWarningLine(warnings: readonly ConfigWarning[]): string {
  return `conf.yml: accepted and not acted on: ${warnings.map(w => `${w.key} (${w.reason})`).join("; ")}`;
}

function describeIssue(i: z.core.$ZodIssue, raw: unknown): string {
  const path = i.path.join(".");
  if (i.code === "unrecognized_keys") {
    const where = i.path.length ? `${path}.` : "";
    const retired = i.keys
      .filter(k => RETIRED_KEYS[`${where}${k}`])
      .map(k => `${where}${k}: ${RETIRED_KEYS[`${where}${k}`]}`);
    const unknown = i.keys.filter(k => !RETIRED_KEYS[`${where}${k}`]);
    if (!unknown.length) return retired.join("; ");
    const shape = shapeAt(i.path);
    return [
      `unknown key ${unknown.map(k => `"${where}${k}"`).join(", ")}; accepted keys: ${shape.join(", ")}`,
      ...retired,
    ].join("; ");
  }
  const got = valueAt(raw, i.path);
  return `${path}: ${i.message}, got ${JSON.stringify(got)}`;
}

function shapeAt(path: PropertyKey[]): string[] {
  let s: z.ZodType = ConfFileSchema;
  for (const k of path) {
    const inner = unwrap(s);
    if (inner instanceof z.ZodArray && typeof k === "number") s = inner.element as z.ZodType;
    else if (inner instanceof z.ZodObject)
      s = (inner.shape as Record<string, z.ZodType>)[String(k)] ?? s;
    else return [];
  }
  const inner = unwrap(s);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  while (
    cur instanceof z.ZodDefault ||
    cur instanceof z.ZodOptional ||
    cur instanceof z.ZodNullable
  )
    cur = cur.unwrap() as z.ZodType;
  return cur;
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let cur = raw;
  for (const k of path)
    cur =
      typeof cur === "object" && cur !== null
        ? (cur as Record<PropertyKey, unknown>)[k]
        : undefined;
  return cur;
}
