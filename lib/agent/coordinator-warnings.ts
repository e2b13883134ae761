import type { KubeApi } from "../k8s/api-client.js";
import { recordEvent } from "../k8s/events.js";
import type { Logger } from "../logger.js";

/**
 * Coordinator fields we accept and do not implement are announced, never silently ignored: a
 * Warning Event on the Pod whose ADD carried them and a warn log line, once per network (netconf
 * `name`) and field set per agent, so a busy network does not flood the API server
 * (docs/usage/conflict-detection.md).
 */
export class CoordinatorFieldWarnings {
  readonly #seen = new Set<string>();

  constructor(
    private readonly api: KubeApi,
    private readonly log: Logger,
  ) {}

  /** Never throws, never awaited by the reply path. Returns whether it warned now. */
  warn(
    network: string,
    fields: readonly string[],
    pod: { namespace: string; name: string; uid: string },
  ): boolean {
    if (!fields.length) return false;
    const key = `${network}\u0000${[...fields].sort().join(",")}`;
    if (this.#seen.has(key)) return false;
    if (this.#seen.size > 10_000) this.#seen.clear();
    this.#seen.add(key);
    const message = `network ${JSON.stringify(network)}: coordinator field(s) ${fields.join(", ")} accepted but not implemented here (only detectIPConflict, detectGateway and detectOptions retries/timeout are); see docs/usage/conflict-detection.md`;
    this.log.warn("coordinator fields not implemented", {
      network,
      fields,
      pod: `${pod.namespace}/${pod.name}`,
    });
    const obj = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: pod.name, namespace: pod.namespace, ...(pod.uid ? { uid: pod.uid } : {}) },
    };
    void recordEvent(
      this.api,
      obj,
      "Warning",
      "CoordinatorFieldNotImplemented",
      message,
      "spiderpool-agent",
    );
    return true;
  }
}
