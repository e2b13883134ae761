/**
 * One sandbox attachment the node's agent served, as it keeps it on disk under its run directory
 * (lib/agent/sandbox-records.ts). It is the agent's own memory of which network namespace got
 * which addresses, so that after a Pod is gone it can tell whether a sandbox still holds them
 * (docs/adr/0008-sandbox-confirmation.md). Every field is bounded: a file that does not parse
 * is dropped, never trusted.
 */
import { z } from "zod";

export const SandboxRecordSchema = z.strictObject({
  version: z.literal(1),
  containerID: z.string().min(1).max(256),
  ifName: z.string().min(1).max(64),
  /** CNI_NETNS as the runtime gave it; "" when none was given. */
  netns: z.string().max(4096),
  /**
   * Inode of that network namespace when the ADD came, or null when the agent could not see it as
   * a network namespace then (a path outside its mount namespace): its fate stays unknown.
   */
  netnsInode: z.number().int().nonnegative().nullable(),
  /** The netconf name the ADD came through ("" if unnamed): a CNI GC of one network judges only its own. */
  network: z.string().max(253),
  podNamespace: z.string().max(63),
  podName: z.string().max(253),
  podUID: z.string().min(1).max(128),
  /** Addresses handed to the attachment, without prefix length; empty while its ADD is under way. */
  addresses: z.array(z.string().max(45)).max(16),
  /** Set when the runtime said the attachment is gone: its CNI DEL, or a CNI GC that did not list it. */
  released: z.boolean(),
  /** When the ADD came (epoch ms, agent clock); only orders records. */
  at: z.number().int().nonnegative(),
});
export type SandboxRecord = z.infer<typeof SandboxRecordSchema>;
