import assert from "node:assert/strict";
import type { PeprValidateRequest } from "pepr";
import type { GenericKind } from "kubernetes-fluent-client";
import { validateWorkload } from "./workload-admission.js";

type Answer = { allowed: boolean; message?: string };

/** The part of Pepr's request the handler reads, with Approve/Deny recording the answer. */
function request(
  operation: "CREATE" | "UPDATE",
  raw: unknown,
  old?: unknown,
): PeprValidateRequest<GenericKind> {
  return {
    Raw: raw,
    OldResource: old,
    Request: { operation },
    Approve: () => ({ allowed: true }),
    Deny: (message?: string) => ({ allowed: false, message }),
  } as unknown as PeprValidateRequest<GenericKind>;
}

const deployment = (annotations: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  metadata: { name: "web", namespace: "ns", ...extra },
  spec: { replicas: 1, template: { metadata: { annotations }, spec: {} } },
});
const bad = { "ipam.spidernet.io/ippool-ip-number": "three" };
const worse = { ...bad, "ipam.spidernet.io/ippool-reclaim": "maybe" };

describe("validateWorkload", () => {
  const check = validateWorkload("Deployment");

  it("refuses a malformed template annotation on CREATE, naming it; accepts a well-formed one", async () => {
    const refused = (await check(request("CREATE", deployment(bad)))) as Answer;
    assert.equal(refused.allowed, false);
    assert.match(
      refused.message ?? "",
      /ipam\.spidernet\.io\/ippool-ip-number: invalid input 'three'/,
    );
    assert.deepEqual(
      await check(request("CREATE", deployment({ "ipam.spidernet.io/ippool-ip-number": "+1" }))),
      { allowed: true },
    );
  });

  it("on UPDATE refuses only problems the stored object did not have", async () => {
    assert.deepEqual(await check(request("UPDATE", deployment(bad), deployment(bad))), {
      allowed: true,
    });
    const refused = (await check(request("UPDATE", deployment(worse), deployment(bad)))) as Answer;
    assert.equal(refused.allowed, false);
    assert.match(refused.message ?? "", /ippool-reclaim/);
    assert.doesNotMatch(refused.message ?? "", /ippool-ip-number/);
  });

  it("leaves alone what the controller does not read: a ReplicaSet under a Deployment, a host-network template", async () => {
    const owned = deployment(bad, {
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "u", controller: true },
      ],
    });
    assert.deepEqual(await validateWorkload("ReplicaSet")(request("CREATE", owned)), {
      allowed: true,
    });
    assert.deepEqual(await validateWorkload("Deployment")(request("CREATE", owned)), {
      allowed: false,
      message: ((await check(request("CREATE", deployment(bad)))) as Answer).message,
    });
    const host = {
      ...deployment(bad),
      spec: { template: { metadata: { annotations: bad }, spec: { hostNetwork: true } } },
    };
    assert.deepEqual(await check(request("CREATE", host)), { allowed: true });
  });

  it("reads a CronJob's job template", async () => {
    const cron = {
      metadata: { name: "c", namespace: "ns" },
      spec: { jobTemplate: { spec: { template: { metadata: { annotations: bad } } } } },
    };
    assert.equal(
      ((await validateWorkload("CronJob")(request("CREATE", cron))) as Answer).allowed,
      false,
    );
  });
});
