import client from "prom-client";
import type { ApiActivity } from "./api-activity.js";

/** Names shared by the agent and the watcher (docs/usage/metrics.md, "API client health"). */
export const WATCH_EVENT_AGE = "spiderpool_api_watch_last_event_age_seconds";
export const OLDEST_REQUEST_AGE = "spiderpool_api_oldest_inflight_request_age_seconds";
export const WATCH_EVENTS = "spiderpool_api_watch_events_total";
export const WATCH_BYTES = "spiderpool_api_watch_received_bytes_total";

/**
 * Gauges read at scrape time from the client's activity: a frozen connection shows as an age
 * that keeps growing, which an alert can catch while no request has failed yet.
 */
export function registerApiActivityMetrics(registry: client.Registry, activity: ApiActivity): void {
  new client.Gauge({
    name: WATCH_EVENT_AGE,
    help: "seconds since the watch of this kind last received an event or a bookmark, or was (re)opened; the stalest watch of the kind counts",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, age] of activity.watchAges()) this.set({ kind }, age);
    },
  });
  new client.Gauge({
    name: OLDEST_REQUEST_AGE,
    help: "seconds the oldest API request in flight has been waiting (0 when none is); watches count until their answer starts",
    registers: [registry],
    collect() {
      this.set(activity.oldestInFlightSeconds());
    },
  });
  // Counters read at scrape time: what this process pays for the changes of the whole cluster
  // (docs/concepts/scale.md).
  new client.Counter({
    name: WATCH_EVENTS,
    help: "watch events received, per kind",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, r] of activity.receivedTotals()) this.inc({ kind }, r.events);
    },
  });
  new client.Counter({
    name: WATCH_BYTES,
    help: "bytes of watch stream bodies received, per kind",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, r] of activity.receivedTotals()) this.inc({ kind }, r.bytes);
    },
  });
}
