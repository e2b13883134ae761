import client from "prom-client";
// Inlined by the bundlers (agent, Pepr module), read by tsx from the repository: one version everywhere.
import pkg from "../package.json";

/** The version every process of the project reports (package.json's). */
export const VERSION: string = pkg.version;

/**
 * `spiderpool_build_info{version, component} 1`: which build a scrape target runs, so a dashboard
 * can join a version onto any series (docs/usage/metrics.md#build-information).
 */
export function registerBuildInfo(registry: client.Registry, component: string): void {
  new client.Gauge({
    name: "spiderpool_build_info",
    help: "always 1; the labels name the version and the component of the scraped process",
    labelNames: ["version", "component"],
    registers: [registry],
  }).set({ version: VERSION, component }, 1);
}
