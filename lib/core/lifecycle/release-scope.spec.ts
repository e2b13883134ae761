import assert from "node:assert/strict";
import fc from "fast-check";
import {
  releaseScope,
  type ScopeClaim,
  type ScopePod,
  type ScopeRequest,
} from "./release-scope.js";

const NODE = "node-1";
const claim = (address: string, over: Partial<ScopeClaim["spec"]> = {}): ScopeClaim => ({
  spec: { address, podNamespace: "ns", podName: "web", podUID: "u1", node: NODE, ...over },
});
const web: ScopeRequest = { namespace: "ns", name: "web", uid: "u1" };
const live: ScopePod = { uid: "u1", node: NODE, alive: true };
const dead: ScopePod = { ...live, alive: false };
const ledger =
  (...claims: ScopeClaim[]) =>
  (uid: string) =>
    claims.filter(c => c.spec.podUID === uid);
const mine = [claim("10.0.0.5"), claim("10.0.0.6", { podUID: "u1" })];
const victim = claim("10.0.0.9", { podName: "victim", podUID: "u-victim" });

describe("releaseScope", () => {
  type Row = [
    string,
    ScopeRequest,
    ScopePod | undefined,
    ScopeClaim[],
    boolean,
    string,
    RegExp | string[],
  ];
  // [why, request, pod, ledger, keepLive, verdict, reason pattern or released addresses]
  const table: Row[] = [
    [
      "DEL of a gone Pod releases its claims",
      web,
      undefined,
      [...mine, victim],
      true,
      "release",
      ["10.0.0.5", "10.0.0.6"],
    ],
    [
      "DEL of a dead Pod releases its claims",
      web,
      dead,
      mine,
      true,
      "release",
      ["10.0.0.5", "10.0.0.6"],
    ],
    [
      "DEL of a live Pod keeps them (sandbox re-creation)",
      web,
      live,
      mine,
      true,
      "keep",
      /pod ns\/web \(uid u1\) is alive/,
    ],
    [
      "DEL without a UID of a live Pod keeps them",
      { ...web, uid: "" },
      live,
      mine,
      true,
      "keep",
      /is alive/,
    ],
    [
      "DEL without a UID of a gone Pod releases nothing (GC decides)",
      { ...web, uid: "" },
      undefined,
      mine,
      true,
      "release",
      [],
    ],
    [
      "DEL without a UID of a dead Pod releases the Pod's claims",
      { ...web, uid: "" },
      dead,
      mine,
      true,
      "release",
      ["10.0.0.5", "10.0.0.6"],
    ],
    [
      "DEL of an older incarnation releases its claims while the new one lives",
      web,
      { ...live, uid: "u2" },
      mine,
      true,
      "release",
      ["10.0.0.5", "10.0.0.6"],
    ],
    [
      "DEL of a Pod with no claims succeeds with nothing",
      web,
      undefined,
      [victim],
      true,
      "release",
      [],
    ],
    [
      "batch DEL of a live Pod releases its claims",
      web,
      live,
      mine,
      false,
      "release",
      ["10.0.0.5", "10.0.0.6"],
    ],
    [
      "a made-up Pod with the victim's UID is refused",
      { namespace: "ns", name: "made-up", uid: "u-victim" },
      undefined,
      [victim],
      true,
      "refused",
      /^claim 10\.0\.0\.9 belongs to pod ns\/victim \(uid u-victim\), not ns\/made-up \(uid u-victim\)$/,
    ],
    [
      "the victim's UID under another namespace is refused",
      { namespace: "other", name: "victim", uid: "u-victim" },
      undefined,
      [victim],
      false,
      "refused",
      /belongs to pod ns\/victim/,
    ],
    [
      "a live Pod of another node is refused",
      web,
      { ...live, node: "node-2" },
      mine.map(c => claim(c.spec.address, { node: "node-2" })),
      true,
      "refused",
      /^pod ns\/web \(uid u1\) runs on node node-2, not on this node node-1$/,
    ],
    [
      "a dead Pod of another node is refused",
      web,
      { ...dead, node: "node-2" },
      [],
      false,
      "refused",
      /runs on node node-2/,
    ],
    [
      "a Pod of another node named without a UID is refused",
      { ...web, uid: "" },
      { ...live, node: "node-2" },
      [],
      true,
      "refused",
      /runs on node node-2/,
    ],
    [
      "an unbound Pod is refused",
      web,
      { ...dead, node: "" },
      mine,
      false,
      "refused",
      /is not bound to any node, not on this node node-1/,
    ],
    [
      "a gone Pod whose claims were made on another node is refused",
      web,
      undefined,
      [claim("10.0.0.5", { node: "node-2" })],
      true,
      "refused",
      /^claim 10\.0\.0\.5 of pod ns\/web \(uid u1\) was made on node node-2, not on this node node-1$/,
    ],
    [
      "one claim on another node refuses the whole request",
      web,
      undefined,
      [claim("10.0.0.5"), claim("10.0.0.6", { node: "node-2" })],
      false,
      "refused",
      /10\.0\.0\.6 .*node-2/,
    ],
    [
      "a claim without a node is refused",
      web,
      undefined,
      [claim("10.0.0.5", { node: "" })],
      true,
      "refused",
      /made on node "", not on this node/,
    ],
    [
      "another incarnation on another node does not hide this node's old claims",
      web,
      { ...live, uid: "u2", node: "node-2" },
      mine,
      true,
      "release",
      ["10.0.0.5", "10.0.0.6"],
    ],
  ];
  for (const [why, req, pod, claims, keepLive, verdict, expect] of table) {
    it(why, () => {
      const s = releaseScope(req, NODE, pod, ledger(...claims), { keepLive });
      assert.equal(s.verdict, verdict, JSON.stringify(s));
      if (s.verdict === "release")
        assert.deepEqual(
          s.claims.map(c => c.spec.address),
          expect,
        );
      else assert.match(s.reason, expect as RegExp);
    });
  }

  it("never lets a request release a claim of another Pod or another node", () => {
    const names = fc.constantFrom("ns", "other");
    const pods = fc.constantFrom("web", "victim", "made-up");
    const uids = fc.constantFrom("", "u1", "u2", "u-victim");
    const nodes = fc.constantFrom(NODE, "node-2", "");
    const anyClaim = fc
      .record({
        address: fc.ipV4(),
        podNamespace: names,
        podName: pods,
        podUID: uids.filter(Boolean),
        node: nodes,
      })
      .map(spec => ({ spec }));
    fc.assert(
      fc.property(
        fc.record({ namespace: names, name: pods, uid: uids }),
        fc.option(fc.record({ uid: uids.filter(Boolean), node: nodes, alive: fc.boolean() }), {
          nil: undefined,
        }),
        fc.array(anyClaim, { maxLength: 6 }),
        fc.boolean(),
        (req, pod, claims, keepLive) => {
          const s = releaseScope(req, NODE, pod, ledger(...claims), { keepLive });
          if (s.verdict !== "release") return;
          for (const { spec } of s.claims) {
            assert.equal(spec.node, NODE);
            assert.deepEqual([spec.podNamespace, spec.podName], [req.namespace, req.name]);
            assert.equal(spec.podUID, s.uid);
          }
          // A live incarnation on this node keeps its addresses on DEL.
          if (keepLive && pod?.alive && pod.uid === (req.uid || pod.uid))
            assert.equal(s.claims.length, 0);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
