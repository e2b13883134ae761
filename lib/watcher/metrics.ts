import http from "node:http";
import client from "prom-client";
import type { ApiActivity } from "../k8s/api-activity.js";
import { registerApiActivityMetrics } from "../k8s/api-activity-metrics.js";
import { registerBuildInfo } from "../build-info.js";
import { LABEL_OWNER_SPIDER_SUBNET } from "../core/base/well-known-names.js";

/** What the per-pool and per-subnet gauges read of a SpiderIPPool or SpiderSubnet. */
export interface CountedObject {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    ownerReferences?: readonly { kind: string; name: string; controller?: boolean }[];
  };
  status?: { totalIPCount?: number; allocatedIPCount?: number };
}

/**
 * Metrics of the watcher (names: docs/usage/metrics.md#watcher-metrics), in a registry of our own: Pepr's `/metrics` serves
 * only Pepr's private registry, so the watcher serves this one on its own port. Counters carry
 * `_total` as Spiderpool's OpenTelemetry exporter serves them, so its dashboard finds them.
 */
export class WatcherMetrics {
  readonly registry = new client.Registry();
  readonly gcCounts = new client.Counter({
    name: "spiderpool_ip_gc_counts_total",
    help: "addresses released by IP GC",
    registers: [this.registry],
  });
  /** Spiderpool's controller series for its GC releases: here a conditioned claim delete refused (409). */
  readonly releaseConflicts = new client.Counter({
    name: "spiderpool_ipam_release_update_ippool_conflict_counts_total",
    help: "IP GC releases refused because the claim changed since it was judged (HTTP 409)",
    registers: [this.registry],
  });
  readonly gcFailures = new client.Counter({
    name: "spiderpool_ip_gc_failure_counts_total",
    help: "IP GC releases that failed",
    registers: [this.registry],
  });
  /** Releases whose sandbox's end no agent confirmed: a bound passed (docs/concepts/gc.md). */
  readonly gcUnconfirmed = new client.Counter({
    name: "spiderpool_ip_gc_unconfirmed_release_counts_total",
    help: "addresses released by IP GC after a bound passed without the node's agent confirming that no sandbox holds them",
    registers: [this.registry],
  });
  readonly gcReleased = new client.Counter({
    name: "spiderpool_ip_gc_released_by_reason_counts_total",
    help: "addresses released by IP GC, by why the Pod no longer needed them",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly inconsistent = new client.Counter({
    name: "spiderpool_inconsistent_record_counts_total",
    help: "SpiderEndpoints or pool statuses found contradicting the address claims (then repaired)",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly importedRecords = new client.Counter({
    name: "spiderpool_imported_allocation_record_counts_total",
    help: "Spiderpool allocation records of pools' status.allocatedIPs met by the migration import: created (a claim made), covered (the same Pod's claim existed), conflict (another Pod's claim holds the address), refused (a pool whose records cannot be read)",
    labelNames: ["result"],
    registers: [this.registry],
  });
  #pools: () => readonly CountedObject[] = () => [];
  #subnets: () => readonly CountedObject[] = () => [];
  readonly #totalPools: client.Gauge = new client.Gauge({
    name: "spiderpool_total_ippool_counts",
    help: "number of SpiderIPPools",
    registers: [this.registry],
    collect: () => this.#totalPools.set(this.#pools().length),
  });
  /** 0 while the subnet feature is off: no SpiderSubnet is served then. */
  readonly #totalSubnets: client.Gauge = new client.Gauge({
    name: "spiderpool_total_subnet_counts",
    help: "number of SpiderSubnets",
    registers: [this.registry],
    collect: () => this.#totalSubnets.set(this.#subnets().length),
  });
  readonly #subnetPools: client.Gauge = new client.Gauge({
    name: "spiderpool_debug_subnet_ippool_counts",
    help: "SpiderIPPools the subnet controls (auto pools and adopted pools)",
    labelNames: ["SpiderSubnet"],
    registers: [this.registry],
    collect: () => {
      this.#subnetPools.reset();
      const owned = new Map(this.#subnets().map(s => [s.metadata.name, 0]));
      for (const p of this.#pools()) {
        const owner = ownerSubnetOf(p) ?? "";
        const n = owned.get(owner);
        if (n !== undefined) owned.set(owner, n + 1);
      }
      for (const [name, n] of owned) this.#subnetPools.set({ SpiderSubnet: name }, n);
    },
  });

  constructor() {
    registerBuildInfo(this.registry, "watcher");
    registerUsageGauges(this.registry, "ippool", "SpiderIPPool", "pool", () => this.#pools());
    registerUsageGauges(this.registry, "subnet", "SpiderSubnet", "subnet", () => this.#subnets());
  }

  /**
   * The pools as the watcher's cache holds them, read at each scrape: their count and per pool
   * the status the watcher writes from the claims (docs/usage/metrics.md#pool-and-subnet-usage).
   */
  watchPools(list: () => readonly CountedObject[]): this {
    this.#pools = list;
    return this;
  }

  /** The subnets as the watcher's cache holds them (only with the subnet feature on). */
  watchSubnets(list: () => readonly CountedObject[]): this {
    this.#subnets = list;
    return this;
  }

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

/**
 * total, allocated and available addresses per object, labelled with the kind's name as
 * Spiderpool labels them (`SpiderIPPool=<name>`). Gauges set from the current status at each
 * scrape; Spiderpool's "debug" series were counters that grew by the pool size on every
 * reconcile, which no query can use.
 */
function registerUsageGauges(
  registry: client.Registry,
  what: string,
  label: string,
  noun: string,
  source: () => readonly CountedObject[],
): void {
  const gauge = (series: string, help: string, value: (o: CountedObject) => number) => {
    const g: client.Gauge = new client.Gauge({
      name: `spiderpool_debug_${what}_${series}_ip_counts`,
      help,
      labelNames: [label],
      registers: [registry],
      collect: () => {
        g.reset(); // a deleted object's series goes with it
        for (const o of source()) g.set({ [label]: o.metadata.name }, value(o));
      },
    });
  };
  const total = (o: CountedObject) => o.status?.totalIPCount ?? 0;
  const allocated = (o: CountedObject) => o.status?.allocatedIPCount ?? 0;
  gauge("total", `addresses of the ${noun} (status.totalIPCount)`, total);
  gauge("allocated", `addresses of the ${noun} allocated (status.allocatedIPCount)`, allocated);
  gauge("available", `addresses of the ${noun} still free (total - allocated)`, o =>
    Math.max(0, total(o) - allocated(o)),
  );
}

/** The subnet a pool belongs to: its controller reference, or the owner label. */
function ownerSubnetOf(p: CountedObject): string | undefined {
  const ref = p.metadata.ownerReferences?.find(
    r => r.controller === true && r.kind === "SpiderSubnet",
  );
  return ref?.name ?? p.metadata.labels?.[LABEL_OWNER_SPIDER_SUBNET];
}
