/**
 * What a command answers, rendered as `-o table|json|yaml`. The json and yaml documents have one
 * stable shape per command, `{apiVersion, kind, ...}`, documented in docs/usage/cli.md: scripts
 * read them, so fields are only ever added.
 */
import { stringify as toYaml } from "yaml";
import type { Output } from "./args.js";

export const CLI_API_VERSION = "cli.pepr-spiderpool.io/v1alpha1";

export interface CommandResult {
  /** The document's kind, e.g. PoolList. */
  readonly kind: string;
  /** The document's fields besides apiVersion and kind; JSON values only (no bigint). */
  readonly body: Readonly<Record<string, unknown>>;
  /** The text of `-o table`. */
  readonly table: () => string;
  /** Exit status when not 0: 1 for findings (check) or refusals (release --from-report). */
  readonly exit?: number;
}

export function render(r: CommandResult, output: Output): string {
  // Counts of huge IPv6 pools are bigint inside; documents carry JSON numbers.
  const doc = JSON.parse(
    JSON.stringify({ apiVersion: CLI_API_VERSION, kind: r.kind, ...r.body }, (_k, v: unknown) =>
      typeof v === "bigint" ? Number(v) : v,
    ),
  ) as Record<string, unknown>;
  if (output === "json") return JSON.stringify(doc, null, 2);
  if (output === "yaml") return toYaml(doc).trimEnd();
  return r.table();
}

/** A bar of `width` cells for `part` of `whole`, and the percentage, e.g. `[####------]  40%`. */
export function usageBar(part: bigint, whole: bigint, width = 20): string {
  if (whole <= 0n) return `[${" ".repeat(width)}]    -`;
  const cells = Number((part * BigInt(width) + whole / 2n) / whole);
  const pct = Number((part * 100n) / whole);
  const filled = Math.min(width, part > 0n ? Math.max(1, cells) : 0);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${`${pct}%`.padStart(4)}`;
}
