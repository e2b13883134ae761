import http from "node:http";
import { socketOf } from "../cluster/spiderpool-install.js";
import { ERROR_CODE_HEADER } from "../../lib/schemas/agent-api.js";

export interface AgentReply {
  status: number;
  /** The body as sent; failures are a JSON string (Spiderpool's convention). */
  body: string;
  /** The agent's error class header, when it sent one. */
  code?: string;
}

/**
 * One HTTP request to a node's agent over its unix socket, as the plugin makes it. `body` is
 * sent verbatim when it is a string, so malformed JSON can be sent on purpose.
 */
export function agentRequest(
  node: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<AgentReply> {
  return socketRequest(socketOf(node), method, path, body);
}

/** {@link agentRequest} to an agent listening on `socketPath`. */
export function socketRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<AgentReply> {
  const text =
    body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method,
        path,
        headers: {
          "Content-Type": "application/json",
          Host: "localhost",
          ...(text ? { "Content-Length": Buffer.byteLength(text) } : {}),
        },
      },
      res => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (data += c));
        res.on("end", () => {
          const code = res.headers[ERROR_CODE_HEADER];
          resolve({
            status: res.statusCode ?? 0,
            body: data,
            ...(typeof code === "string" ? { code } : {}),
          });
        });
      },
    );
    req.setTimeout(30_000, () =>
      req.destroy(new Error(`${method} ${path} on ${socketPath}: no answer in 30 s`)),
    );
    req.on("error", reject);
    req.end(text);
  });
}

/** The text of a failure reply (the JSON string body decoded), or the raw body. */
export function replyText(r: AgentReply): string {
  try {
    const v = JSON.parse(r.body) as unknown;
    return typeof v === "string" ? v : r.body;
  } catch {
    return r.body;
  }
}
