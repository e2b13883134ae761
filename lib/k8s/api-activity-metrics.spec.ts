import assert from "node:assert/strict";
import client from "prom-client";
import { ApiActivity, kindOfPath } from "./api-activity.js";
import {
  OLDEST_REQUEST_AGE,
  registerApiActivityMetrics,
  WATCH_BYTES,
  WATCH_EVENT_AGE,
  WATCH_EVENTS,
} from "./api-activity-metrics.js";

describe("API client health metrics", () => {
  let now = 1_000_000;
  const clock = () => now;

  async function scrape(activity: ApiActivity): Promise<string> {
    const registry = new client.Registry();
    registerApiActivityMetrics(registry, activity);
    return registry.metrics();
  }

  it("serves per kind the age of its stalest watch, and drops closed watches", async () => {
    const a = new ApiActivity(clock);
    const pods1 = a.watch("pods");
    now += 5_000;
    const pods2 = a.watch("pods");
    const claims = a.watch("ipclaims");
    now += 10_000;
    claims.seen();
    pods2.seen();
    now += 2_000;
    let text = await scrape(a);
    // pods1 has been silent 17 s, pods2 2 s: the stale one must not hide behind the live one.
    assert.match(text, new RegExp(`^${WATCH_EVENT_AGE}\\{kind="pods"\\} 17$`, "m"));
    assert.match(text, new RegExp(`^${WATCH_EVENT_AGE}\\{kind="ipclaims"\\} 2$`, "m"));
    pods1.close();
    text = await scrape(a);
    assert.match(text, new RegExp(`^${WATCH_EVENT_AGE}\\{kind="pods"\\} 2$`, "m"));
    pods2.close();
    text = await scrape(a);
    assert.doesNotMatch(text, /kind="pods"/);
  });

  it("serves per kind the watch events and bytes received, summed over every watch", async () => {
    const a = new ApiActivity(clock);
    assert.doesNotMatch(await scrape(a), new RegExp(`^${WATCH_EVENTS}\\{`, "m"));
    a.received("ipclaims", 1200, 2);
    a.received("ipclaims", 300, 0);
    a.received("pods", 50, 1);
    const text = await scrape(a);
    assert.match(text, new RegExp(`^${WATCH_EVENTS}\\{kind="ipclaims"\\} 2$`, "m"));
    assert.match(text, new RegExp(`^${WATCH_BYTES}\\{kind="ipclaims"\\} 1500$`, "m"));
    assert.match(text, new RegExp(`^${WATCH_EVENTS}\\{kind="pods"\\} 1$`, "m"));
    assert.match(text, new RegExp(`^${WATCH_BYTES}\\{kind="pods"\\} 50$`, "m"));
  });

  it("serves the age of the oldest request in flight, 0 when none is", async () => {
    const a = new ApiActivity(clock);
    assert.match(await scrape(a), new RegExp(`^${OLDEST_REQUEST_AGE} 0$`, "m"));
    const endFirst = a.begin();
    now += 3_000;
    const endSecond = a.begin();
    now += 1_500;
    assert.match(await scrape(a), new RegExp(`^${OLDEST_REQUEST_AGE} 4.5$`, "m"));
    endFirst();
    assert.match(await scrape(a), new RegExp(`^${OLDEST_REQUEST_AGE} 1.5$`, "m"));
    endSecond();
    assert.match(await scrape(a), new RegExp(`^${OLDEST_REQUEST_AGE} 0$`, "m"));
  });
});

describe("kindOfPath", () => {
  it("labels a collection path with its resource plural", () => {
    assert.equal(kindOfPath("/api/v1/pods"), "pods");
    assert.equal(
      kindOfPath("/apis/spiderpool.spidernet.io/v2beta1/spiderippools"),
      "spiderippools",
    );
    assert.equal(kindOfPath("/apis/apps/v1/namespaces/x/statefulsets/"), "statefulsets");
  });
});
