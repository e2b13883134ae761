/**
 * The CNI network configuration as the `spiderpool` IPAM plugin reads it: the top-level `name`
 * and `cniVersion`, and the `ipam` section (docs/usage/netconf.md). Field names are
 * Spiderpool's, so existing NetworkAttachmentDefinitions keep working.
 *
 * Written with `zod/mini` because every CNI exec pays its load time.
 */
import * as z from "zod/mini";

/** CNI spec versions the plugin accepts and reports for VERSION. */
export const SUPPORTED_CNI_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;

export const LOG_LEVELS = ["debug", "info", "warn", "error", "fatal", "panic"] as const;

/**
 * Bounds of `ipam.timeout_seconds`, whole seconds. The exec shim (cni/shim/main.go,
 * minTimeoutSeconds/maxTimeoutSeconds) checks the same bounds with the same text before it
 * computes its own deadline; cni/shim/testdata/timeout-seconds.json is the table both sides test.
 */
export const TIMEOUT_SECONDS_BOUNDS = { min: 1, max: 600 } as const;

/** Rotation limits a netconf may ask for: whole MiB and whole files or days, none unbounded. */
export const LOG_FILE_BOUNDS = {
  /** `log_file_max_size` in MiB; Spiderpool's default is 100. */
  maxSizeMiB: { min: 1, max: 1024 },
  /** `log_file_max_count`: rotated files kept. */
  maxCount: { min: 1, max: 100 },
  /** `log_file_max_age` in days; 0 keeps backups until the count prunes them. */
  maxAgeDays: { min: 0, max: 3650 },
} as const;

const bounded = (b: { min: number; max: number }) =>
  z.optional(z.int().check(z.gte(b.min), z.lte(b.max)));

export const IpamSectionSchema = z.object({
  type: z.literal("spiderpool"),
  default_ipv4_ippool: z.optional(z.array(z.string())),
  default_ipv6_ippool: z.optional(z.array(z.string())),
  clean_gateway: z.optional(z.boolean()),
  match_master_subnet: z.optional(z.boolean()),
  log_level: z.optional(z.string()),
  /** Must name a file below the node's log directory (lib/cni-plugin/host-dirs.ts); checked in lib/cni-plugin/netconf.ts. */
  log_file_path: z.optional(z.string()),
  log_file_max_size: bounded(LOG_FILE_BOUNDS.maxSizeMiB),
  log_file_max_age: bounded(LOG_FILE_BOUNDS.maxAgeDays),
  log_file_max_count: bounded(LOG_FILE_BOUNDS.maxCount),
  /** Must name a socket below the node's run directory; unset or empty means `spiderpool.sock` there. */
  ipam_unix_socket_path: z.optional(z.string()),
  /**
   * Ours: the deadline of the whole plugin run, in seconds. Its bounds are checked before this
   * schema, with the text the shim uses (lib/cni-plugin/netconf.ts timeoutProblem).
   */
  timeout_seconds: z.optional(z.number()),
});
export type IpamSection = z.infer<typeof IpamSectionSchema>;

export const NetConfSchema = z.object({
  cniVersion: z.string(),
  name: z.string(),
  type: z.optional(z.string()),
  ipam: IpamSectionSchema,
  prevResult: z.optional(z.unknown()),
  runtimeConfig: z.optional(z.unknown()),
  "cni.dev/valid-attachments": z.optional(
    z.array(z.object({ containerID: z.string(), ifname: z.string() })),
  ),
});
export type NetConf = z.infer<typeof NetConfSchema>;
