/**
 * Reading a saved `spiderpool check -o json|yaml` report for `release --from-report`: only its
 * LeakedClaim findings, each with the claim's name, UID and resourceVersion the report saw.
 * Anything else in the file is refused with the field named, before any API call.
 */
import { CliError } from "./cli-error.js";
import { readDocumentFile } from "./document-file.js";
import { CLI_API_VERSION } from "./output.js";

export interface ReportedLeak {
  readonly address: string;
  readonly pool: string;
  readonly claim: { readonly name: string; readonly uid: string; readonly resourceVersion: string };
}

export function readReport(path: string): ReportedLeak[] {
  return leaksOf(readDocumentFile(path), path);
}

/** The LeakedClaim findings of a parsed report. */
export function leaksOf(doc: unknown, path: string): ReportedLeak[] {
  const d = doc as { apiVersion?: unknown; kind?: unknown; items?: unknown } | null;
  if (typeof d !== "object" || d === null || d.kind !== "CheckReport")
    throw new CliError(
      "bad_file",
      `${path}: expected the output of spiderpool check -o json (kind CheckReport), got kind ${JSON.stringify((d as { kind?: unknown } | null)?.kind ?? null)}`,
    );
  if (d.apiVersion !== CLI_API_VERSION)
    throw new CliError(
      "bad_file",
      `${path}: apiVersion ${JSON.stringify(d.apiVersion ?? null)} is not ${CLI_API_VERSION}`,
    );
  if (!Array.isArray(d.items)) throw new CliError("bad_file", `${path}: items must be a list`);
  const leaks: ReportedLeak[] = [];
  d.items.forEach((item: unknown, i: number) => {
    const f = item as Record<string, unknown> | null;
    if (typeof f !== "object" || f === null || f.type !== "LeakedClaim") return;
    const c = f.claim as Record<string, unknown> | undefined;
    const str = (v: unknown, field: string): string => {
      if (typeof v !== "string" || !v)
        throw new CliError("bad_file", `${path}: items[${i}].${field} must be a non-empty string`);
      return v;
    };
    leaks.push({
      address: str(f.address, "address"),
      pool: str(f.pool, "pool"),
      claim: {
        name: str(c?.name, "claim.name"),
        uid: str(c?.uid, "claim.uid"),
        resourceVersion: str(c?.resourceVersion, "claim.resourceVersion"),
      },
    });
  });
  return leaks;
}
