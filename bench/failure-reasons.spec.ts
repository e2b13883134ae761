import assert from "node:assert/strict";
import { failureReason, readAnswer } from "./failure-reasons.js";

describe("bench failure-reasons", () => {
  it("reads the first address of a successful ADD without its prefix", () => {
    assert.deepEqual(
      readAnswer("ADD", 0, null, '{"cniVersion":"1.0.0","ips":[{"address":"10.200.0.7/16"}]}', ""),
      { address: "10.200.0.7" },
    );
  });
  it("reports a successful ADD without an address as a failure", () => {
    assert.equal(readAnswer("ADD", 0, null, '{"ips":[]}', "").reason, "no address in result");
  });
  it("takes msg and details of a CNI error object", () => {
    const a = readAnswer(
      "ADD",
      1,
      null,
      '{"code":11,"msg":"spiderpool IP allocation error","details":"POST /v1/ipam/ip: timed out"}',
      "",
    );
    assert.deepEqual(a, {
      error: "spiderpool IP allocation error: POST /v1/ipam/ip: timed out",
      reason: "timeout",
    });
  });
  it("names a process the harness killed", () => {
    assert.equal(readAnswer("DEL", null, "SIGKILL", "", "").reason, "harness deadline");
  });
  const cases: Array<[msg: string, reason: string]> = [
    [
      "error at storage engine: time limit exceeded while waiting to become leader",
      "leader election timeout",
    ],
    [
      "Could not allocate IP in range: ip: 10.200.0.1 / - 10.200.3.232 / range: 10.200.0.0/16 / excludeRanges: []",
      "pool exhausted",
    ],
    [
      "spiderpool IP allocation error: failed to allocate: pool p: all IP addresses used out",
      "pool exhausted",
    ],
    ["Operation cannot be fulfilled on leases: the object has been modified", "conflict"],
    ["the server has received too many requests (429)", "throttled (429)"],
    [
      "unhealthy spiderpool-agent backend, failed to check: connect ENOENT /x.sock",
      "agent unreachable",
    ],
    [
      "something odd at 10.1.2.3/16 for 0123456789abcdef0123",
      "other: something odd at <ip> for <id>",
    ],
  ];
  for (const [msg, reason] of cases)
    it(`${reason} ← ${msg.slice(0, 50)}`, () => assert.equal(failureReason(msg), reason));
});
