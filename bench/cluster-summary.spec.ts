import assert from "node:assert/strict";
import { parseRequestCounters } from "./api-requests.js";
import type { KubeletCall } from "./cluster-kubelet.js";
import { ipamRequests, percentile, summarizeCalls, watchCost } from "./cluster-summary.js";
import { parseWatchTallies, tallyDelta } from "./cluster-usage.js";

describe("bench:cluster summaries", () => {
  it("takes nearest-rank percentiles", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(xs, 50), 50);
    assert.equal(percentile(xs, 99), 99);
    assert.equal(percentile(xs, 100), 100);
    assert.equal(percentile([], 50), 0);
  });

  it("summarizes calls with their failures by reason", () => {
    const call = (ms: number, ok: boolean): KubeletCall => ({
      op: "ADD",
      pod: "ns/p",
      node: "n",
      queuedMs: 0,
      startMs: 10,
      endMs: 10 + ms,
      ok,
      addresses: [],
      ...(ok ? {} : { error: "timeout: no answer" }),
    });
    const s = summarizeCalls([call(5, true), call(7, true), call(100, false)]);
    assert.equal(s.calls, 3);
    assert.equal(s.failed, 1);
    assert.equal(s.p50Ms, 7);
    assert.equal(s.queuedP99Ms, 110);
    assert.deepEqual(s.failuresByReason, { timeout: 1 });
  });

  it("counts IPAM groups and core reads, not the Pod writes of controllers and the harness", () => {
    const c = parseRequestCounters(
      [
        'apiserver_request_total{code="201",group="ipam.pepr-spiderpool.io",resource="ipclaims",verb="POST"} 10',
        'apiserver_request_total{code="409",group="ipam.pepr-spiderpool.io",resource="ipclaims",verb="POST"} 2',
        'apiserver_request_total{code="200",group="spiderpool.spidernet.io",resource="spiderippools",subresource="status",verb="PATCH"} 3',
        'apiserver_request_total{code="200",group="",resource="pods",verb="GET"} 4',
        'apiserver_request_total{code="201",group="",resource="pods",verb="POST"} 100',
        'apiserver_request_total{code="201",group="",resource="pods",subresource="binding",verb="POST"} 100',
        'apiserver_request_total{code="200",group="",resource="pods",verb="DELETE"} 50',
        'apiserver_request_total{code="200",group="ipam.pepr-spiderpool.io",resource="ipclaims",verb="WATCH"} 7',
      ].join("\n"),
    );
    const r = ipamRequests(c);
    assert.equal(r.total, 19);
    assert.equal(r.conflicts409, 2);
    assert.deepEqual(r.byVerb, { GET: 4, PATCH: 3, POST: 12 });
    assert.equal(r.byResource["POST ipam.pepr-spiderpool.io/ipclaims"], 12);
    assert.equal(r.byResource["GET pods"], 4);
  });

  it("reads an agent's watch tallies and divides them per agent and per ADD", () => {
    const t0 = parseWatchTallies(
      [
        'spiderpool_api_watch_events_total{kind="ipclaims"} 10',
        'spiderpool_api_watch_received_bytes_total{kind="ipclaims"} 1000',
      ].join("\n"),
    );
    const t1 = parseWatchTallies(
      [
        "# HELP spiderpool_api_watch_events_total watch events received, per kind",
        'spiderpool_api_watch_events_total{kind="ipclaims"} 30',
        'spiderpool_api_watch_received_bytes_total{kind="ipclaims"} 5000',
        'spiderpool_api_watch_events_total{kind="pods"} 4',
        'spiderpool_api_watch_received_bytes_total{kind="pods"} 800',
      ].join("\n"),
    );
    const d = tallyDelta(t0, t1);
    assert.deepEqual(d.get("ipclaims"), { events: 20, bytes: 4000 });
    assert.deepEqual(d.get("pods"), { events: 4, bytes: 800 });
    const other = new Map([["ipclaims", { events: 20, bytes: 2000 }]]);
    const w = watchCost([d, other], 10);
    assert.equal(w.eventsPerAgentPerAdd, 2.2);
    assert.equal(w.bytesPerAgentPerAdd, 340);
    assert.equal(w.maxBytesPerAgentPerAdd, 480);
    assert.deepEqual(w.byKind.ipclaims, { events: 2, bytes: 300 });
  });
});
