import assert from "node:assert/strict";
import { auditClaims, type AuditHolder, type AuditPod } from "./claim-audit.js";
import { readAddress } from "../net/address.js";

const pool = (family: number, value: bigint) => {
  const lo = readAddress("10.0.0.0")!.value;
  return family === 4 && value > lo && value < lo + 256n ? "pool-a" : undefined;
};
const pod = (
  uid: string,
  ...addresses: ({ address: string; ifName?: string } | string)[]
): AuditPod => ({
  uid,
  namespace: "ns",
  name: `p-${uid}`,
  addresses: addresses.map(a => (typeof a === "string" ? { address: a } : a)),
});
const claims =
  (m: Record<string, string>) =>
  (a: string): AuditHolder | undefined =>
    m[a] ? { podUID: m[a], podNamespace: "ns", podName: `p-${m[a]}` } : undefined;

describe("auditClaims", () => {
  it("finds nothing when every address in use is its Pod's claim", () => {
    assert.deepEqual(auditClaims([pod("u1", "10.0.0.5")], claims({ "10.0.0.5": "u1" }), pool), []);
  });

  it("an address in use without a claim, inside a pool, is to be claimed for its Pod on the recorded NIC", () => {
    const [f] = auditClaims(
      [pod("u1", "10.0.0.5", { address: "10.0.0.6", ifName: "net1" })],
      claims({ "10.0.0.5": "u1" }),
      pool,
    );
    assert.equal(f?.kind, "unclaimed");
    assert.equal(
      f?.kind === "unclaimed" && `${f.address} ${f.ifName} ${f.pool}`,
      "10.0.0.6 net1 pool-a",
    );
  });

  it("status.podIPs without a record go to the default NIC", () => {
    const [f] = auditClaims([pod("u1", "10.0.0.7")], claims({}), pool);
    assert.equal(f?.kind === "unclaimed" && f.ifName, "eth0");
  });

  it("an address in use while another Pod's claim names it is reported", () => {
    const [f] = auditClaims([pod("u1", "10.0.0.5")], claims({ "10.0.0.5": "u2" }), pool);
    assert.equal(f?.kind, "claimedByOther");
    assert.equal(f?.kind === "claimedByOther" && f.holder.podUID, "u2");
  });

  it("skips addresses outside every pool and unparsable ones; judges each address once per Pod", () => {
    assert.deepEqual(
      auditClaims([pod("u1", "192.168.1.1", "not-an-ip", "")], claims({}), pool),
      [],
    );
    assert.equal(
      auditClaims(
        [pod("u1", "10.0.0.9", { address: "10.0.0.9/24", ifName: "eth0" })],
        claims({}),
        pool,
      ).length,
      1,
    );
  });

  it("compares IPv6 addresses in canonical form", () => {
    const v6pool = (family: number) => (family === 6 ? "pool-6" : undefined);
    const [f] = auditClaims([pod("u1", "fd00:0:0::0005")], claims({}), v6pool);
    assert.equal(f?.kind === "unclaimed" && f.address, "fd00::5");
    assert.deepEqual(
      auditClaims([pod("u1", "fd00:0:0::0005")], claims({ "fd00::5": "u1" }), v6pool),
      [],
    );
  });
});
