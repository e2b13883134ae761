import assert from "node:assert/strict";
import { delta, isIpamRequest, parseRequestCounters, splitKey, summarize } from "./api-requests.js";

const scrape = (lines: string[]) =>
  parseRequestCounters(
    [
      "# HELP apiserver_request_total x",
      "# TYPE apiserver_request_total counter",
      ...lines,
      'apiserver_request_duration_seconds_count{verb="GET"} 9',
    ].join("\n"),
  );
const line = (verb: string, group: string, resource: string, code: string, n: number, sub = "") =>
  `apiserver_request_total{code="${code}",component="apiserver",dry_run="",group="${group}",resource="${resource}",scope="resource",subresource="${sub}",verb="${verb}",version="v1"} ${n}`;

describe("bench api-requests", () => {
  it("parses apiserver_request_total by verb, group, resource/subresource and code, ignoring other series", () => {
    const c = scrape([
      line("GET", "", "pods", "200", 5),
      line("PATCH", "spiderpool.spidernet.io", "spiderippools", "200", 2, "status"),
    ]);
    assert.deepEqual(
      [...c],
      [
        ["GET core pods 200", 5],
        ["PATCH spiderpool.spidernet.io spiderippools/status 200", 2],
      ],
    );
  });

  describe("isIpamRequest", () => {
    const cases: Array<[key: string, counted: boolean]> = [
      ["POST ipam.pepr-spiderpool.io ipclaims 201", true],
      ["PATCH whereabouts.cni.cncf.io ippools 200", true],
      ["LIST whereabouts.cni.cncf.io ippools 200", true],
      ["PUT coordination.k8s.io leases 409", true],
      ["GET coordination.k8s.io leases 200", true],
      ["PATCH coordination.k8s.io leases 200", false], // node heartbeats
      ["WATCH spiderpool.spidernet.io spiderippools 200", false],
      ["GET core pods 200", true],
      ["GET core nodes 200", false],
      ["PATCH core nodes/status 200", false],
    ];
    for (const [key, counted] of cases)
      it(`${key} → ${counted}`, () => assert.equal(isIpamRequest(splitKey(key)), counted));
  });

  it("summarizes the delta of two scrapes by verb, resource and code", () => {
    const before = scrape([
      line("GET", "coordination.k8s.io", "leases", "200", 10),
      line("PUT", "coordination.k8s.io", "leases", "409", 1),
    ]);
    const after = scrape([
      line("GET", "coordination.k8s.io", "leases", "200", 16),
      line("PUT", "coordination.k8s.io", "leases", "409", 3),
      line("PATCH", "coordination.k8s.io", "leases", "200", 40),
      line("POST", "whereabouts.cni.cncf.io", "overlappingrangeipreservations", "201", 4),
    ]);
    const s = summarize(delta(before, after));
    assert.equal(s.total, 12);
    assert.deepEqual(s.byVerb, { GET: 6, POST: 4, PUT: 2 });
    assert.deepEqual(s.byCode, { "200": 6, "201": 4, "409": 2 });
    assert.equal(s.byResource["POST whereabouts.cni.cncf.io/overlappingrangeipreservations"], 4);
  });
});
