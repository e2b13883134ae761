import http from "node:http";
import client from "prom-client";
import type { ApiActivity } from "../k8s/api-activity.js";
import { registerApiActivityMetrics } from "../k8s/api-activity-metrics.js";

/**
 * Metrics of the watcher (names: docs/usage/metrics.md#watcher-metrics), in a registry of our own: Pepr's `/metrics` serves
 * only Pepr's private registry, so the watcher serves this one on its own port.
 */
export class WatcherMetrics {
  readonly registry = new client.Registry();
  readonly gcCounts = new client.Counter({
    name: "spiderpool_ip_gc_counts",
    help: "addresses released by IP GC",
    registers: [this.registry],
  });
  readonly gcFailures = new client.Counter({
    name: "spiderpool_ip_gc_failure_counts",
    help: "IP GC releases that failed",
    registers: [this.registry],
  });
  /** Releases whose sandbox's end no agent confirmed: a bound passed (docs/concepts/gc.md). */
  readonly gcUnconfirmed = new client.Counter({
    name: "spiderpool_ip_gc_unconfirmed_release_counts",
    help: "addresses released by IP GC after a bound passed without the node's agent confirming that no sandbox holds them",
    registers: [this.registry],
  });
  readonly gcReleased = new client.Counter({
    name: "spiderpool_ip_gc_released_by_reason_counts",
    help: "addresses released by IP GC, by why the Pod no longer needed them",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly inconsistent = new client.Counter({
    name: "spiderpool_inconsistent_record_counts",
    help: "SpiderEndpoints or pool statuses found contradicting the address claims (then repaired)",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly importedRecords = new client.Counter({
    name: "spiderpool_imported_allocation_record_counts",
    help: "Spiderpool allocation records of pools' status.allocatedIPs met by the migration import: created (a claim made), covered (the same Pod's claim existed), conflict (another Pod's claim holds the address), refused (a pool whose records cannot be read)",
    labelNames: ["result"],
    registers: [this.registry],
  });
  readonly totalPools = new client.Gauge({
    name: "spiderpool_total_ippool_counts",
    help: "number of SpiderIPPools",
    registers: [this.registry],
  });
  readonly totalSubnets = new client.Gauge({
    name: "spiderpool_total_subnet_counts",
    help: "number of SpiderSubnets",
    registers: [this.registry],
  });

  /** The API client's health: age of the last watch event per kind and of the oldest request. */
  watchApi(activity: ApiActivity): this {
    registerApiActivityMetrics(this.registry, activity);
    return this;
  }

  serve(port: number, host = "0.0.0.0"): http.Server {
    return http
      .createServer((req, res) => {
        if ((req.url ?? "").split("?")[0] !== "/metrics") return void res.writeHead(404).end();
        void this.registry.metrics().then(m => {
          res.writeHead(200, { "Content-Type": this.registry.contentType });
          res.end(m);
        });
      })
      .listen(port, host);
  }
}
