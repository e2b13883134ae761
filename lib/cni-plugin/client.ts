/**
 * The plugin's only network I/O: one HTTP/1.1 request to the agent over its unix socket, bounded
 * by the deadline of the whole CNI call. No keep-alive (the process exits right after) and no
 * retries: the runtime retries the CNI call itself when we answer code 11.
 *
 * Written on node:net rather than node:http: loading node:http costs ~13 ms of CPU on every
 * plugin start against ~6 ms for node:net, and the plugin starts once per CNI call (ADR 0005).
 * The peer is always our agent, so the client needs one request per connection, `Connection:
 * close`, and the three ways a body can be framed (lib/cni-plugin/http-response.ts).
 */
import { connect, type Socket } from "node:net";
import {
  ERROR_CODE_HEADER,
  RETRYABLE_AGENT_ERRORS,
  type AgentErrorCode,
} from "../schemas/agent-api.js";
import { parseHttpResponse, type HttpResponse } from "./http-response.js";

/** Why a call did not produce a 2xx answer. */
export type AgentFailure =
  /** Socket missing, connection refused or reset, or no readable HTTP answer: the agent is down or restarting. */
  | { readonly kind: "unreachable"; readonly text: string }
  /** The deadline passed before the answer was complete. */
  | { readonly kind: "timeout"; readonly text: string }
  /** The agent answered with a non-2xx status; `text` is its error string. */
  | {
      readonly kind: "status";
      readonly status: number;
      readonly agentCode?: string;
      readonly text: string;
    }
  /** The answer was larger than we are willing to buffer. */
  | { readonly kind: "oversized"; readonly text: string };

/** A 2xx answer with its body text, or why there was none. */
export type AgentReply =
  | { ok: true; status: number; body: string }
  | { ok: false; failure: AgentFailure };

/**
 * How a plugin run reaches the agent: over the unix socket (callAgent, in the plugin process), or
 * in-process when the agent itself runs the plugin for the exec shim (lib/agent/cni-exec.ts).
 */
export type AgentTransport = (
  method: "GET" | "POST" | "DELETE",
  path: string,
  body: unknown,
  deadlineAt: number,
) => Promise<AgentReply>;

/** An agent answer never legitimately approaches this; beyond it the agent is broken. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** Room for the status line and headers on top of the body limit. */
const MAX_HEADER_BYTES = 64 * 1024;
/** Error texts are embedded in Pod events; keep them readable. */
const MAX_ERROR_TEXT = 2048;

/**
 * Sends `method path` with an optional JSON body and resolves (never rejects) once the answer is
 * complete, the connection fails, or `deadlineAt` (epoch ms) passes, whichever comes first.
 */
export function callAgent(
  socketPath: string,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body: unknown,
  deadlineAt: number,
): Promise<AgentReply> {
  const remaining = deadlineAt - Date.now();
  if (remaining <= 0)
    return Promise.resolve(
      failed({ kind: "timeout", text: `deadline exceeded before ${method} ${path}` }),
    );
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8");
  let head = `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\nConnection: close\r\n`;
  head +=
    payload === undefined
      ? "\r\n"
      : `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`;
  return new Promise(resolve => {
    let settled = false;
    let socket: Socket | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (reply: AgentReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(reply);
    };
    const timer = setTimeout(
      () =>
        finish(
          failed({
            kind: "timeout",
            text: `${method} ${path}: no answer from the agent within ${remaining} ms`,
          }),
        ),
      remaining,
    );
    try {
      socket = connect({ path: socketPath });
    } catch (error) {
      // A socket path Node refuses outright (e.g. with a NUL byte) throws instead of emitting.
      finish(
        failed({
          kind: "unreachable",
          text: `dial unix ${socketPath}: ${(error as Error).message}`,
        }),
      );
      return;
    }
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish(failed({ kind: "unreachable", text: connectText(error, socketPath) })),
    );
    socket.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES + MAX_HEADER_BYTES)
        finish(
          failed({
            kind: "oversized",
            text: `agent response to ${method} ${path} exceeds ${MAX_RESPONSE_BYTES} bytes`,
          }),
        );
      else chunks.push(chunk);
      // A framed answer is complete before the agent's close arrives: no need to wait for it.
      const sofar = parseHttpResponse(chunks.length === 1 ? chunk : Buffer.concat(chunks));
      if (sofar.ok && sofar.value.framed) finish(answerOf(sofar.value, method, path));
    });
    socket.on("end", () => {
      const parsed = parseHttpResponse(Buffer.concat(chunks));
      finish(
        parsed.ok
          ? answerOf(parsed.value, method, path)
          : failed({ kind: "unreachable", text: `${method} ${path}: ${parsed.reason}` }),
      );
    });
    socket.write(
      payload === undefined ? head : Buffer.concat([Buffer.from(head, "latin1"), payload]),
    );
  });
}

function answerOf(response: HttpResponse, method: string, path: string): AgentReply {
  const { status, headers, body } = response;
  if (body.length > MAX_RESPONSE_BYTES)
    return failed({
      kind: "oversized",
      text: `agent response to ${method} ${path} exceeds ${MAX_RESPONSE_BYTES} bytes`,
    });
  return replyOf(status, headers[ERROR_CODE_HEADER], body.toString("utf8"));
}

/** An agent answer (status, error-code header, body text) as the plugin judges it, however it travelled. */
export function replyOf(status: number, errorCode: string | undefined, text: string): AgentReply {
  if (status >= 200 && status < 300) return { ok: true, status, body: text };
  const agentCode = errorCode !== undefined && errorCode !== "" ? errorCode : undefined;
  return failed({ kind: "status", status, agentCode, text: errorText(text, status) });
}

function failed(failure: AgentFailure): AgentReply {
  return { ok: false, failure };
}

/**
 * Whether the runtime should simply retry: the agent is away, slow, or said so with a retryable
 * `x-spiderpool-error-code`. A bare 503/429 (a proxy or an agent that predates the header) is
 * treated as retryable too; any other refusal is final.
 */
export function isRetryable(failure: AgentFailure): boolean {
  if (failure.kind === "unreachable" || failure.kind === "timeout") return true;
  if (failure.kind !== "status") return false;
  if (failure.agentCode !== undefined)
    return (RETRYABLE_AGENT_ERRORS as readonly string[]).includes(
      failure.agentCode as AgentErrorCode,
    );
  return failure.status === 503 || failure.status === 429;
}

// Spiderpool's agent answers errors as a JSON string; anything else is shown as sent.
function errorText(body: string, status: number): string {
  let text = body.trim();
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "string") text = parsed;
    else if (
      parsed &&
      typeof parsed === "object" &&
      typeof (parsed as { message?: unknown }).message === "string"
    ) {
      text = (parsed as { message: string }).message;
    }
  } catch {
    // not JSON: keep the raw text
  }
  if (text === "") text = `HTTP ${status} with an empty body`;
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}

function connectText(error: NodeJS.ErrnoException, socketPath: string): string {
  // Node's own text for these omits the path, which is the first thing an operator needs.
  if (error.code === "ENOENT" || error.code === "ECONNREFUSED" || error.code === "EACCES") {
    return `dial unix ${socketPath}: ${error.code === "ENOENT" ? "no such file or directory" : error.code === "EACCES" ? "permission denied" : "connection refused"}`;
  }
  return error.message;
}
