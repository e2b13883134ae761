import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { deployedPeprManifest, peprOverlay } from "./pepr-in-cluster.js";
import { REAL_NODE_LABEL } from "./real-node.js";

describe("the in-cluster Pepr module's overlay (cluster:up --install deployed)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pepr-overlay-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // As the workload split writes it: two webhooks sharing one clientConfig (a YAML alias).
  const built = `apiVersion: apps/v1
kind: Deployment
metadata: {name: pepr-spiderpool, namespace: pepr-system}
spec: {replicas: 2}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: pepr-spiderpool}
webhooks:
  - name: a
    clientConfig: &cc {service: {name: pepr-spiderpool, namespace: pepr-system, path: /validate/x}}
  - name: b
    clientConfig: *cc
`;

  it("keeps the built objects, written without aliases, and pins only the module's Deployments to the real node", () => {
    const src = path.join(dir, "built.yaml");
    fs.writeFileSync(src, built);
    const out = peprOverlay(src, path.join(dir, "overlay"));
    const copy = fs.readFileSync(deployedPeprManifest(out), "utf8");
    assert.doesNotMatch(copy, /[&*]\w+/, "an alias or anchor in the copy");
    assert.deepEqual(
      parseAllDocuments(copy).map(d => d.toJS() as unknown),
      parseAllDocuments(built).map(d => d.toJS() as unknown),
    );
    const k = parse(fs.readFileSync(path.join(out, "kustomization.yaml"), "utf8")) as {
      resources: string[];
      patches: { target: Record<string, string>; patch: string }[];
    };
    assert.deepEqual(k.resources, [path.basename(deployedPeprManifest(out))]);
    assert.deepEqual(
      k.patches.map(p => p.target),
      [{ kind: "Deployment", namespace: "pepr-system" }],
    );
    const ops = JSON.parse(k.patches[0]!.patch) as { path: string; value: unknown }[];
    assert.deepEqual(
      ops.map(o => [o.path, o.value]),
      [
        ["/spec/template/spec/nodeSelector", { [REAL_NODE_LABEL]: "true" }],
        [
          "/spec/template/spec/tolerations",
          [{ key: REAL_NODE_LABEL, operator: "Exists", effect: "NoSchedule" }],
        ],
      ],
    );
  });
});
