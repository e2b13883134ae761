import assert from "node:assert/strict";
import fc from "fast-check";
import { IntervalSet } from "../net/interval-set.js";
import { accountSubnet, type SubnetAccountingInput } from "./subnet-accounting.js";

const set = (...texts: string[]) => {
  const r = IntervalSet.fromRanges(texts, 4);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const base: SubnetAccountingInput = {
  family: 4,
  subnetUsable: set("10.0.0.1-10.0.0.100"),
  records: {},
  pools: [],
  applicationExists: () => true,
};

describe("subnet-accounting", () => {
  it("counts the usable set and the recorded addresses", () => {
    const r = accountSubnet({
      ...base,
      records: { a: { ips: ["10.0.0.1-10.0.0.5"], application: "apps_v1_Deployment_ns_a" } },
      pools: [{ name: "a", autoCreated: true, usable: set("10.0.0.1-10.0.0.5") }],
    });
    assert.deepEqual(r, {
      records: { a: { ips: ["10.0.0.1-10.0.0.5"], application: "apps_v1_Deployment_ns_a" } },
      allocatedIPCount: 5,
      totalIPCount: 100,
      dropped: [],
    });
  });

  const cases: Array<[string, Partial<SubnetAccountingInput>, string[], string[]]> = [
    // [name, input, kept record names, dropped]
    [
      "auto record whose pool is not created yet stays while its application exists",
      { records: { a: { ips: ["10.0.0.1"], application: "x" } } },
      ["a"],
      [],
    ],
    [
      "auto record of a retained pool stays although its application is gone",
      {
        records: { a: { ips: ["10.0.0.1"], application: "x" } },
        pools: [{ name: "a", autoCreated: true, usable: set("10.0.0.1") }],
        applicationExists: () => false,
      },
      ["a"],
      [],
    ],
    [
      "auto record with neither pool nor application is dropped",
      { records: { a: { ips: ["10.0.0.1"], application: "x" } }, applicationExists: () => false },
      [],
      ["a"],
    ],
    [
      "unknown application: kept",
      {
        records: { a: { ips: ["10.0.0.1"], application: "x" } },
        applicationExists: () => undefined,
      },
      ["a"],
      [],
    ],
    [
      "manual record of a deleted pool is dropped (I00022)",
      { records: { m: { ips: ["10.0.0.1"] } } },
      [],
      ["m"],
    ],
    [
      "manual pool owned by the subnet is recorded",
      { pools: [{ name: "m", autoCreated: false, usable: set("10.0.0.50-10.0.0.52") }] },
      ["m"],
      [],
    ],
  ];
  for (const [name, over, kept, dropped] of cases) {
    it(name, () => {
      const r = accountSubnet({ ...base, ...over });
      assert.deepEqual(Object.keys(r.records), kept);
      assert.deepEqual(r.dropped, dropped);
    });
  }

  it("a manual pool's record is rebuilt from its usable set inside the subnet", () => {
    const r = accountSubnet({
      ...base,
      records: { m: { ips: ["10.0.0.9"] } },
      pools: [{ name: "m", autoCreated: false, usable: set("10.0.0.99-10.0.0.102") }],
    });
    assert.deepEqual(r.records, { m: { ips: ["10.0.0.99-10.0.0.100"] } });
    assert.equal(r.allocatedIPCount, 2);
  });

  it("property: allocatedIPCount is the sum of the kept records", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 1, max: 90 }),
            fc.integer({ min: 0, max: 9 }),
            fc.boolean(),
            fc.boolean(),
          ),
          { maxLength: 8 },
        ),
        specs => {
          const records: Record<string, { ips: string[]; application?: string }> = {};
          const pools: { name: string; autoCreated: boolean; usable: IntervalSet }[] = [];
          specs.forEach(([start, len, hasPool, auto], i) => {
            const ips = [`10.0.0.${start}-10.0.0.${start + len}`];
            records[`p${i}`] = auto ? { ips, application: `app${i}` } : { ips };
            if (hasPool) pools.push({ name: `p${i}`, autoCreated: auto, usable: set(...ips) });
          });
          const r = accountSubnet({
            ...base,
            records,
            pools,
            applicationExists: k => Number(k.slice(3)) % 2 === 0,
          });
          const sum = Object.values(r.records).reduce(
            (acc, rec) => acc + Number(set(...rec.ips).size()),
            0,
          );
          assert.equal(r.allocatedIPCount, sum);
          assert.equal(
            Object.keys(r.records).length + r.dropped.length,
            new Set([...Object.keys(records), ...pools.map(p => p.name)]).size,
          );
        },
      ),
    );
  });
});
