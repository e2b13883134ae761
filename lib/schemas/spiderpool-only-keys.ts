/**
 * Keys of Spiderpool's chart-rendered `conf.yml` (v1.2) for features this project does not have,
 * and the rule for each (docs/usage/configuration.md). A file rendered by Spiderpool's chart must
 * load, and no key may do nothing unannounced, so each key is one of:
 *  - accepted while its feature is off, and named in the one start-up warning (`warn`);
 *  - refused with the value that asks for the feature, naming what to set instead (`refuse`).
 * Keys whose value we honour (`tuneSysctlConfig: false`, …) are judged here too: at the value
 * that describes what we do they pass silently, the documented default.
 */
import { z } from "zod";

// Shapes as Spiderpool's Go struct has them (pkg/types SpiderpoolConfigmapConfig), strict, so a
// typo in a key we accept is still refused by name. `null` is what YAML makes of `rules:`.
const labelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).nullish(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.string(),
        values: z.array(z.string()).nullish(),
      }),
    )
    .nullish(),
});

export const PodResourceInjectSchema = z.strictObject({
  enabled: z.boolean().optional(),
  namespacesExclude: z.array(z.string()).nullish(),
  namespacesInclude: z.array(z.string()).nullish(),
});

export const IaasNetworkProviderSchema = z.strictObject({
  serverUrl: z.string().optional(),
  httpRequestTimeout: z.string().optional(),
});

export const NetworkResourcePluginSchema = z.strictObject({
  enabled: z.boolean().optional(),
  kubeletRootDir: z.string().optional(),
  devicePluginAffinity: z.strictObject({ nodeSelector: labelSelector.nullish() }).nullish(),
  resourceAdvertisement: z
    .strictObject({
      subENI: z
        .strictObject({
          rules: z
            .array(
              z.strictObject({
                resourceName: z.string().optional(),
                defaultMaxCount: z.number().int().optional(),
                nodeSelector: labelSelector.nullish(),
              }),
            )
            .nullish(),
        })
        .nullish(),
      masterNIC: z
        .strictObject({
          rules: z
            .array(
              z.strictObject({
                nodeSelector: labelSelector.nullish(),
                defaultMaxCount: z.number().int().optional(),
                includeInterfaces: z.array(z.string()).nullish(),
                excludeInterfaces: z.array(z.string()).nullish(),
              }),
            )
            .nullish(),
        })
        .nullish(),
    })
    .nullish(),
});

/** One key accepted but not acted on, for the start-up warning. */
export interface ConfigWarning {
  readonly key: string;
  /** What the key asks of Spiderpool, and what we do instead. */
  readonly reason: string;
}

/** `at`: the field under the key whose value is refused, when it is not the key itself. */
type Verdict = { warn: string } | { refuse: string; at?: string } | undefined;

interface KeyRule {
  /** Dotted path in `conf.yml`. */
  readonly key: string;
  /** Judges the value as written (present, of any type: the schema checks types). */
  judge(value: unknown): Verdict;
}

const SYSCTLS =
  "net.ipv4.neigh.default.gc_thresh3=28160, net.ipv6.neigh.default.gc_thresh3=28160, net.ipv4.conf.all.arp_notify=1, " +
  "net.ipv4.conf.all.forwarding=1, net.ipv6.conf.all.forwarding=1, net.ipv4.conf.all.rp_filter=0";

const isTrue = (v: unknown) => v === true;
const field = (v: unknown, k: string): unknown =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined;

const RULES: readonly KeyRule[] = [
  {
    // Chart default true: refusing it would refuse the chart's own file.
    key: "enableKubevirtStaticIP",
    judge: v =>
      isTrue(v)
        ? {
            warn: "KubeVirt VM Pods keep no static address here: they get and release addresses like Pods of any other third-party controller",
          }
        : undefined,
  },
  {
    // Chart default true, as above; the operator gets the list Spiderpool would have set.
    key: "tuneSysctlConfig",
    judge: v =>
      isTrue(v)
        ? {
            warn: `the agent changes no node sysctl; set what your underlay needs on the nodes yourself; Spiderpool would set ${SYSCTLS}`,
          }
        : undefined,
  },
  {
    key: "enableCleanOutdatedEndpoint",
    judge: v =>
      isTrue(v)
        ? {
            refuse:
              "got true, but IP GC here does not delete SpiderEndpoints that no pool record names (it drops their finalizer once no claim names their Pod, see docs/concepts/gc.md); set it to false or remove the key",
          }
        : undefined,
  },
  {
    // Detection here is the chained `coordinator` plugin's, switched per network or cluster-wide
    // (SpiderCoordinator `default`); a node-wide key beside it would be a second switch for one thing.
    key: "enableIPConflictDetection",
    judge: v =>
      isTrue(v)
        ? {
            refuse:
              'got true, but the IPAM plugin here sends no probe itself: chain the coordinator plugin with "detectIPConflict": true in the NetworkAttachmentDefinition, or set spec.detectIPConflict: true in the SpiderCoordinator "default" (docs/usage/conflict-detection.md); set it to false or remove the key',
          }
        : undefined,
  },
  {
    key: "enableGatewayDetection",
    judge: v =>
      isTrue(v)
        ? {
            refuse:
              'got true, but the IPAM plugin here sends no probe itself: chain the coordinator plugin with "detectGateway": true in the NetworkAttachmentDefinition, or set spec.detectGateway: true in the SpiderCoordinator "default" (docs/usage/conflict-detection.md); set it to false or remove the key',
          }
        : undefined,
  },
  {
    key: "podResourceInject",
    judge: v =>
      isTrue(field(v, "enabled"))
        ? {
            at: "enabled",
            refuse:
              "got true, but this project has no webhook injecting RDMA/SR-IOV resources into Pods; set it to false or remove podResourceInject",
          }
        : {
            warn: "Spiderpool's webhook injecting RDMA/SR-IOV resources into Pods; not part of this project, and off",
          },
  },
  {
    key: "iaasNetworkProvider",
    judge: v => {
      const url = field(v, "serverUrl");
      return typeof url === "string" && url.trim() !== ""
        ? {
            at: "serverUrl",
            refuse: `got ${JSON.stringify(url)}, but this project has no IaaS provider integration; set it to "" or remove iaasNetworkProvider`,
          }
        : {
            warn: "Spiderpool's IaaS provider integration; not part of this project, and off as serverUrl is empty",
          };
    },
  },
  {
    key: "agent.networkResourcePlugin",
    judge: v =>
      isTrue(field(v, "enabled"))
        ? {
            at: "enabled",
            refuse:
              "got true, but this agent advertises no network resources to the kubelet; set it to false or remove agent.networkResourcePlugin",
          }
        : {
            warn: "Spiderpool's device-plugin advertisement of network resources; not part of this project, and off",
          },
  },
];

/**
 * Keys this project had and dropped, with why: refused by name, not as a typo, so a file written
 * for an older release says what to do.
 */
export const RETIRED_KEYS: Readonly<Record<string, string>> = {
  "gc.tracePodGapSeconds":
    "no longer a setting: the watcher looks at a Terminating Pod again exactly at its grace deadline (a timer per Pod), so there is no trace period to set; remove the key",
};

/** The warnings and refusals for the Spiderpool keys present in `raw` (the decoded `conf.yml`). */
export function judgeSpiderpoolKeys(raw: unknown): { warnings: ConfigWarning[]; errors: string[] } {
  const warnings: ConfigWarning[] = [];
  const errors: string[] = [];
  for (const rule of RULES) {
    const path = rule.key.split(".");
    let cur: unknown = raw;
    for (const k of path) cur = field(cur, k);
    if (cur === undefined) continue;
    const verdict = rule.judge(cur);
    if (verdict && "refuse" in verdict)
      errors.push(`${rule.key}${verdict.at ? `.${verdict.at}` : ""}: ${verdict.refuse}`);
    else if (verdict) warnings.push({ key: rule.key, reason: verdict.warn });
  }
  return { warnings, errors };
}
