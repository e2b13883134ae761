import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import {
  splitWorkloadWebhook,
  splitWorkloadWebhookFile,
  type WebhookConfiguration,
} from "./workload-webhook.js";

const rule = (group: string, resource: string) => ({
  apiGroups: [group],
  apiVersions: ["v1"],
  operations: ["CREATE", "UPDATE"],
  resources: [resource],
});
const pepr = (): WebhookConfiguration => ({
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingWebhookConfiguration",
  metadata: { name: "pepr-spiderpool" },
  webhooks: [
    {
      name: "pepr-spiderpool.pepr.dev",
      failurePolicy: "Fail",
      clientConfig: { url: "https://x/validate/p" },
      rules: [
        rule("spiderpool.spidernet.io", "spiderippools"),
        rule("apps", "deployments"),
        rule("batch", "cronjobs"),
      ],
    },
  ],
});

describe("splitWorkloadWebhook", () => {
  it("moves the apps and batch rules into a fail-open entry with the same client config; the rest stays fail-closed", () => {
    const out = splitWorkloadWebhook(pepr());
    assert.equal(out.webhooks!.length, 2);
    const [spider, workloads] = out.webhooks!;
    assert.deepEqual(spider!.rules, [rule("spiderpool.spidernet.io", "spiderippools")]);
    assert.equal(spider!.failurePolicy, "Fail");
    assert.equal(workloads!.name, "pepr-spiderpool-workloads.pepr.dev");
    assert.equal(workloads!.failurePolicy, "Ignore");
    assert.deepEqual(workloads!.rules, [rule("apps", "deployments"), rule("batch", "cronjobs")]);
    assert.deepEqual(workloads!.clientConfig, { url: "https://x/validate/p" });
  });

  it("is idempotent and leaves other configurations alone", () => {
    const once = splitWorkloadWebhook(pepr());
    assert.deepEqual(splitWorkloadWebhook(once), once);
    const mutating = { ...pepr(), kind: "MutatingWebhookConfiguration" };
    assert.deepEqual(splitWorkloadWebhook(mutating), mutating);
  });

  it("rewrites a built manifest file in place", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wl-webhook-"));
    const file = path.join(dir, "m.yaml");
    fs.writeFileSync(
      file,
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: pepr-system}\n---\n${JSON.stringify(pepr())}\n`,
    );
    splitWorkloadWebhookFile(file);
    const docs = parseAllDocuments(fs.readFileSync(file, "utf8")).map(
      d => d.toJS() as WebhookConfiguration,
    );
    assert.equal(docs[0]!.kind, "Namespace");
    assert.deepEqual(
      docs[1]!.webhooks!.map(w => [w.name, w.failurePolicy]),
      [
        ["pepr-spiderpool.pepr.dev", "Fail"],
        ["pepr-spiderpool-workloads.pepr.dev", "Ignore"],
      ],
    );
    fs.rmSync(dir, { recursive: true });
  });
});
