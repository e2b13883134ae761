import assert from "node:assert/strict";
import type { Node } from "../k8s/core-kinds.js";
import { nodeFacts } from "./node-facts.js";

const node = (
  ready: string | undefined,
  extra: Partial<Node> = {},
  meta: Partial<Node["metadata"]> = {},
): Node => ({
  metadata: { name: "node-3", ...meta },
  status: {
    conditions: ready
      ? [{ type: "Ready", status: ready, lastTransitionTime: "2026-12-07T12:00:00Z" }]
      : [],
  },
  ...extra,
});

describe("nodeFacts", () => {
  it("Ready is ready", () => assert.deepEqual(nodeFacts(node("True")), { state: "ready" }));

  it("NotReady and unreachable (Unknown) may still hold sandboxes, since their last Ready transition", () => {
    for (const s of ["False", "Unknown"])
      assert.deepEqual(nodeFacts(node(s)), {
        state: "notReady",
        since: Date.parse("2026-12-07T12:00:00Z"),
      });
    assert.deepEqual(nodeFacts(node(undefined)), { state: "notReady", since: undefined });
  });

  it("tainted out-of-service, or being deleted, is dead whatever its Ready condition says", () => {
    const taints = [
      { key: "node.kubernetes.io/out-of-service", value: "nodeshutdown", effect: "NoExecute" },
    ];
    assert.deepEqual(nodeFacts(node("Unknown", { spec: { taints } })), { state: "dead" });
    assert.deepEqual(nodeFacts(node("True", { spec: { taints } })), { state: "dead" });
    assert.deepEqual(
      nodeFacts(node("Unknown", {}, { deletionTimestamp: "2026-12-07T12:01:00Z" })),
      { state: "dead" },
    );
  });

  it("other taints, unreachable ones included, do not make a node dead", () => {
    const taints = [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }];
    assert.equal(nodeFacts(node("Unknown", { spec: { taints } })).state, "notReady");
  });
});
