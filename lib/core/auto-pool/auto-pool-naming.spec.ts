import assert from "node:assert/strict";
import fc from "fast-check";
import {
  apiVersionOfGv,
  applicationKey,
  autoPoolName,
  autoPoolObjectLabels,
  autoPoolOwner,
  autoPoolPodAffinity,
  parseApplicationKey,
} from "./auto-pool-naming.js";
import type { TopController } from "../selection/top-controller.js";

const web: TopController = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  namespace: "default",
  name: "web",
  uid: "0f1e2d3c-aaaa-bbbb-cccc-a5bd3f0e9d8c",
};

describe("auto-pool-naming", () => {
  describe("autoPoolName", () => {
    const cases: Array<[string, Parameters<typeof autoPoolName>, string]> = [
      [
        "the example of docs/reference/annotations.md",
        [4, "web", "eth0", web.uid],
        "auto4-web-eth0-a5bd3",
      ],
      ["IPv6 and a second NIC", [6, "web", "net1", web.uid], "auto6-web-net1-a5bd3"],
      ["lowercases name and NIC", [4, "Web", "ETH0", web.uid], "auto4-web-eth0-a5bd3"],
      ["UID segment shorter than 5", [4, "db", "eth0", "x-ab"], "auto4-db-eth0-ab"],
    ];
    for (const [name, args, want] of cases)
      it(name, () => assert.equal(autoPoolName(...args), want));

    it("cuts a long workload name to keep the pool name within 253 characters", () => {
      const long = "a".repeat(250);
      const name = autoPoolName(4, long, "eth0", web.uid);
      assert.equal(name.length, 253);
      assert.ok(name.endsWith("-eth0-a5bd3"));
    });

    it("property: always a valid DNS subdomain of at most 253 characters", () => {
      const label = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,300}[a-z0-9])?$/);
      fc.assert(
        fc.property(
          label,
          fc.constantFrom("eth0", "net1"),
          fc.uuid(),
          fc.constantFrom(4 as const, 6 as const),
          (workload, nic, uid, family) => {
            const name = autoPoolName(family, workload, nic, uid);
            assert.ok(name.length <= 253, name);
            assert.match(name, /^auto[46]-[a-z0-9]([a-z0-9.-]*[a-z0-9])?-(eth0|net1)-[0-9a-f]{5}$/);
          },
        ),
      );
    });
  });

  describe("applicationKey", () => {
    it("formats group_version_Kind_ns_name, core without group", () => {
      assert.equal(applicationKey(web), "apps_v1_Deployment_default_web");
      assert.equal(
        applicationKey({ group: "", version: "v1", kind: "Pod", namespace: "n", name: "p" }),
        "v1_Pod_n_p",
      );
      assert.equal(
        applicationKey({
          group: "apps.kruise.io",
          version: "v1beta1",
          kind: "CloneSet",
          namespace: "n",
          name: "c",
        }),
        "apps.kruise.io_v1beta1_CloneSet_n_c",
      );
    });
    it("property: parse(format(x)) = x", () => {
      const dns = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?$/);
      fc.assert(
        fc.property(
          fc.option(dns, { nil: "" }),
          fc.stringMatching(/^v[0-9]{1,2}(beta[0-9])?$/),
          fc.stringMatching(/^[A-Z][a-zA-Z]{0,10}$/),
          dns,
          dns,
          (group, version, kind, namespace, name) => {
            const top = { group, version, kind, namespace, name };
            assert.deepEqual(parseApplicationKey(applicationKey(top)), top);
          },
        ),
      );
    });
    it("refuses keys of the wrong shape", () => {
      assert.equal(parseApplicationKey("a_b_c"), undefined);
      assert.equal(parseApplicationKey("a_b_c_d_e_f"), undefined);
    });
  });

  it("labels and podAffinity of an auto pool round-trip through autoPoolOwner", () => {
    const labels = autoPoolObjectLabels("s1", "10.6.0.0/16", web, "eth0", 4, true);
    assert.deepEqual(labels, {
      "ipam.spidernet.io/owner-spider-subnet": "s1",
      "ipam.spidernet.io/owner-application-gv": "apps_v1",
      "ipam.spidernet.io/owner-application-kind": "Deployment",
      "ipam.spidernet.io/owner-application-namespace": "default",
      "ipam.spidernet.io/owner-application-name": "web",
      "ipam.spidernet.io/owner-application-uid": web.uid,
      "ipam.spidernet.io/interface": "eth0",
      "ipam.spidernet.io/ip-version": "IPv4",
      "ipam.spidernet.io/ippool-reclaim": "true",
      "ipam.spidernet.io/ippool-cidr": "10-6-0-0-16",
    });
    assert.deepEqual(autoPoolOwner(labels), {
      gv: "apps_v1",
      kind: "Deployment",
      namespace: "default",
      name: "web",
      uid: web.uid,
      reclaim: true,
    });
    assert.equal(autoPoolOwner({ "ipam.spidernet.io/owner-spider-subnet": "s1" }), undefined);
    assert.deepEqual(autoPoolPodAffinity(web).matchLabels, {
      "ipam.spidernet.io/app-api-group": "apps",
      "ipam.spidernet.io/app-api-version": "v1",
      "ipam.spidernet.io/app-kind": "Deployment",
      "ipam.spidernet.io/app-namespace": "default",
      "ipam.spidernet.io/app-name": "web",
    });
  });

  it("apiVersionOfGv", () => {
    assert.equal(apiVersionOfGv("apps_v1"), "apps/v1");
    assert.equal(apiVersionOfGv("apps.kruise.io_v1beta1"), "apps.kruise.io/v1beta1");
    assert.equal(apiVersionOfGv("v1"), "v1");
  });
});
