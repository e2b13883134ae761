/**
 * The pools `npm run bench:webhook` validates against: a thousand peers with many ranges each,
 * shaped the three ways that cost differently. Every address is distinct and no two entries are
 * adjacent, so defaulting cannot merge them away and the new pool is accepted after every peer
 * has been looked at (the allowed path is the expensive one).
 */
import { formatAddress, readAddress, type IpFamily } from "../lib/core/net/address.js";
import { cidrLabelValue } from "../lib/core/net/cidr.js";
import type { IPPoolObject } from "../lib/core/admission/admission-objects.js";

export interface WebhookScenario {
  id: string;
  title: string;
  peers: IPPoolObject[];
  candidate: IPPoolObject;
}

export interface ScenarioSize {
  peers: number;
  rangesPerPool: number;
}

/**
 * `same-cidr-v4` / `same-cidr-v6`: every pool in one network (10.108.0.0/14, fd00:100:108::/64), so
 * the peer rules read every peer's ranges. `distinct-cidrs-v4`: one /24 each inside
 * 10.108.0.0/14, so only the CIDRs are compared.
 */
export function webhookScenarios(size: ScenarioSize): WebhookScenario[] {
  const n = size.peers.toLocaleString("en");
  const r = size.rangesPerPool;
  return [
    {
      id: "same-cidr-v4",
      title: `IPv4, ${n} pools of one /14, ${r} ranges each`,
      ...sameCidr(4, "10.108.0.0/14", size),
    },
    {
      id: "same-cidr-v6",
      title: `IPv6, ${n} pools of one /64, ${r} ranges each`,
      ...sameCidr(6, "fd00:100:108::/64", size),
    },
    {
      id: "distinct-cidrs-v4",
      title: `IPv4, ${n} pools in ${n} /24s, ${r} ranges each`,
      ...distinctCidrs(size),
    },
  ];
}

function sameCidr(family: IpFamily, subnet: string, { peers, rangesPerPool }: ScenarioSize) {
  const base = readAddress(subnet.split("/")[0] ?? "")!.value;
  // Entry k of the whole data set covers base+3k+1 .. base+3k+2; base+3k+3 keeps entries apart.
  const ranges = (pool: number) =>
    Array.from({ length: rangesPerPool }, (_, j) => {
      const k = BigInt(pool * rangesPerPool + j);
      return `${formatAddress(base + 3n * k + 1n, family)}-${formatAddress(base + 3n * k + 2n, family)}`;
    });
  const pool = (i: number, name: string) => poolObject(name, family, subnet, ranges(i));
  return {
    peers: Array.from({ length: peers }, (_, i) => pool(i, `bench-peer-${i}`)),
    candidate: pool(peers, "bench-candidate"),
  };
}

function distinctCidrs({ peers, rangesPerPool }: ScenarioSize) {
  if (peers + 1 > 1024 || rangesPerPool * 3 > 252)
    throw new RangeError("distinct-cidrs-v4 holds at most 1,023 pools of 84 ranges");
  const pool = (i: number, name: string) => {
    const net = `10.${108 + (i >> 8)}.${i & 255}`;
    const ips = Array.from(
      { length: rangesPerPool },
      (_, j) => `${net}.${3 * j + 1}-${net}.${3 * j + 2}`,
    );
    return poolObject(name, 4, `${net}.0/24`, ips);
  };
  return {
    peers: Array.from({ length: peers }, (_, i) => pool(i, `bench-peer-${i}`)),
    candidate: pool(peers, "bench-candidate"),
  };
}

/** A pool as the API server stores it after defaulting: uid, generation, ipVersion, CIDR label. */
function poolObject(name: string, family: IpFamily, subnet: string, ips: string[]): IPPoolObject {
  return {
    apiVersion: "spiderpool.spidernet.io/v2beta1",
    kind: "SpiderIPPool",
    metadata: {
      name,
      uid: `uid-of-${name}`,
      generation: 1,
      labels: { "ipam.spidernet.io/ippool-cidr": cidrLabelValue(subnet) },
      finalizers: ["spiderpool.spidernet.io"],
    },
    spec: { ipVersion: family, subnet, ips },
  };
}
