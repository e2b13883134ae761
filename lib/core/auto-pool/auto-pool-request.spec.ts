import assert from "node:assert/strict";
import {
  autoPoolTargets,
  desiredPoolSize,
  ipNumberText,
  type AutoPoolTarget,
  type SubnetFacts,
} from "./auto-pool-request.js";
import type { TopController } from "../selection/top-controller.js";

const top: TopController = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  namespace: "ns",
  name: "web",
  uid: "11111111-2222-3333-4444-abcdef012345",
};
const subnets = new Map<string, SubnetFacts>([
  ["v4a", { name: "v4a", family: 4, cidr: "10.150.0.0/16", terminating: false }],
  ["v4b", { name: "v4b", family: 4, cidr: "10.151.0.0/16", terminating: false }],
  ["v6a", { name: "v6a", family: 6, cidr: "fd00:150::/120", terminating: false }],
  ["gone", { name: "gone", family: 4, cidr: "10.152.0.0/16", terminating: true }],
]);
const config = { enableIPv4: true, enableIPv6: true, defaultFlexibleIPNumber: 1 };
const S = "ipam.spidernet.io/subnet";
const SS = "ipam.spidernet.io/subnets";
const N = "ipam.spidernet.io/ippool-ip-number";
const R = "ipam.spidernet.io/ippool-reclaim";

function targets(
  annotations: Record<string, string>,
  replicas = 2,
  cfg = config,
): AutoPoolTarget[] {
  const r = autoPoolTargets(top, annotations, replicas, subnets, cfg);
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.ok(r.value);
  return r.value;
}

describe("auto-pool-request", () => {
  it("no subnet annotation: nothing asked", () => {
    assert.deepEqual(autoPoolTargets(top, { [N]: "+1" }, 2, subnets, config), {
      ok: true,
      value: undefined,
    });
  });

  describe("sizes", () => {
    const cases: Array<[string, string | undefined, number, number, string]> = [
      ["absent: replicas + cluster default", undefined, 2, 3, "+1"],
      ["+N: replicas + N", "+2", 5, 7, "+2"],
      ["+0", "+0", 4, 4, "+0"],
      ["N fixed whatever the replicas", "5", 30, 5, "5"],
      ["0 replicas flexible", "+1", 0, 1, "+1"],
    ];
    for (const [name, ipNumber, replicas, desired, text] of cases) {
      it(name, () => {
        const [t] = targets(
          { [S]: '{"ipv4":["v4a"]}', ...(ipNumber === undefined ? {} : { [N]: ipNumber }) },
          replicas,
        );
        assert.equal(t?.desired, desired);
        assert.equal(t?.ipNumber, text);
      });
    }
    it("desiredPoolSize and ipNumberText agree with the annotation forms", () => {
      assert.equal(desiredPoolSize(3, { flexible: true, count: 2 }, 9), 5);
      assert.equal(desiredPoolSize(3, { flexible: false, count: 2 }, 9), 2);
      assert.equal(desiredPoolSize(3, undefined, 9), 12);
      assert.equal(ipNumberText(undefined, 0), "+0");
    });
  });

  it("single form: eth0 by default, one pool per family, with name, labels and reclaim", () => {
    const ts = targets({ [S]: '{"ipv4":["v4a"],"ipv6":["v6a"]}', [R]: "false" });
    assert.deepEqual(
      ts.map(t => [t.subnet, t.family, t.nic, t.poolName, t.reclaim, t.subnetCidr]),
      [
        ["v4a", 4, "eth0", "auto4-web-eth0-abcde", false, "10.150.0.0/16"],
        ["v6a", 6, "eth0", "auto6-web-eth0-abcde", false, "fd00:150::/120"],
      ],
    );
    assert.equal(
      ts[0]?.lookupLabels["ipam.spidernet.io/owner-application-uid"],
      undefined,
      "lookup must not pin the UID",
    );
    assert.equal(ts[0]?.lookupLabels["ipam.spidernet.io/owner-spider-subnet"], "v4a");
  });

  it("multi-NIC form: one pool per NIC", () => {
    const ts = targets({
      [SS]: '[{"interface":"eth0","ipv4":["v4a"]},{"interface":"net1","ipv4":["v4b"]}]',
    });
    assert.deepEqual(
      ts.map(t => `${t.nic}:${t.subnet}:${t.poolName}`),
      ["eth0:v4a:auto4-web-eth0-abcde", "net1:v4b:auto4-web-net1-abcde"],
    );
  });

  it("a disabled family is skipped", () => {
    const ts = targets({ [S]: '{"ipv4":["v4a"],"ipv6":["v6a"]}' }, 2, {
      ...config,
      enableIPv6: false,
    });
    assert.deepEqual(
      ts.map(t => t.family),
      [4],
    );
  });

  describe("bad input names the annotation and the problem", () => {
    const cases: Array<[string, Record<string, string>, string, string, RegExp]> = [
      [
        "bad JSON",
        { [S]: '{"ipv4":["v4a"' },
        "invalid_annotation",
        S,
        /ipam\.spidernet\.io\/subnet.*v4a/,
      ],
      [
        "non-numeric IP number",
        { [S]: '{"ipv4":["v4a"]}', [N]: "two" },
        "invalid_annotation",
        N,
        /^annotation ipam\.spidernet\.io\/ippool-ip-number: invalid input 'two'/,
      ],
      [
        "negative IP number",
        { [S]: '{"ipv4":["v4a"]}', [N]: "-1" },
        "invalid_annotation",
        N,
        /must equal or greater than 0/,
      ],
      [
        "bad reclaim flag",
        { [S]: '{"ipv4":["v4a"]}', [R]: "maybe" },
        "invalid_annotation",
        R,
        /ippool-reclaim.*"maybe"/,
      ],
      [
        "unknown subnet",
        { [S]: '{"ipv4":["nope"]}' },
        "subnet_not_found",
        S,
        /SpiderSubnet 'nope' \(ipv4 of interface eth0\) not found/,
      ],
      [
        "subnet of the wrong family",
        { [S]: '{"ipv4":["v6a"]}' },
        "subnet_family_mismatch",
        S,
        /SpiderSubnet 'v6a' is IPv6 \(fd00:150::\/120\) but is listed as ipv4/,
      ],
      ["terminating subnet", { [S]: '{"ipv4":["gone"]}' }, "subnet_terminating", S, /terminating/],
      [
        "same subnet on two NICs",
        { [SS]: '[{"interface":"eth0","ipv4":["v4a"]},{"interface":"net1","ipv4":["v4a"]}]' },
        "invalid_annotation",
        SS,
        /same subnet/,
      ],
      [
        "second item bad: nothing for the first either",
        { [SS]: '[{"interface":"eth0","ipv4":["v4a"]},{"interface":"net1","ipv4":["nope"]}]' },
        "subnet_not_found",
        SS,
        /'nope'/,
      ],
    ];
    for (const [name, annotations, code, annotation, message] of cases) {
      it(name, () => {
        const r = autoPoolTargets(top, annotations, 2, subnets, config);
        assert.ok(!r.ok, "must fail");
        assert.equal(r.error.code, code);
        assert.equal(r.error.annotation, annotation);
        assert.match(r.error.message, message);
        assert.equal(r.error.retry, code === "subnet_not_found" || code === "subnet_terminating");
      });
    }
  });
});
