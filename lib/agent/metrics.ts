import client from "prom-client";

/**
 * The agent's metrics, with Spiderpool's names (spec §9.1) so existing dashboards work. Our
 * claim CREATEs that lose a race (409) count as "update_ippool_conflict" — the same event in
 * our design: another writer got the address first.
 */
export class AgentMetrics {
  readonly registry = new client.Registry();
  readonly allocations = this.#counter("spiderpool_ipam_allocation_counts", "ADD requests received");
  readonly allocationFailures = this.#counter("spiderpool_ipam_allocation_failure_counts", "ADD requests that failed");
  readonly conflicts = this.#counter("spiderpool_ipam_allocation_update_ippool_conflict_counts", "address claims lost to another writer (HTTP 409)");
  readonly errInternal = this.#counter("spiderpool_ipam_allocation_err_internal_counts", "ADD failures of no other class");
  readonly errNoPool = this.#counter("spiderpool_ipam_allocation_err_no_available_pool_counts", "ADD failures: no IPPool available");
  readonly errRetries = this.#counter("spiderpool_ipam_allocation_err_retries_exhausted_counts", "ADD failures: retries exhausted");
  readonly errUsedOut = this.#counter("spiderpool_ipam_allocation_err_ip_used_out_counts", "ADD failures: all IP addresses used out");
  readonly allocDuration = new client.Histogram({
    name: "spiderpool_ipam_allocation_duration_seconds",
    help: "ADD duration",
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly allocLatest = this.#gauge("spiderpool_ipam_allocation_latest_duration_seconds", "duration of the last ADD");
  readonly allocMax = this.#gauge("spiderpool_ipam_allocation_max_duration_seconds", "longest ADD since start");
  readonly allocMin = this.#gauge("spiderpool_ipam_allocation_min_duration_seconds", "shortest ADD since start");
  readonly allocAvg = this.#gauge("spiderpool_ipam_allocation_average_duration_seconds", "mean ADD duration since start");
  readonly releases = this.#counter("spiderpool_ipam_release_counts", "DEL requests (single and batch)");
  readonly releaseFailures = this.#counter("spiderpool_ipam_release_failure_counts", "DEL requests that failed");
  readonly releaseConflicts = this.#counter("spiderpool_ipam_release_update_ippool_conflict_counts", "release writes that lost to another writer");
  readonly releaseErrInternal = this.#counter("spiderpool_ipam_release_err_internal_counts", "DEL failures of no other class");
  readonly releaseErrRetries = this.#counter("spiderpool_ipam_release_err_retries_exhausted_counts", "DEL failures: retries exhausted");
  readonly releaseDuration = new client.Histogram({
    name: "spiderpool_ipam_release_duration_seconds",
    help: "DEL duration",
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  #allocN = 0;
  #allocSum = 0;
  #allocMaxSeen = 0;
  #allocMinSeen = Infinity;

  #counter(name: string, help: string) {
    return new client.Counter({ name, help, registers: [this.registry] });
  }

  #gauge(name: string, help: string) {
    return new client.Gauge({ name, help, registers: [this.registry] });
  }

  observeAllocation(seconds: number): void {
    this.allocDuration.observe(seconds);
    this.allocLatest.set(seconds);
    this.#allocN++;
    this.#allocSum += seconds;
    this.allocAvg.set(this.#allocSum / this.#allocN);
    this.#allocMaxSeen = Math.max(this.#allocMaxSeen, seconds);
    this.#allocMinSeen = Math.min(this.#allocMinSeen, seconds);
    this.allocMax.set(this.#allocMaxSeen);
    this.allocMin.set(this.#allocMinSeen);
  }
}
