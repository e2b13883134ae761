/**
 * Spiderpool's allocation ledger as it stands in a pool's `status.allocatedIPs`: a JSON object
 * keyed by address, `{"<ip>": {"pod": "<namespace>/<name>", "podUid": "<uid>"}}`. A cluster that
 * ran Spiderpool keeps the addresses of its running Pods only there; we read it once, to turn it
 * into claims (docs/usage/migrate-from-spiderpool.md). Pure.
 */
import { formatAddress, parseAddress, type IpFamily } from "../net/address.js";
import { err, ok, type Result } from "../base/result.js";

/** One record, checked: the address canonical, the Pod reference split. */
export interface AllocationRecord {
  address: string;
  value: bigint;
  podNamespace: string;
  podName: string;
  podUID: string;
}

export interface RecordError {
  code: "unreadable_allocated_ips" | "invalid_allocation_record";
  /** Where, e.g. `status.allocatedIPs["10.6.0.5"].pod`. */
  field: string;
  value: string;
  message: string;
}

/**
 * Parses and checks every record. Any bad record makes the whole ledger refused: importing the
 * good part and skipping the rest would free the skipped addresses without anyone deciding it.
 * An empty or absent field is an empty ledger.
 */
export function parseAllocationRecords(
  text: string | undefined,
  family: IpFamily,
): Result<AllocationRecord[], RecordError[]> {
  if (!text) return ok([]);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return err([
      {
        code: "unreadable_allocated_ips",
        field: "status.allocatedIPs",
        value: text.slice(0, 80),
        message: `not JSON: ${(e as Error).message}`,
      },
    ]);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return err([
      {
        code: "unreadable_allocated_ips",
        field: "status.allocatedIPs",
        value: text.slice(0, 80),
        message: "not a JSON object keyed by address",
      },
    ]);
  }
  const records: AllocationRecord[] = [];
  const errors: RecordError[] = [];
  const seen = new Set<string>();
  for (const [key, rec] of Object.entries(raw as Record<string, unknown>)) {
    const at = `status.allocatedIPs[${JSON.stringify(key)}]`;
    const bad = (field: string, value: unknown, message: string) =>
      errors.push({
        code: "invalid_allocation_record",
        field: `${at}${field}`,
        value: typeof value === "string" ? value : (JSON.stringify(value) ?? "undefined"),
        message,
      });
    const addr = parseAddress(key, family);
    if (!addr.ok) {
      bad("", key, `the key is not an IPv${family} address`);
      continue;
    }
    const r = (typeof rec === "object" && rec !== null ? rec : {}) as {
      pod?: unknown;
      podUid?: unknown;
    };
    const pod = typeof r.pod === "string" ? r.pod : undefined;
    const slash = pod?.indexOf("/") ?? -1;
    if (!pod || slash <= 0 || slash === pod.length - 1 || pod.indexOf("/", slash + 1) !== -1) {
      bad(".pod", r.pod, `must be "<namespace>/<name>"`);
      continue;
    }
    if (typeof r.podUid !== "string" || !r.podUid) {
      bad(".podUid", r.podUid, "must be the Pod's UID");
      continue;
    }
    const address = formatAddress(addr.value.value, family);
    if (seen.has(address)) {
      bad("", key, `the address ${address} is recorded twice`);
      continue;
    }
    seen.add(address);
    records.push({
      address,
      value: addr.value.value,
      podNamespace: pod.slice(0, slash),
      podName: pod.slice(slash + 1),
      podUID: r.podUid,
    });
  }
  if (errors.length) return err(errors);
  return ok(records.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)));
}
