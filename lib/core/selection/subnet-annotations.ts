/**
 * The auto-pool annotations of a Pod (docs/reference/annotations.md#pod-annotations, docs/reference/auto-pools.md#size): `ipam.spidernet.io/subnets` (one item per
 * NIC) or `ipam.spidernet.io/subnet` (one NIC), the pool size `ipam.spidernet.io/ippool-ip-number`
 * and `ipam.spidernet.io/ippool-reclaim`. Parsed as Spiderpool's `GetSubnetAnnoConfig` parses
 * them, in the same order and with the same texts.
 */
import { goQuote } from "../compat/go-quote.js";
import { goPointer, goSlice, goString, goStruct, goUnmarshal } from "../compat/go-json.js";
import { err, ok, type Result } from "../base/result.js";
import { invalidAnnotation, type SelectionError } from "./selection-errors.js";
import {
  ANNO_IPPOOL_IP_NUMBER,
  ANNO_IPPOOL_RECLAIM,
  ANNO_SUBNET,
  ANNO_SUBNETS,
} from "../base/well-known-names.js";

/** One NIC's subnets. After parsing each list holds at most one name: only the first is used. */
export interface SubnetItem {
  readonly interface: string;
  readonly ipv4: string[];
  readonly ipv6: string[];
}

/** `N` or `+N` of `ipam.spidernet.io/ippool-ip-number`. */
export interface PoolIPNumber {
  /** True for `+N`: N addresses on top of the workload's replicas. */
  readonly flexible: boolean;
  readonly count: number;
}

/** The decoded auto-pool request of a Pod. */
export interface SubnetAnnotations {
  /** From `subnets`; empty when the single form is used. */
  readonly multiple: SubnetItem[];
  /** From `subnet`, its interface defaulted to `eth0`; only when `subnets` is absent. */
  readonly single?: SubnetItem;
  /** From `ippool-ip-number`; `undefined` when the annotation is absent. */
  readonly ipNumber?: PoolIPNumber;
  /** From `ippool-reclaim`; true when absent. */
  readonly reclaim: boolean;
}

const subnetItemCodec = goStruct("types.AnnoSubnetItem", {
  interface: goString,
  ipv4: goSlice(goString),
  ipv6: goSlice(goString),
});
const subnetsCodec = goSlice(subnetItemCodec);

/** Whether the Pod carries either subnet annotation (Spiderpool's `HasSubnetsAnnotation`). */
export function hasSubnetAnnotation(annotations: Readonly<Record<string, string>>): boolean {
  return annotations[ANNO_SUBNETS] !== undefined || annotations[ANNO_SUBNET] !== undefined;
}

/**
 * The Pod's auto-pool request, or `undefined` when neither subnet annotation is present. Checks,
 * in Spiderpool's order: the JSON (`failed to parse anntation '<key>' value '<v>', error: …`,
 * Spiderpool's spelling), the IP number, the reclaim flag, then the item rules (a name per family
 * at most once across NICs, distinct interfaces, no empty names, at least one family per item).
 * Where Spiderpool prints its internal struct after a rule text, the annotation value is printed.
 */
export function parseSubnetAnnotations(
  annotations: Readonly<Record<string, string>>,
): Result<SubnetAnnotations | undefined, SelectionError> {
  const subnets = annotations[ANNO_SUBNETS];
  const subnet = annotations[ANNO_SUBNET];
  const key = subnets !== undefined ? ANNO_SUBNETS : ANNO_SUBNET;
  const raw = subnets ?? subnet;
  if (raw === undefined) return ok(undefined);
  const fail = (message: string): Result<never, SelectionError> =>
    err(invalidAnnotation("Pod", key, message));

  let multiple: SubnetItem[] = [];
  let single: SubnetItem | undefined;
  if (subnets !== undefined) {
    const decoded = goUnmarshal(subnets, subnetsCodec);
    if (!decoded.ok)
      return fail(`failed to parse anntation '${key}' value '${raw}', error: ${decoded.error}`);
    multiple = decoded.value;
  } else {
    // Spiderpool decodes into a pointer: a JSON `null` leaves no item at all.
    const decoded = goUnmarshal(raw, goPointer(subnetItemCodec));
    if (!decoded.ok)
      return fail(`failed to parse anntation '${key}' value '${raw}', error: ${decoded.error}`);
    single = decoded.value;
  }

  let ipNumber: PoolIPNumber | undefined;
  const ipNumberText = annotations[ANNO_IPPOOL_IP_NUMBER];
  if (ipNumberText !== undefined) {
    const parsed = parsePoolIPNumber(ipNumberText);
    if (!parsed.ok) return parsed;
    ipNumber = parsed.value;
  }
  const reclaim = parseReclaim(annotations);
  if (!reclaim.ok) return reclaim;

  if (subnets !== undefined) {
    const problem = checkMultiple(multiple, raw);
    if (problem !== undefined) return fail(problem);
    multiple = multiple.map(item => ({
      ...item,
      ipv4: item.ipv4.slice(0, 1),
      ipv6: item.ipv6.slice(0, 1),
    }));
  } else {
    if (single === undefined) return fail(`no subnets specified: ${raw}`);
    const problem = checkSingle(single, raw);
    if (problem !== undefined) return fail(problem);
    single = {
      interface: single.interface === "" ? "eth0" : single.interface,
      ipv4: single.ipv4.slice(0, 1),
      ipv6: single.ipv6.slice(0, 1),
    };
  }
  return ok({
    multiple,
    ...(single === undefined ? {} : { single }),
    ...(ipNumber === undefined ? {} : { ipNumber }),
    reclaim: reclaim.value,
  });
}

/**
 * `ipam.spidernet.io/ippool-ip-number`: at most one `+`; what follows it (or the whole text) must
 * be a Go `strconv.Atoi` integer (`invalid input '<s>': strconv.Atoi: parsing "<t>": invalid syntax`),
 * and not negative (`subnet 'ipam.spidernet.io/ippool-ip-number' value must equal or greater than 0`).
 * As in Spiderpool, text before the `+` is ignored: `3+5` reads as `+5`.
 */
export function parsePoolIPNumber(text: string): Result<PoolIPNumber, SelectionError> {
  const fail = (message: string): Result<never, SelectionError> =>
    err(invalidAnnotation("Pod", ANNO_IPPOOL_IP_NUMBER, message));
  const plus = text.split("+").length - 1;
  if (plus > 1) return fail(`invalid input '${text}'`);
  const flexible = plus === 1;
  const digits = flexible ? text.slice(text.indexOf("+") + 1) : text;
  const atoi = goAtoi(digits);
  if (!atoi.ok) return fail(`invalid input '${text}': ${atoi.error}`);
  if (atoi.value < 0)
    return fail(`subnet '${ANNO_IPPOOL_IP_NUMBER}' value must equal or greater than 0`);
  return ok({ flexible, count: atoi.value });
}

/** `ipam.spidernet.io/ippool-reclaim` with Go `strconv.ParseBool` syntax; true when absent. */
export function parseReclaim(
  annotations: Readonly<Record<string, string>>,
): Result<boolean, SelectionError> {
  const text = annotations[ANNO_IPPOOL_RECLAIM];
  if (text === undefined) return ok(true);
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return ok(true);
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return ok(false);
  return err(
    invalidAnnotation(
      "Pod",
      ANNO_IPPOOL_RECLAIM,
      `failed to parse spider subnet '${ANNO_IPPOOL_RECLAIM}', error: strconv.ParseBool: parsing ${goQuote(text)}: invalid syntax`,
    ),
  );
}

function checkMultiple(items: readonly SubnetItem[], raw: string): string | undefined {
  if (items.length === 0) return `no subnets specified: ${raw}`;
  const v4: string[] = [];
  const v6: string[] = [];
  for (const item of items) {
    const [first4] = item.ipv4;
    const [first6] = item.ipv6;
    if (first4 !== undefined) {
      if (first4 === "") return "it's invalid to set an empty IPv4 subnet with mutilple interfaces";
      v4.push(first4);
    }
    if (first6 !== undefined) {
      if (first6 === "") return "it's invalid to set an empty IPv6 subnet with mutilple interfaces";
      v6.push(first6);
    }
    if (first4 === undefined && first6 === undefined)
      return `it's invalid to set dual empty subnet with multiple interfaces: ${raw}`;
  }
  const hasDuplicate = (list: readonly string[]): boolean => new Set(list).size !== list.length;
  if (hasDuplicate(v4) || hasDuplicate(v6))
    return `it's invalid to use the same subnet for multiple interfaces: ${raw}`;
  if (hasDuplicate(items.map(item => item.interface)))
    return `it's invalid to use the same Interface name for multiple interfaces: ${raw}`;
  return undefined;
}

function checkSingle(item: SubnetItem, raw: string): string | undefined {
  if (item.ipv4[0] === "")
    return `it's invalid to set an empty IPv4 subnet with single interface: ${raw}`;
  if (item.ipv6[0] === "")
    return `it's invalid to set an empty IPv6 subnet with single interface: ${raw}`;
  if (item.ipv4.length === 0 && item.ipv6.length === 0)
    return `it's invalid to set dual empty subnet with single interface: ${raw}`;
  return undefined;
}

/** Go's `strconv.Atoi` on a 64-bit platform: optional sign, decimal digits, int64 range. */
function goAtoi(text: string): Result<number, string> {
  if (!/^[+-]?[0-9]+$/.test(text))
    return err(`strconv.Atoi: parsing ${goQuote(text)}: invalid syntax`);
  const value = BigInt(text);
  if (value > 9223372036854775807n || value < -9223372036854775808n) {
    return err(`strconv.Atoi: parsing ${goQuote(text)}: value out of range`);
  }
  return ok(Number(value));
}
