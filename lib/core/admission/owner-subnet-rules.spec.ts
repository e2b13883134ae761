import assert from "node:assert/strict";
import type { OwnerSubnet } from "./admission-objects.js";
import { pool, subnet } from "../../testing/admission-fixtures.js";
import { IntervalSet } from "../net/interval-set.js";
import { checkOwnerSubnet, controllerSubnetName } from "./owner-subnet-rules.js";

const ref = (kind: string, name: string, controller = true) => ({
  apiVersion: "x/v1",
  kind,
  name,
  uid: "u",
  controller,
});
const set = (ranges: string[]) => {
  const parsed = IntervalSet.fromRanges(ranges, 6);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
};

describe("owner-subnet-rules", () => {
  it("only a controller reference of kind SpiderSubnet counts", () => {
    assert.equal(
      controllerSubnetName(
        pool("p", { subnet: "fd00::/64" }, { ownerReferences: [ref("SpiderSubnet", "s", false)] }),
      ),
      undefined,
    );
    assert.equal(
      controllerSubnetName(
        pool("p", { subnet: "fd00::/64" }, { ownerReferences: [ref("ReplicaSet", "r")] }),
      ),
      undefined,
    );
    assert.equal(
      controllerSubnetName(
        pool(
          "p",
          { subnet: "fd00::/64" },
          { ownerReferences: [ref("Other", "o", false), ref("SpiderSubnet", "s")] },
        ),
      ),
      "s",
    );
  });

  describe("checkOwnerSubnet (IPv6)", () => {
    const owner: OwnerSubnet = {
      subnet: subnet("s", {
        subnet: "fd00::/64",
        ips: ["fd00::1-fd00::100"],
        excludeIPs: ["fd00::50"],
      }),
      controlledIPPools: { auto: { ips: ["fd00::1-fd00::4"] }, broken: { ips: ["10.0.0.1"] } },
    };
    const owned = (name: string, labels: Record<string, string> = {}) =>
      pool(name, { subnet: "fd00::/64" }, { ownerReferences: [ref("SpiderSubnet", "s")], labels });
    const auto = { "ipam.spidernet.io/owner-application-name": "web" };

    it("accepts a set inside the subnet's usable set", () => {
      assert.deepEqual(checkOwnerSubnet(owned("p"), 6, set(["fd00::10-fd00::4f"]), owner), []);
    });
    it("lists what lies outside, excluded addresses included", () => {
      const [error] = checkOwnerSubnet(
        owned("p"),
        6,
        set(["fd00::4f-fd00::51", "fd00::101"]),
        owner,
      );
      assert.deepEqual(error?.value, ["fd00::50", "fd00::101"]);
    });
    it("a subnet of another family offers nothing", () => {
      const v4: OwnerSubnet = {
        subnet: subnet("s", { subnet: "10.0.0.0/8", ips: ["10.0.0.1"] }),
        controlledIPPools: {},
      };
      assert.deepEqual(
        checkOwnerSubnet(owned("p"), 6, set(["fd00::1"]), v4).map(e => e.code),
        ["outside_owner_subnet"],
      );
    });
    it("compares an auto-created pool with its record, missing record included", () => {
      assert.deepEqual(
        checkOwnerSubnet(owned("auto", auto), 6, set(["fd00::1-fd00::4"]), owner),
        [],
      );
      assert.deepEqual(
        checkOwnerSubnet(owned("auto", auto), 6, set(["fd00::1-fd00::3"]), owner).map(e => e.code),
        ["auto_pool_ips_mismatch"],
      );
      assert.deepEqual(
        checkOwnerSubnet(owned("gone", auto), 6, set(["fd00::1"]), owner).map(e => e.code),
        ["auto_pool_ips_mismatch"],
      );
      assert.deepEqual(
        checkOwnerSubnet(owned("broken", auto), 6, set(["fd00::1"]), owner).map(e => e.code),
        ["unreadable_ranges"],
      );
    });
    it("needs the right subnet from the caller", () => {
      const other: OwnerSubnet = { ...owner, subnet: subnet("t", { subnet: "fd00::/64" }) };
      assert.deepEqual(
        checkOwnerSubnet(owned("p"), 6, set(["fd00::1"]), other).map(e => e.code),
        ["owner_subnet_missing"],
      );
    });
  });
});
