import type { AgentErrorCode } from "../schemas/agent-api.js";
import { K8sError } from "../k8s/k8s-error.js";

/**
 * A refusal of the agent, with the class the plugin maps to a CNI error code and the text the
 * user reads in the Pod's events. Texts keep Spiderpool's wording where tools grep for it.
 */
export class AgentError extends Error {
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string) {
    super(message);
    this.name = "AgentError";
    this.code = code;
  }
}

/** Anything thrown while serving a request, as an AgentError. */
export function toAgentError(e: unknown): AgentError {
  if (e instanceof AgentError) return e;
  if (e instanceof K8sError)
    return new AgentError(
      e.retryable || e.status === 0 ? "api_unavailable" : "internal",
      e.message,
    );
  return new AgentError("internal", e instanceof Error ? e.message : String(e));
}
