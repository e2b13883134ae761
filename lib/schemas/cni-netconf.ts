/**
 * The CNI network configuration as the `spiderpool` IPAM plugin reads it: the top-level `name`
 * and `cniVersion`, and the `ipam` section (spec/spiderpool-behavior.md §4.1). Field names are
 * Spiderpool's, so existing NetworkAttachmentDefinitions keep working.
 *
 * Written with `zod/mini` because every CNI exec pays its load time.
 */
import * as z from "zod/mini";
import { DEFAULT_AGENT_SOCKET } from "./agent-api.js";

/** CNI spec versions the plugin accepts and reports for VERSION. */
export const SUPPORTED_CNI_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;

export const LOG_LEVELS = ["debug", "info", "warn", "error", "fatal", "panic"] as const;

export const IpamSectionSchema = z.object({
  type: z.literal("spiderpool"),
  default_ipv4_ippool: z.optional(z.array(z.string())),
  default_ipv6_ippool: z.optional(z.array(z.string())),
  clean_gateway: z.optional(z.boolean()),
  match_master_subnet: z.optional(z.boolean()),
  log_level: z.optional(z.string()),
  log_file_path: z.optional(z.string()),
  log_file_max_size: z.optional(z.number()),
  log_file_max_age: z.optional(z.number()),
  log_file_max_count: z.optional(z.number()),
  ipam_unix_socket_path: z._default(z.string(), DEFAULT_AGENT_SOCKET),
  /** Ours: the deadline of one call to the agent, in seconds (the whole plugin run is bounded by it). */
  timeout_seconds: z.optional(z.number().check(z.positive(), z.lte(600))),
});
export type IpamSection = z.infer<typeof IpamSectionSchema>;

export const NetConfSchema = z.object({
  cniVersion: z.string(),
  name: z.string(),
  type: z.optional(z.string()),
  ipam: IpamSectionSchema,
  prevResult: z.optional(z.unknown()),
  runtimeConfig: z.optional(z.unknown()),
  "cni.dev/valid-attachments": z.optional(z.array(z.object({ containerID: z.string(), ifname: z.string() }))),
});
export type NetConf = z.infer<typeof NetConfSchema>;
