import assert from "node:assert/strict";
import { probeScope, type ProbeClaim, type ProbeRequest } from "./coordinator-scope.js";

const NODE = "node-1";
const req: ProbeRequest = { namespace: "ns", name: "web", uid: "u1", ifName: "net1" };
const claim = (address: string, over: Partial<ProbeClaim["spec"]> = {}): ProbeClaim => ({
  spec: {
    address,
    podNamespace: "ns",
    podName: "web",
    podUID: "u1",
    interface: "net1",
    node: NODE,
    ...over,
  },
});
const at = (ip: string) => ({ ip, claim: ip });

describe("probeScope", () => {
  type Row = [
    string,
    ProbeRequest,
    { uid: string; node: string } | undefined,
    ProbeClaim[],
    RegExp | undefined,
  ];
  const table: Row[] = [
    [
      "the Pod's own addresses on its NIC on this node",
      req,
      { uid: "u1", node: NODE },
      [claim("10.6.0.5")],
      undefined,
    ],
    [
      "a Pod that does not exist",
      req,
      undefined,
      [claim("10.6.0.5")],
      /pod ns\/web does not exist/,
    ],
    [
      "another incarnation",
      req,
      { uid: "u2", node: NODE },
      [claim("10.6.0.5")],
      /has UID u2, the request names u1/,
    ],
    [
      "a Pod of another node",
      req,
      { uid: "u1", node: "node-2" },
      [claim("10.6.0.5")],
      /runs on node node-2, not on this node node-1/,
    ],
    [
      "an address without a claim",
      req,
      { uid: "u1", node: NODE },
      [],
      /address 10\.6\.0\.5 has no claim/,
    ],
    [
      "another Pod's address",
      req,
      { uid: "u1", node: NODE },
      [claim("10.6.0.5", { podName: "victim", podUID: "u9" })],
      /claimed by pod ns\/victim \(uid u9\) NIC net1, not ns\/web/,
    ],
    [
      "the Pod's address on another NIC",
      req,
      { uid: "u1", node: NODE },
      [claim("10.6.0.5", { interface: "eth0" })],
      /NIC eth0, not ns\/web \(uid u1\) NIC net1/,
    ],
    [
      "a quarantined address",
      req,
      { uid: "u1", node: NODE },
      [claim("10.6.0.5", { podUID: "quarantine" })],
      /uid quarantine/,
    ],
    [
      "a claim made on another node",
      req,
      { uid: "u1", node: NODE },
      [claim("10.6.0.5", { node: "node-2" })],
      /was claimed on node node-2/,
    ],
  ];
  for (const [why, r, pod, claims, refused] of table) {
    it(`${refused ? "refuses" : "allows"} ${why}`, () => {
      const byName = new Map(claims.map(c => [c.spec.address, c]));
      const s = probeScope(r, NODE, pod, [at("10.6.0.5")], n => byName.get(n));
      if (!refused) {
        assert.ok(s.ok);
        assert.deepEqual(s.claims, claims);
      } else {
        assert.ok(!s.ok);
        assert.match(s.reason, refused);
      }
    });
  }
});
