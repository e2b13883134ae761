import type { AgentErrorCode } from "../schemas/agent-api.js";
import type { IpamAddArgs } from "../schemas/agent-api.js";
import type { KubeApi } from "../k8s/api-client.js";
import { recordEvent } from "../k8s/events.js";

/** Refusals the Pod's owner can act on; transient or request-level ones stay in the agent's log. */
const REPORTED: ReadonlySet<AgentErrorCode> = new Set([
  "no_available_pool",
  "ip_used_out",
  "pod_not_on_node",
  "retries_exhausted",
  "internal",
]);

/**
 * Puts the reason a Pod got no address among its own Events (`kubectl describe pod`), where the
 * kubelet's FailedCreatePodSandBox carries only the CNI text. The kubelet retries a failed
 * sandbox every few seconds; the same refusal is reported once per `quietMs` per Pod and NIC so a
 * Pending Pod does not flood the API server with Events.
 */
export class AllocationFailureEvents {
  readonly #last = new Map<string, number>();

  constructor(
    private readonly api: KubeApi,
    private readonly quietMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Never awaited by the caller's reply path, never throws. */
  report(args: IpamAddArgs, code: AgentErrorCode, message: string): void {
    if (!REPORTED.has(code)) return;
    const key = `${args.podNamespace}/${args.podName}/${args.podUID}/${args.ifName}/${message}`;
    const t = this.now();
    const last = this.#last.get(key);
    if (last !== undefined && t - last < this.quietMs) return;
    this.#last.set(key, t);
    if (this.#last.size > 10_000) this.#forgetOlderThan(t - this.quietMs);
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: args.podName,
        namespace: args.podNamespace,
        ...(args.podUID ? { uid: args.podUID } : {}),
      },
    };
    void recordEvent(
      this.api,
      pod,
      "Warning",
      "IPAllocationFailed",
      `${args.ifName}: ${message}`,
      "spiderpool-agent",
    );
  }

  #forgetOlderThan(cutoff: number): void {
    for (const [k, t] of this.#last) if (t < cutoff) this.#last.delete(k);
  }
}
