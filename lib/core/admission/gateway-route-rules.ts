/**
 * Rules on `spec.gateway` and `spec.routes`, identical for pools and subnets (Spiderpool's
 * `validateIPPoolGateway` / `validateIPPoolRoutes` and their subnet copies), except that every
 * problem is reported rather than the first.
 */
import type { Route } from "../../schemas/index.js";
import { parseAddress, type IpFamily } from "../net/address.js";
import { cidrContains, formatCidr, parseCidrLenient, type Cidr } from "../net/cidr.js";
import { invalidValue, type FieldError } from "./field-error.js";
import type { CheckedEntry } from "./range-entry-rules.js";

/**
 * The gateway must be an address of the family inside the subnet (`invalid_gateway`,
 * `gateway_outside_subnet`), and must not be allocatable: when no `excludeIPs` entry holds it,
 * every `ips[i]` that holds it is reported (`gateway_in_ips`). Only valid entries are looked at;
 * invalid ones have their own errors. An absent gateway has no problems.
 */
export function checkGateway(
  gateway: string | null | undefined,
  cidr: Cidr,
  subnetText: string,
  ips: readonly CheckedEntry[],
  excludeIPs: readonly CheckedEntry[],
): FieldError[] {
  if (gateway == null) return [];
  const address = parseAddress(gateway, cidr.family);
  if (!address.ok)
    return [invalidValue("invalid_gateway", "spec.gateway", gateway, address.error.message)];
  if (!cidrContains(cidr, address.value)) {
    return [
      invalidValue("gateway_outside_subnet", "spec.gateway", gateway, notPertains(subnetText)),
    ];
  }
  const holds = (entry: CheckedEntry) =>
    entry.start <= address.value.value && address.value.value <= entry.end;
  if (excludeIPs.some(holds)) return [];
  return ips
    .filter(holds)
    .map(entry =>
      invalidValue(
        "gateway_in_ips",
        `spec.ips[${entry.index}]`,
        entry.raw,
        `conflicts with 'spec.gateway' ${gateway}, add the gateway IP address to 'spec.excludeIPs' or remove it from 'spec.ips'`,
      ),
    );
}

/**
 * Per route: `dst` is not a default route (`default_route`), not a repeat of an earlier dst
 * (`duplicate_route`, same block however written), a CIDR of the family, host bits allowed
 * (`invalid_route_dst`); `gw` is an address of the family (`invalid_route_gateway`) inside the
 * subnet (`route_gateway_outside_subnet`, skipped when the subnet itself is invalid).
 */
export function checkRoutes(
  routes: readonly Route[] | null | undefined,
  family: IpFamily,
  cidr: Cidr | undefined,
  subnetText: string,
): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  (routes ?? []).forEach(({ dst, gw }, i) => {
    const dstPath = `spec.routes[${i}].dst`;
    const parsedDst = parseCidrLenient(dst, family);
    // A /0 is the default route however it is spelled (Spiderpool compares the text only).
    const isDefault =
      dst === (family === 4 ? "0.0.0.0/0" : "::/0") ||
      (parsedDst.ok && parsedDst.value.cidr.prefix === 0);
    const key = parsedDst.ok ? formatCidr(parsedDst.value.cidr) : dst;
    if (isDefault) {
      errors.push(
        invalidValue(
          "default_route",
          dstPath,
          dst,
          "please specify 'spec.gateway' to configure the default route",
        ),
      );
    } else if (seen.has(key)) {
      errors.push(
        invalidValue("duplicate_route", dstPath, dst, "duplicate route with the same dst"),
      );
    } else if (!parsedDst.ok) {
      errors.push(invalidValue("invalid_route_dst", dstPath, dst, parsedDst.error.message));
    }
    if (!isDefault) seen.add(key);

    const gwPath = `spec.routes[${i}].gw`;
    const address = parseAddress(gw, family);
    if (!address.ok)
      errors.push(invalidValue("invalid_route_gateway", gwPath, gw, address.error.message));
    else if (cidr !== undefined && !cidrContains(cidr, address.value)) {
      errors.push(
        invalidValue("route_gateway_outside_subnet", gwPath, gw, notPertains(subnetText)),
      );
    }
  });
  return errors;
}

function notPertains(subnetText: string): string {
  return `not pertains to the 'spec.subnet' ${subnetText} of IPPool`;
}
