/**
 * Pure conversions between the agent's answer and CNI results (spec "Success" section):
 * the agent returns every NIC of the Pod, the plugin keeps `CNI_IFNAME`'s part and prints it in
 * the version the runtime asked for. No `interfaces` list: an IPAM plugin does not create any.
 */
// Our parser, not node:net's isIP: its IPv6 regex takes ~6 ms to compile on every plugin start.
import { readAddress } from "../core/net/address.js";
import type { IpamAddResponse } from "../schemas/agent-api.js";
import { fail, quote, type Outcome } from "./cni-error.js";
import type { CniVersion } from "./netconf.js";

/** CNI result `ips[]` entry; `version` exists only before 1.0.0. */
export interface CniIpConfig {
  version?: "4" | "6";
  address: string;
  gateway?: string;
}

/** CNI result `routes[]` entry; `gw` omitted for on-link routes. */
export interface CniRoute {
  dst: string;
  gw?: string;
}

/** CNI result `dns`; printed as `{}` when the agent sends none. */
export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** The printed ADD result. */
export interface CniResult {
  cniVersion: CniVersion;
  ips: CniIpConfig[];
  routes?: CniRoute[];
  dns: CniDns;
}

const ALLOC = "spiderpool IP allocation error:";

/**
 * Keeps the entries of `ifName` and shapes them for `cniVersion`. Fails when the agent gave this
 * NIC nothing (Spiderpool's `no Interface <if> IP allocation found`) or a malformed address.
 */
export function toCniResult(
  response: IpamAddResponse,
  ifName: string,
  cniVersion: CniVersion,
): Outcome<CniResult> {
  const legacy = cniVersion.startsWith("0.");
  const ips: CniIpConfig[] = [];
  for (const ip of response.ips) {
    if (ip.nic !== ifName) continue;
    const family = cidrFamily(ip.address);
    if (family === undefined || family !== ip.version) {
      return fail(
        "invalid_agent_response",
        `${ALLOC} agent returned an invalid IPv${ip.version} address ${quote(ip.address)} for ${ifName}`,
        "ips.address",
      );
    }
    const entry: CniIpConfig = legacy
      ? { version: family === 4 ? "4" : "6", address: ip.address }
      : { address: ip.address };
    if (ip.gateway) entry.gateway = ip.gateway;
    ips.push(entry);
  }
  if (ips.length === 0) {
    return fail(
      "no_allocation_for_interface",
      `${ALLOC} no Interface ${ifName} IP allocation found`,
      ifName,
    );
  }
  const routes = (response.routes ?? [])
    .filter(r => r.ifName === ifName)
    .map(r => (r.gw ? { dst: r.dst, gw: r.gw } : { dst: r.dst }));
  // Key order as in the CNI spec's examples: cniVersion, ips, routes, dns.
  const result: CniResult =
    routes.length > 0
      ? { cniVersion, ips, routes, dns: toCniDns(response.dns) }
      : { cniVersion, ips, dns: toCniDns(response.dns) };
  return { ok: true, value: result };
}

function toCniDns(dns: IpamAddResponse["dns"]): CniDns {
  const out: CniDns = {};
  if (!dns) return out;
  if (dns.nameservers?.length) out.nameservers = dns.nameservers;
  if (dns.domain) out.domain = dns.domain;
  if (dns.search?.length) out.search = dns.search;
  if (dns.options?.length) out.options = dns.options;
  return out;
}

/** 4 or 6 for `address/prefix` with a prefix in range, else undefined. */
export function cidrFamily(cidr: string): 4 | 6 | undefined {
  const slash = cidr.indexOf("/");
  if (slash < 0) return undefined;
  const family = readAddress(cidr.slice(0, slash))?.family ?? 0;
  const prefixText = cidr.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (family === 4) return prefix <= 32 ? 4 : undefined;
  return prefix <= 128 ? 6 : undefined;
}

/**
 * CHECK input: the addresses prevResult gives `ifName`. An entry counts when its `interface`
 * index points at an interface of that name inside a sandbox, or when it has no index (an
 * IPAM-only result such as ours). Works for every supported version: 0.3.x/0.4.0 only add
 * `version` to each entry.
 */
export function prevResultAddresses(prevResult: unknown, ifName: string): Outcome<string[]> {
  if (prevResult === undefined)
    return fail(
      "invalid_network_config",
      "prevResult: required for CHECK, got missing",
      "prevResult",
    );
  if (!isRecord(prevResult))
    return fail(
      "invalid_network_config",
      `prevResult: expected object, got ${quote(prevResult)}`,
      "prevResult",
    );
  const ips = prevResult.ips ?? [];
  const interfaces = prevResult.interfaces ?? [];
  if (!Array.isArray(ips))
    return fail(
      "invalid_network_config",
      `prevResult.ips: expected array, got ${quote(ips)}`,
      "prevResult.ips",
    );
  if (!Array.isArray(interfaces)) {
    return fail(
      "invalid_network_config",
      `prevResult.interfaces: expected array, got ${quote(interfaces)}`,
      "prevResult.interfaces",
    );
  }
  const addresses: string[] = [];
  for (const [i, ip] of ips.entries()) {
    const field = `prevResult.ips[${i}]`;
    if (!isRecord(ip) || typeof ip.address !== "string" || cidrFamily(ip.address) === undefined) {
      return fail(
        "invalid_network_config",
        `${field}.address: expected an address with prefix length, got ${quote(isRecord(ip) ? ip.address : ip)}`,
        `${field}.address`,
      );
    }
    if (ip.interface === undefined) {
      addresses.push(ip.address);
      continue;
    }
    const link: unknown = typeof ip.interface === "number" ? interfaces[ip.interface] : undefined;
    if (!isRecord(link)) {
      return fail(
        "invalid_network_config",
        `${field}.interface: no interface at index ${quote(ip.interface)}`,
        `${field}.interface`,
      );
    }
    if (link.name === ifName && typeof link.sandbox === "string" && link.sandbox !== "")
      addresses.push(ip.address);
  }
  return { ok: true, value: addresses };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
