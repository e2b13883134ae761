/**
 * The pool-choosing annotations of Pods and Namespaces (docs/reference/annotations.md), decoded with Go
 * `encoding/json` semantics (case-insensitive keys, unknown keys ignored), with the error texts
 * Spiderpool's agent returns for them.
 *
 * The auto-pool annotations (`subnet`, `subnets`, `ippool-ip-number`, `ippool-reclaim`) are in
 * subnet-annotations.ts; the Multus ones in multus-networks.ts.
 */
import { readAddress } from "../net/address.js";
import { parseCidrLenient } from "../net/cidr.js";
import { goBool, goSlice, goString, goStruct, goUnmarshal } from "../compat/go-json.js";
import { err, ok, type Result } from "../base/result.js";
import { invalidAnnotation, type SelectionError } from "./selection-errors.js";
import {
  ANNO_NS_DEFAULT_V4_POOL,
  ANNO_NS_DEFAULT_V6_POOL,
  ANNO_POD_IPPOOL,
  ANNO_POD_IPPOOLS,
  ANNO_POD_ROUTES,
} from "../base/well-known-names.js";

/** `ipam.spidernet.io/ippool`; an `interface` key is tolerated and ignored, as in Spiderpool. */
export interface PodIPPoolAnnotation {
  readonly ipv4: string[];
  readonly ipv6: string[];
}

/** One item of `ipam.spidernet.io/ippools`; `interface` is empty in unnamed mode. */
export interface PodIPPoolsItem {
  readonly interface: string;
  readonly ipv4: string[];
  readonly ipv6: string[];
  readonly cleangateway: boolean;
}

/** One route of `ipam.spidernet.io/routes`, checked for syntax and family agreement. */
export interface PodRoute {
  readonly dst: string;
  readonly gw: string;
}

const names = goSlice(goString);
const ipPoolCodec = goStruct("types.AnnoPodIPPoolValue", { ipv4: names, ipv6: names });
const ipPoolsCodec = goSlice(
  goStruct("types.AnnoIPPoolItem", {
    interface: goString,
    ipv4: names,
    ipv6: names,
    cleangateway: goBool,
  }),
  "types.AnnoPodIPPoolsValue",
);
const routesCodec = goSlice(
  goStruct("types.AnnoRouteItem", { dst: goString, gw: goString }),
  "types.AnnoPodRoutesValue",
);
const nsDefaultV4Codec = goSlice(goString, "types.AnnoNSDefautlV4PoolValue");
const nsDefaultV6Codec = goSlice(goString, "types.AnnoNSDefautlV6PoolValue");

/**
 * The Pod's `ipam.spidernet.io/ippool`, or `undefined` when absent. Decoding errors read
 * `wrong input, invalid format of Pod annotation 'ipam.spidernet.io/ippool': <json error>`.
 */
export function parsePodIPPool(
  annotations: Readonly<Record<string, string>>,
): Result<PodIPPoolAnnotation | undefined, SelectionError> {
  const value = annotations[ANNO_POD_IPPOOL];
  if (value === undefined) return ok(undefined);
  const decoded = goUnmarshal(value, ipPoolCodec);
  if (!decoded.ok) return err(podAnnotationError(ANNO_POD_IPPOOL, decoded.error));
  return ok(decoded.value);
}

/**
 * The Pod's `ipam.spidernet.io/ippools` as written (before the multi-NIC checks, which need the
 * wildcard expansion first; see {@link checkMultiNicItems}), or `undefined` when absent.
 */
export function parsePodIPPools(
  annotations: Readonly<Record<string, string>>,
): Result<PodIPPoolsItem[] | undefined, SelectionError> {
  const value = annotations[ANNO_POD_IPPOOLS];
  if (value === undefined) return ok(undefined);
  const decoded = goUnmarshal(value, ipPoolsCodec);
  if (!decoded.ok) return err(podAnnotationError(ANNO_POD_IPPOOLS, decoded.error));
  return ok(decoded.value);
}

/**
 * Spiderpool's multi-NIC rules for `ipam.spidernet.io/ippools` (docs/reference/allocation.md#several-nics), returning the NIC name
 * of each item: its `interface`, or its index (`"0"`, `"1"`, …) in unnamed mode. Errors, each
 * prefixed `wrong input, invalid format of Pod annotation 'ipam.spidernet.io/ippools': `:
 * `value requires at least one item`, `NIC should be either all specified or all unspecified`,
 * `duplicate interface <n>`, `interface <current> must be specified`.
 */
export function checkMultiNicItems(
  items: readonly PodIPPoolsItem[],
  currentNic: string,
): Result<string[], SelectionError> {
  const fail = (detail: string): Result<string[], SelectionError> =>
    err(podAnnotationError(ANNO_POD_IPPOOLS, detail));
  if (items.length === 0) return fail("value requires at least one item");
  const named = (items[0]?.interface ?? "") !== "";
  const nics: string[] = [];
  for (const [index, item] of items.entries()) {
    if ((item.interface !== "") !== named)
      return fail("NIC should be either all specified or all unspecified");
    const nic = item.interface === "" ? String(index) : item.interface;
    if (nics.includes(nic)) return fail(`duplicate interface ${nic}`);
    nics.push(nic);
  }
  if (named && !nics.includes(currentNic)) return fail(`interface ${currentNic} must be specified`);
  return ok(nics);
}

/**
 * The Namespace's default pools, `{ipv4, ipv6}` (empty lists when the annotations are absent).
 * Spiderpool returns the bare JSON error here; ours names the annotation:
 * `invalid format of Namespace annotation 'ipam.spidernet.io/default-ipv4-ippool': <json error>`.
 */
export function parseNamespaceDefaultPools(
  annotations: Readonly<Record<string, string>>,
): Result<{ ipv4: string[]; ipv6: string[] }, SelectionError> {
  const pools = { ipv4: [] as string[], ipv6: [] as string[] };
  const keys = [
    [ANNO_NS_DEFAULT_V4_POOL, nsDefaultV4Codec, "ipv4"],
    [ANNO_NS_DEFAULT_V6_POOL, nsDefaultV6Codec, "ipv6"],
  ] as const;
  for (const [key, codec, family] of keys) {
    const value = annotations[key];
    if (value === undefined) continue;
    const decoded = goUnmarshal(value, codec);
    if (!decoded.ok) {
      return err(
        invalidAnnotation(
          "Namespace",
          key,
          `invalid format of Namespace annotation '${key}': ${decoded.error}`,
        ),
      );
    }
    pools[family] = decoded.value;
  }
  return ok(pools);
}

/**
 * The Pod's extra routes (none when the annotation is absent). Each route needs an IPv4 CIDR `dst` with an
 * IPv4 `gw`, or both IPv6; otherwise
 * `wrong input, invalid format of Pod annotation 'ipam.spidernet.io/routes': invalid route format 'dst: X, gw: Y'`.
 *
 * Not read by pool selection: the agent parses it first (docs/reference/allocation.md#add, step 2), so its error wins.
 */
export function parseRoutesAnnotation(
  annotations: Readonly<Record<string, string>>,
): Result<PodRoute[], SelectionError> {
  const value = annotations[ANNO_POD_ROUTES];
  if (value === undefined) return ok([]);
  const decoded = goUnmarshal(value, routesCodec);
  if (!decoded.ok) return err(podAnnotationError(ANNO_POD_ROUTES, decoded.error));
  for (const { dst, gw } of decoded.value) {
    const sameFamily = ([4, 6] as const).some(
      family => parseCidrLenient(dst, family).ok && readAddress(gw)?.family === family,
    );
    if (!sameFamily)
      return err(
        podAnnotationError(ANNO_POD_ROUTES, `invalid route format 'dst: ${dst}, gw: ${gw}'`),
      );
  }
  return ok(decoded.value);
}

/** `wrong input, invalid format of Pod annotation '<key>': <detail>`, Spiderpool's wrapping. */
function podAnnotationError(key: string, detail: string): SelectionError {
  return invalidAnnotation(
    "Pod",
    key,
    `wrong input, invalid format of Pod annotation '${key}': ${detail}`,
  );
}
