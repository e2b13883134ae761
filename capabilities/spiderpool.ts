import { Capability } from "pepr";

/**
 * The one capability of the module. Every binding (kind + event + filter → handler) is listed
 * in this file, so "what reacts to X?" has one answer.
 */
export const Spiderpool = new Capability({
  name: "spiderpool",
  description: "Spiderpool-compatible underlay IPAM: admission for Spider CRs, pool status, auto-pools and IP GC",
});
