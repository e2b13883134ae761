import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { leaksOf } from "./check-report.js";
import { CliError } from "./cli-error.js";
import { CLI_API_VERSION, render, usageBar } from "./output.js";

describe("cli/output", () => {
  it("draws a usage bar rounded to the cell, never empty for a used pool, full at 100 %", () => {
    assert.equal(usageBar(0n, 10n, 10), "[----------]   0%");
    assert.equal(usageBar(1n, 1000n, 10), "[#---------]   0%");
    assert.equal(usageBar(5n, 10n, 10), "[#####-----]  50%");
    assert.equal(usageBar(10n, 10n, 10), "[##########] 100%");
    assert.equal(usageBar(0n, 0n, 4), "[    ]    -");
  });

  it("json and yaml carry apiVersion and kind around the body, bigint as numbers", () => {
    const r = { kind: "PoolList", body: { items: [{ total: 5n }] }, table: () => "T" };
    const expected = { apiVersion: CLI_API_VERSION, kind: "PoolList", items: [{ total: 5 }] };
    assert.deepEqual(JSON.parse(render(r, "json")), expected);
    assert.deepEqual(parseYaml(render(r, "yaml")), expected);
    assert.equal(render(r, "table"), "T");
  });

  describe("check reports for release --from-report", () => {
    const leak = {
      type: "LeakedClaim",
      address: "10.9.0.2",
      pool: "a",
      claim: { name: "10.9.0.2", uid: "u", resourceVersion: "5" },
    };
    const report = (items: unknown[], kind = "CheckReport") => ({
      apiVersion: CLI_API_VERSION,
      kind,
      items,
    });

    it("takes only the LeakedClaim findings", () => {
      assert.deepEqual(
        leaksOf(report([leak, { type: "UnclaimedPodAddress", address: "10.9.0.3" }]), "r"),
        [
          {
            address: "10.9.0.2",
            pool: "a",
            claim: { name: "10.9.0.2", uid: "u", resourceVersion: "5" },
          },
        ],
      );
    });

    const bad: Array<[string, unknown, RegExp]> = [
      [
        "another kind",
        report([], "PoolList"),
        /r: expected the output of spiderpool check -o json \(kind CheckReport\), got kind "PoolList"/,
      ],
      ["another apiVersion", { ...report([]), apiVersion: "v9" }, /apiVersion "v9" is not/],
      ["no items", { apiVersion: CLI_API_VERSION, kind: "CheckReport" }, /items must be a list/],
      [
        "a leak without resourceVersion",
        report([{ ...leak, claim: { name: "x", uid: "u" } }]),
        /items\[0\]\.claim\.resourceVersion must be a non-empty string/,
      ],
    ];
    for (const [what, doc, message] of bad)
      it(`refuses ${what}, naming the field (exit 2)`, () =>
        assert.throws(
          () => leaksOf(doc, "r"),
          (e: unknown) => e instanceof CliError && e.exitCode === 2 && message.test(e.message),
        ));
  });
});
