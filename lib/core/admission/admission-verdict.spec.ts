import assert from "node:assert/strict";
import {
  ALLOWED,
  denyAlreadyExists,
  denyDeletion,
  denyTerminating,
  verdictOf,
} from "./admission-verdict.js";
import { forbidden } from "./field-error.js";

describe("admission-verdict", () => {
  it("allows when there is no error", () =>
    assert.deepEqual(verdictOf("SpiderIPPool", "p", []), ALLOWED));

  it("denies field errors with 422 Invalid and the NewInvalid message", () => {
    const errors = [forbidden("subnet_changed", "spec.subnet", "is not changeable")];
    assert.deepEqual(verdictOf("SpiderSubnet", "s", errors), {
      allowed: false,
      reason: "Invalid",
      status: 422,
      errors,
      message:
        'SpiderSubnet.spiderpool.spidernet.io "s" is invalid: spec.subnet: Forbidden: is not changeable',
    });
  });

  it("denies an update of a terminating object with 403 and NewForbidden's bare text", () => {
    assert.deepEqual(denyTerminating("cannot update a terminating IPPool"), {
      allowed: false,
      reason: "Forbidden",
      status: 403,
      code: "terminating",
      message: "forbidden: cannot update a terminating IPPool",
    });
  });

  it("denies a delete with 403 naming the resource", () => {
    const denial = denyDeletion(
      "spiderippools",
      "p",
      "cannot delete an IPPool with allocated IPs(2)",
    );
    assert.equal(denial.status, 403);
    assert.equal(denial.code, "allocated_ips");
    assert.equal(
      denial.message,
      'spiderippools.spiderpool.spidernet.io "p" is forbidden: cannot delete an IPPool with allocated IPs(2)',
    );
  });

  it("denies a taken name with 409 AlreadyExists, Kind as Spiderpool passes it", () => {
    const denial = denyAlreadyExists("SpiderIPPool", "p");
    assert.equal(denial.status, 409);
    assert.equal(denial.reason, "AlreadyExists");
    assert.equal(denial.message, 'SpiderIPPool.spiderpool.spidernet.io "p" already exists');
  });
});
