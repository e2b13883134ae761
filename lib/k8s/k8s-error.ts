/**
 * The one typed error for every failed call to the API server. Callers branch on `code`,
 * never on HTTP numbers or on the shape of a client library's thrown object.
 */
export type K8sErrorCode =
  | "not_found"
  | "already_exists"
  | "conflict"
  | "invalid"
  | "forbidden"
  | "unauthorized"
  | "gone"
  | "too_many_requests"
  | "unavailable"
  | "timeout"
  | "other";

export class K8sError extends Error {
  readonly code: K8sErrorCode;
  readonly status: number;
  readonly reason: string;

  constructor(code: K8sErrorCode, status: number, reason: string, message: string) {
    super(message);
    this.name = "K8sError";
    this.code = code;
    this.status = status;
    this.reason = reason;
  }

  /** Errors worth retrying unchanged: the server or the network was the problem, not the request. */
  get retryable(): boolean {
    return (
      this.code === "unavailable" || this.code === "timeout" || this.code === "too_many_requests"
    );
  }
}

/** A Kubernetes `Status` body, as far as we read it. */
interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
  code?: number;
}

/** Maps an HTTP status and a (possibly absent) Status body to a K8sError. */
export function k8sErrorFromStatus(status: number, body: unknown, context: string): K8sError {
  const s = (typeof body === "object" && body !== null ? body : {}) as StatusBody;
  const reason = s.reason ?? "";
  const message = s.message ?? (typeof body === "string" && body ? body : `HTTP ${status}`);
  return new K8sError(codeOf(status, reason), status, reason, `${context}: ${message}`);
}

function codeOf(status: number, reason: string): K8sErrorCode {
  switch (status) {
    case 404:
      return "not_found";
    case 409:
      return reason === "AlreadyExists" ? "already_exists" : "conflict";
    case 400:
    case 422:
      return "invalid";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 410:
      return "gone";
    case 429:
      return "too_many_requests";
    case 500:
    case 502:
    case 503:
      return "unavailable";
    case 504:
      return "timeout";
    default:
      return "other";
  }
}

/**
 * Converts anything thrown while talking to the API server (a K8sError, a socket error, or the
 * plain response object kubernetes-fluent-client throws) into a K8sError. This is the single
 * place that knows those shapes.
 */
export function toK8sError(thrown: unknown, context: string): K8sError {
  if (thrown instanceof K8sError) return thrown;
  if (typeof thrown === "object" && thrown !== null) {
    const t = thrown as {
      status?: unknown;
      data?: unknown;
      e?: unknown;
      code?: unknown;
      message?: unknown;
    };
    // KFC reports network failures as status 400 "fetch failed" with the cause in `e`.
    if (typeof t.status === "number" && t.e === undefined)
      return k8sErrorFromStatus(t.status, t.data, context);
    const code = typeof t.code === "string" ? t.code : "";
    const msg = typeof t.message === "string" ? t.message : String(t.e ?? thrown);
    if (code === "ETIMEDOUT" || code === "ABORT_ERR" || /timed? ?out/i.test(msg)) {
      return new K8sError("timeout", 0, code, `${context}: ${msg}`);
    }
    return new K8sError("unavailable", 0, code, `${context}: ${msg}`);
  }
  return new K8sError("other", 0, "", `${context}: ${String(thrown)}`);
}
