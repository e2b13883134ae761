import assert from "node:assert/strict";
import { mergeWhenMany, withFinalizer, withLabel } from "./defaulting-steps.js";

describe("defaulting-steps", () => {
  it("adds the finalizer once, without touching the input", () => {
    const metadata = { name: "x", finalizers: ["a"] };
    assert.deepEqual(withFinalizer(metadata), {
      name: "x",
      finalizers: ["a", "spiderpool.spidernet.io"],
    });
    assert.deepEqual(metadata.finalizers, ["a"]);
    assert.deepEqual(withFinalizer({ finalizers: ["spiderpool.spidernet.io"] }).finalizers, [
      "spiderpool.spidernet.io",
    ]);
    assert.deepEqual(withFinalizer(undefined), { finalizers: ["spiderpool.spidernet.io"] });
  });

  it("sets a label, keeping the others", () => {
    const metadata = { labels: { a: "1" } };
    assert.deepEqual(withLabel(metadata, "b", "2").labels, { a: "1", b: "2" });
    assert.deepEqual(metadata.labels, { a: "1" });
  });

  it("merges only lists of more than one element", () => {
    const single = ["10.0.0.9-10.0.0.1"];
    assert.deepEqual(mergeWhenMany(single, 4, "spec.ips"), { ok: true, list: single });
    assert.deepEqual(mergeWhenMany(undefined, 4, "spec.ips"), { ok: true, list: undefined });
    assert.deepEqual(mergeWhenMany(["10.0.0.2", "10.0.0.1"], 4, "spec.ips"), {
      ok: true,
      list: ["10.0.0.1-10.0.0.2"],
    });
    assert.deepEqual(mergeWhenMany(["fd00::1", "10.0.0.1"], 6, "spec.excludeIPs"), {
      ok: false,
      stopped: "failed to merge 'spec.excludeIPs': invalid IP range format in IPv6 '10.0.0.1'",
    });
  });
});
