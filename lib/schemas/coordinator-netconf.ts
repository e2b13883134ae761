/**
 * The `coordinator` plugin's netconf as a NetworkAttachmentDefinition chains it after the main
 * plugin (`{"type":"coordinator","detectIPConflict":true,"detectGateway":true}`). Field names are
 * Spiderpool's coordinator's, so its NADs keep their meaning. We implement the two detections;
 * every other coordinator field is accepted (typed) and announced as not implemented, once per
 * network (docs/usage/conflict-detection.md). Anything else is refused by name.
 *
 * Written with `zod/mini`: the agent parses it on every ADD the coordinator runs for.
 */
import * as z from "zod/mini";

/** Bounds of `detectOptions`: a probe that waits longer than this delays every ADD of the network. */
export const DETECT_BOUNDS = {
  /** Attempts per probe. */
  retries: { min: 1, max: 10, default: 3 },
  /** Wait for an answer per attempt, in milliseconds. */
  timeoutMs: { min: 10, max: 5000, default: 100 },
} as const;

/** The overall deadline the prober gets: every probe's attempts in a row, plus a second of slack. */
export const PROBE_SLACK_MS = 1000;

/** Go-style duration as Spiderpool's detectOptions take it: "100ms", "1s", "1.5s". */
const DURATION = /^(\d+(?:\.\d+)?)(ms|s)$/;

/** Milliseconds of a Go-style duration, or undefined when it is not one of our accepted forms. */
export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2] === "s" ? 1000 : 1);
  return Number.isFinite(n) ? Math.round(n) : undefined;
}

const timeout = z.string().check(
  z.refine(
    s => {
      const ms = durationMs(s);
      return (
        ms !== undefined && ms >= DETECT_BOUNDS.timeoutMs.min && ms <= DETECT_BOUNDS.timeoutMs.max
      );
    },
    `expected a duration from ${DETECT_BOUNDS.timeoutMs.min}ms to ${DETECT_BOUNDS.timeoutMs.max / 1000}s, e.g. "100ms"`,
  ),
);

export const DetectOptionsSchema = z.strictObject({
  retries: z.optional(
    z.int().check(z.gte(DETECT_BOUNDS.retries.min), z.lte(DETECT_BOUNDS.retries.max)),
  ),
  timeout: z.optional(timeout),
  /** Spiderpool's pause between attempts; ours wait `timeout` per attempt and send the next at once. */
  interval: z.optional(z.string()),
});

const strList = z.optional(z.array(z.string()));

/**
 * Spiderpool coordinator fields this project does not implement, typed as Spiderpool's plugin
 * reads them: accepted, and each named in a Warning (lib/agent/coordinator-warnings.ts).
 */
export const NOT_IMPLEMENTED_FIELDS = {
  mode: z.optional(z.enum(["auto", "underlay", "overlay", "disabled"])),
  tunePodRoutes: z.optional(z.boolean()),
  podDefaultRouteNic: z.optional(z.string()),
  podDefaultCniNic: z.optional(z.string()),
  podMACPrefix: z.optional(z.string()),
  multusNicPrefix: z.optional(z.string()),
  overlayPodCIDR: strList,
  serviceCIDR: strList,
  hijackCIDR: strList,
  hijackCustomSubnet: strList,
  hostRuleTable: z.optional(z.int()),
  hostRPFilter: z.optional(z.int()),
  podRPFilter: z.optional(z.int()),
  txQueueLen: z.optional(z.int()),
  vethLinkAddress: z.optional(z.string()),
  vethMTU: z.optional(z.int()),
  logOptions: z.optional(z.record(z.string(), z.unknown())),
} as const;

export const CoordinatorNetConfSchema = z.strictObject({
  cniVersion: z.string(),
  name: z.string(),
  type: z.literal("coordinator"),
  detectIPConflict: z.optional(z.boolean()),
  detectGateway: z.optional(z.boolean()),
  detectOptions: z.optional(DetectOptionsSchema),
  ...NOT_IMPLEMENTED_FIELDS,
  // Set by the runtime, not by the NAD's author.
  prevResult: z.optional(z.unknown()),
  runtimeConfig: z.optional(z.unknown()),
  args: z.optional(z.unknown()),
  capabilities: z.optional(z.unknown()),
});
export type CoordinatorNetConf = z.infer<typeof CoordinatorNetConfSchema>;

/** The not-implemented fields a netconf sets (with a value other than absent). */
export function notImplementedFieldsOf(conf: CoordinatorNetConf): string[] {
  const fields = Object.keys(NOT_IMPLEMENTED_FIELDS) as (keyof typeof NOT_IMPLEMENTED_FIELDS)[];
  const set: string[] = fields.filter(f => conf[f] !== undefined);
  if (conf.detectOptions?.interval !== undefined) set.push("detectOptions.interval");
  return set;
}

/** Our view of the timing knobs, defaults applied. */
export function detectTiming(conf: CoordinatorNetConf): { retries: number; timeoutMs: number } {
  const t = conf.detectOptions?.timeout;
  return {
    retries: conf.detectOptions?.retries ?? DETECT_BOUNDS.retries.default,
    timeoutMs: (t !== undefined ? durationMs(t) : undefined) ?? DETECT_BOUNDS.timeoutMs.default,
  };
}

/**
 * Every problem of a netconf, one line each naming the field and the value; empty when it parses.
 * Unknown fields are named one by one.
 */
export function coordinatorNetConfProblems(value: unknown): string[] {
  const r = z.safeParse(CoordinatorNetConfSchema, value);
  if (r.success) return [];
  return r.error.issues.flatMap(i => {
    const at = i.path.map(String).join(".");
    if (i.code === "unrecognized_keys") {
      return i.keys.map(k => {
        const field = at ? `${at}.${k}` : k;
        return `unknown field ${field} (got ${JSON.stringify(valueAt(value, [...i.path, k]))}); the coordinator accepts ${acceptedAt(at)}`;
      });
    }
    return [
      `field ${at || "(netconf)"}: ${i.message} (got ${JSON.stringify(valueAt(value, i.path)) ?? "nothing"})`,
    ];
  });
}

function acceptedAt(at: string): string {
  const shape =
    at === "detectOptions" ? DetectOptionsSchema.def.shape : CoordinatorNetConfSchema.def.shape;
  return Object.keys(shape).join(", ");
}

function valueAt(obj: unknown, path: readonly PropertyKey[]): unknown {
  let cur = obj;
  for (const k of path)
    cur =
      typeof cur === "object" && cur !== null
        ? (cur as Record<PropertyKey, unknown>)[k]
        : undefined;
  return cur;
}
