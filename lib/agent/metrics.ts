import client from "prom-client";
import type { ApiActivity } from "../k8s/api-activity.js";
import { registerApiActivityMetrics } from "../k8s/api-activity-metrics.js";
import { registerBuildInfo } from "../build-info.js";

/** Spiderpool's histogram buckets (seconds, docs/usage/metrics.md), led by finer ones: our ADDs take milliseconds. */
const BUCKETS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.3, 0.5, 1, 3, 5, 7, 10, 15];

/**
 * The agent's metrics under Spiderpool's documented names (docs/usage/metrics.md#agent-metrics) as its Prometheus exporter
 * serves them, counters with `_total`, so existing dashboards and alerts work. Our claim CREATEs
 * that lose a race (409) count as "update_ippool_conflict": the same event in our design, another
 * writer got the address first. Spiderpool's `*_limit_duration_*` series are not served: the agent
 * has no request limiter to wait for.
 */
export class AgentMetrics {
  readonly registry = new client.Registry();
  readonly allocations = this.#counter(
    "spiderpool_ipam_allocation_counts",
    "ADD requests received",
  );
  readonly allocationFailures = this.#counter(
    "spiderpool_ipam_allocation_failure_counts",
    "ADD requests that failed",
  );
  readonly conflicts = this.#counter(
    "spiderpool_ipam_allocation_update_ippool_conflict_counts",
    "address claims lost to another writer (HTTP 409)",
  );
  readonly errInternal = this.#counter(
    "spiderpool_ipam_allocation_err_internal_counts",
    "ADD failures of no other class",
  );
  readonly errNoPool = this.#counter(
    "spiderpool_ipam_allocation_err_no_available_pool_counts",
    "ADD failures: no IPPool available",
  );
  readonly errRetries = this.#counter(
    "spiderpool_ipam_allocation_err_retries_exhausted_counts",
    "ADD failures: retries exhausted",
  );
  readonly errUsedOut = this.#counter(
    "spiderpool_ipam_allocation_err_ip_used_out_counts",
    "ADD failures: all IP addresses used out",
  );
  readonly autoPoolWaits = this.#counter(
    "spiderpool_debug_auto_pool_waited_for_available_counts",
    "waits for an auto-created pool to exist or reach its size",
  );
  readonly releases = this.#counter(
    "spiderpool_ipam_release_counts",
    "DEL requests (single and batch)",
  );
  readonly releaseFailures = this.#counter(
    "spiderpool_ipam_release_failure_counts",
    "DEL requests that failed",
  );
  readonly releaseConflicts = this.#counter(
    "spiderpool_ipam_release_update_ippool_conflict_counts",
    "release writes that lost to another writer",
  );
  readonly releaseErrInternal = this.#counter(
    "spiderpool_ipam_release_err_internal_counts",
    "DEL failures of no other class",
  );
  readonly releaseErrRetries = this.#counter(
    "spiderpool_ipam_release_err_retries_exhausted_counts",
    "DEL failures: retries exhausted",
  );
  /** docs/concepts/gc.md, "Ready nodes: the agent confirms". */
  readonly sandboxConfirmedReleases = this.#counter(
    "spiderpool_sandbox_confirmed_release_counts",
    "addresses of gone Pods released once this agent confirmed that no sandbox holds them",
  );
  /** docs/concepts/gc.md, "Claims against reality". */
  readonly unclaimedInUse = new client.Gauge({
    name: "spiderpool_unclaimed_addresses_in_use",
    help: "addresses a running Pod of this node uses that no claim of that Pod backs, at the last audit (claimed for it when free, else reported)",
    registers: [this.registry],
  });
  readonly unclaimedReclaimed = this.#counter(
    "spiderpool_unclaimed_address_reclaimed_counts",
    "addresses in use without a claim that the agent claimed for their Pod",
  );
  readonly unclaimedReported = this.#counter(
    "spiderpool_unclaimed_address_reported_counts",
    "addresses in use by a Pod while another holder's claim names them (reported, not changed)",
  );
  /** Ours: IP conflicts the coordinator plugin found, by what happened to the address. */
  readonly ipConflicts = new client.Counter({
    name: "spiderpool_ip_conflict_counts_total",
    help: "addresses another host answered for at ADD (coordinator), by outcome: quarantined, or kept (StatefulSet)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly gatewayUnreachable = this.#counter(
    "spiderpool_gateway_unreachable_counts",
    "ADDs failed because the gateway did not answer the coordinator's probe",
  );
  readonly #allocation = new DurationSeries(this.registry, "spiderpool_ipam_allocation", "ADD");
  readonly #release = new DurationSeries(this.registry, "spiderpool_ipam_release", "DEL");

  constructor() {
    // process_* and nodejs_* (RSS, heap, event-loop lag): what an operator checks first on a node.
    client.collectDefaultMetrics({ register: this.registry });
    registerBuildInfo(this.registry, "agent");
  }

  /** The API client's health: age of the last watch event per kind and of the oldest request. */
  watchApi(activity: ApiActivity): this {
    registerApiActivityMetrics(this.registry, activity);
    return this;
  }

  /**
   * Addresses in quarantine now, and the claims cached, as this agent's claim watches show them:
   * its node's and those of the pools that may serve it (docs/adr/0011-node-scoped-claim-watch.md).
   */
  watchClaims(quarantined: () => number, cached: () => number): this {
    new client.Gauge({
      name: "spiderpool_ip_quarantined",
      help: "addresses quarantined after an IP conflict, not yet freed (in the pools this agent watches)",
      registers: [this.registry],
      collect() {
        this.set(quarantined());
      },
    });
    new client.Gauge({
      name: "spiderpool_agent_watched_claims",
      help: "claims this agent caches: its node's and those of the pools that may serve it",
      registers: [this.registry],
      collect() {
        this.set(cached());
      },
    });
    return this;
  }

  #counter(name: string, help: string) {
    return new client.Counter({ name: `${name}_total`, help, registers: [this.registry] });
  }

  observeAllocation(seconds: number): void {
    this.#allocation.observe(seconds);
  }

  observeRelease(seconds: number): void {
    this.#release.observe(seconds);
  }
}

/**
 * Spiderpool's five series per duration: a histogram plus latest, max, min and the running
 * average since process start as gauges.
 */
class DurationSeries {
  readonly #histogram: client.Histogram;
  readonly #latest: client.Gauge;
  readonly #max: client.Gauge;
  readonly #min: client.Gauge;
  readonly #average: client.Gauge;
  #n = 0;
  #sum = 0;
  #maxSeen = 0;
  #minSeen = Infinity;

  constructor(registry: client.Registry, prefix: string, what: string) {
    const registers = [registry];
    this.#histogram = new client.Histogram({
      name: `${prefix}_duration_seconds`,
      help: `${what} duration`,
      buckets: BUCKETS,
      registers,
    });
    this.#latest = new client.Gauge({
      name: `${prefix}_latest_duration_seconds`,
      help: `duration of the last ${what}`,
      registers,
    });
    this.#max = new client.Gauge({
      name: `${prefix}_max_duration_seconds`,
      help: `longest ${what} since start`,
      registers,
    });
    this.#min = new client.Gauge({
      name: `${prefix}_min_duration_seconds`,
      help: `shortest ${what} since start`,
      registers,
    });
    this.#average = new client.Gauge({
      name: `${prefix}_average_duration_seconds`,
      help: `mean ${what} duration since start`,
      registers,
    });
  }

  observe(seconds: number): void {
    this.#histogram.observe(seconds);
    this.#latest.set(seconds);
    this.#n++;
    this.#sum += seconds;
    this.#average.set(this.#sum / this.#n);
    this.#maxSeen = Math.max(this.#maxSeen, seconds);
    this.#minSeen = Math.min(this.#minSeen, seconds);
    this.#max.set(this.#maxSeen);
    this.#min.set(this.#minSeen);
  }
}
