import assert from "node:assert/strict";
import { autoPoolObjectLabels } from "./auto-pool-naming.js";
import { orphanedAutoPools, unwantedAutoPools, type AutoPoolFacts } from "./auto-pool-reclaim.js";
import { findExistingAutoPool } from "./auto-pool-lookup.js";
import { autoPoolLabels } from "../selection/subnet-source.js";
import type { TopController } from "../selection/top-controller.js";

const top = (name: string, uid: string, kind = "Deployment"): TopController => ({
  group: "apps",
  version: "v1",
  kind,
  namespace: "ns",
  name,
  uid,
});
const pool = (
  name: string,
  t: TopController,
  reclaim = true,
  over: Partial<AutoPoolFacts> = {},
  subnet = "s",
  nic = "eth0",
): AutoPoolFacts => ({
  name,
  labels: autoPoolObjectLabels(subnet, "10.0.0.0/16", t, nic, 4, reclaim),
  terminating: false,
  ...over,
});

describe("auto-pool-reclaim", () => {
  it("orphanedAutoPools: gone or replaced workloads lose reclaimable pools only", () => {
    const pools = [
      pool("live", top("a", "u1")),
      pool("gone", top("b", "u2")),
      pool("replaced", top("c", "old")),
      pool("retained", top("d", "u4"), false),
      pool("unknown", top("e", "u5")),
      pool("terminating", top("f", "u6"), true, { terminating: true }),
      { name: "manual", labels: {}, terminating: false },
    ];
    const uids: Record<string, string | null | undefined> = {
      a: "u1",
      b: null,
      c: "new",
      d: null,
      e: undefined,
      f: null,
    };
    assert.deepEqual(
      orphanedAutoPools(pools, o => uids[o.name]),
      ["gone", "replaced"],
    );
  });

  it("unwantedAutoPools: the workload's reclaimable pools it no longer names", () => {
    const t = top("a", "u1");
    const pools = [
      pool("keep", t),
      pool("old-subnet", t, true, {}, "s-old"),
      pool("retained", t, false),
      pool("other", top("b", "u2")),
    ];
    assert.deepEqual(unwantedAutoPools(pools, "u1", new Set(["keep"])), ["old-subnet"]);
  });

  describe("findExistingAutoPool", () => {
    const lookup = autoPoolLabels("s", top("a", "u1"), "eth0", 4, false);
    it("prefers the pool of this UID", () => {
      const pools = [pool("b-retained", top("a", "u0"), false), pool("c-mine", top("a", "u1"))];
      assert.equal(findExistingAutoPool(pools, lookup, "u1")?.name, "c-mine");
    });
    it("adopts a retained pool of a same-name predecessor", () => {
      assert.equal(
        findExistingAutoPool([pool("r", top("a", "u0"), false)], lookup, "u1")?.name,
        "r",
      );
    });
    it("skips a reclaimable pool of another UID, a terminating pool, another kind, another NIC", () => {
      const pools = [
        pool("predecessor", top("a", "u0"), true),
        pool("terminating", top("a", "u1"), true, { terminating: true }),
        pool("sts", top("a", "u1", "StatefulSet")),
        pool("net1", top("a", "u1"), true, {}, "s", "net1"),
      ];
      assert.equal(findExistingAutoPool(pools, lookup, "u1"), undefined);
    });
  });
});
