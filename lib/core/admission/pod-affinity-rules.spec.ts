import assert from "node:assert/strict";
import { pool } from "../../testing/admission-fixtures.js";
import { checkPodAffinity } from "./pod-affinity-rules.js";

const AUTO = { labels: { "ipam.spidernet.io/owner-application-name": "web" } };

describe("pod-affinity-rules", () => {
  it("has nothing to say without a selector", () => {
    assert.deepEqual(checkPodAffinity(pool("p", { subnet: "10.0.0.0/8" })), []);
    assert.deepEqual(checkPodAffinity(pool("p", { subnet: "10.0.0.0/8" }, AUTO)), []);
  });

  it("normal pool: valid non-empty selector", () => {
    assert.deepEqual(
      checkPodAffinity(
        pool("p", {
          subnet: "10.0.0.0/8",
          podAffinity: { matchExpressions: [{ key: "a", operator: "Exists" }] },
        }),
      ),
      [],
    );
    assert.deepEqual(
      checkPodAffinity(
        pool("p", { subnet: "10.0.0.0/8", podAffinity: { matchLabels: {}, matchExpressions: [] } }),
      ).map(e => e.code),
      ["empty_pod_affinity"],
    );
    assert.deepEqual(
      checkPodAffinity(
        pool("p", { subnet: "10.0.0.0/8", podAffinity: { matchLabels: { "a/b/c": "x" } } }),
      ).map(e => e.code),
      ["invalid_label_key"],
    );
  });

  it("auto-created pool: only the app labels, one error per extra key", () => {
    const selector = {
      matchLabels: {
        "ipam.spidernet.io/app-api-group": "apps",
        "ipam.spidernet.io/app-api-version": "v1",
        x: "1",
        y: "2",
      },
      matchExpressions: [{ key: "z", operator: "Exists" as const }],
    };
    const errors = checkPodAffinity(
      pool("p", { subnet: "10.0.0.0/8", podAffinity: selector }, AUTO),
    );
    assert.deepEqual(
      errors.map(e => [e.code, e.value]),
      [
        ["auto_pool_extra_match_labels", "x"],
        ["auto_pool_extra_match_labels", "y"],
        ["auto_pool_match_expressions", [{ key: "z", operator: "Exists" }]],
      ],
    );
  });

  it("auto-created pool: an empty selector is not the normal pool's error", () => {
    assert.deepEqual(
      checkPodAffinity(pool("p", { subnet: "10.0.0.0/8", podAffinity: {} }, AUTO)),
      [],
    );
  });
});
