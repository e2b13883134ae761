import assert from "node:assert/strict";
import type { KubeObject } from "../k8s/api-client.js";
import { EventInbox, UnknownPhaseError, type WatchedPhase } from "./event-inbox.js";

const pool = (name: string): KubeObject => ({ metadata: { name } });

describe("EventInbox", () => {
  it("hands an event to every receiver of its kind, and to none of another kind", () => {
    const inbox = new EventInbox();
    const seen: string[] = [];
    inbox.register("SpiderIPPool", (o, phase) => seen.push(`a ${o.metadata.name} ${phase}`));
    inbox.register("SpiderIPPool", (o, phase) => seen.push(`b ${o.metadata.name} ${phase}`));
    inbox.register("SpiderSubnet", o => seen.push(`subnet ${o.metadata.name}`));
    assert.equal(inbox.deliver("SpiderIPPool", pool("p1"), "MODIFIED"), 2);
    assert.deepEqual(seen, ["a p1 MODIFIED", "b p1 MODIFIED"]);
    assert.equal(inbox.dropped, 0);
  });

  it("drops and counts an event that arrives before any receiver of its kind, without throwing", () => {
    const inbox = new EventInbox();
    const seen: WatchedPhase[] = [];
    inbox.register("SpiderSubnet", (_o, phase) => seen.push(phase));
    assert.equal(inbox.deliver("SpiderIPPool", pool("early"), "ADDED"), 0);
    assert.equal(inbox.deliver("Deployment", pool("web"), "DELETED"), 0);
    assert.equal(inbox.dropped, 2);
    assert.equal(seen.length, 0);
    inbox.register("SpiderIPPool", (_o, phase) => seen.push(phase));
    assert.equal(inbox.deliver("SpiderIPPool", pool("late"), "ADDED"), 1);
    assert.deepEqual(seen, ["ADDED"]);
  });

  it("stops handing events to a receiver once it is removed", () => {
    const inbox = new EventInbox();
    const seen: string[] = [];
    const off = inbox.register("SpiderEndpoint", o => seen.push(o.metadata.name));
    inbox.deliver("SpiderEndpoint", pool("one"), "ADDED");
    off();
    assert.equal(inbox.deliver("SpiderEndpoint", pool("two"), "ADDED"), 0);
    assert.deepEqual(seen, ["one"]);
  });

  it("a receiver that throws does not keep the event from the others, and its error comes back", () => {
    const inbox = new EventInbox();
    const seen: string[] = [];
    inbox.register("Job", () => {
      throw new Error("queue stopped");
    });
    inbox.register("Job", o => seen.push(o.metadata.name));
    assert.throws(() => inbox.deliver("Job", pool("j"), "MODIFIED"), /queue stopped/);
    assert.deepEqual(seen, ["j"]);
  });

  it("refuses a phase Pepr never passes, naming it", () => {
    const inbox = new EventInbox();
    let called = false;
    inbox.register("CronJob", () => (called = true));
    assert.throws(
      () => inbox.deliver("CronJob", pool("c"), "BOOKMARK"),
      (e: unknown) =>
        e instanceof UnknownPhaseError &&
        e.code === "unknown_watch_phase" &&
        e.message.includes('"BOOKMARK"'),
    );
    assert.equal(called, false);
  });
});
