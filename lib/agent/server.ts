import fs from "node:fs";
import http from "node:http";
import type { Registry } from "prom-client";
import type { HostDirs } from "../cni-plugin/host-dirs.js";
import { ERROR_CODE_HEADER } from "../schemas/agent-api.js";
import { AgentError } from "./agent-error.js";
import { CNI_EXEC_ROUTE, MAX_CNI_EXEC_BODY, runCniExec } from "./cni-exec.js";
import { createRouter, failed, type AgentAnswer, type RouteDeps, type Router } from "./routes.js";

/** The routes' needs, plus the node's plugin directories the exec route checks netconfs against. */
export type ServerDeps = RouteDeps & { pluginDirs: HostDirs };

const MAX_BODY = 1 << 20;

/**
 * The allocation endpoint: HTTP/1.1 over the unix socket, Spiderpool's routes (routes.ts) plus
 * the exec route for our shim, which runs the plugin in-process against the same routes.
 */
export function createAgentServer(d: ServerDeps): http.Server {
  const router: Router = createRouter(d, {
    [CNI_EXEC_ROUTE]: async req => runCniExec(router, await req.body(), d.pluginDirs, d.log),
  });
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const limit = `${req.method} ${url.pathname}` === CNI_EXEC_ROUTE ? MAX_CNI_EXEC_BODY : MAX_BODY;
    router({
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      body: () => body(req, limit),
    })
      .catch((e: unknown) => failed(new AgentError("internal", String(e))))
      .then(
        answer => reply(res, answer),
        () => undefined,
      );
  });
}

function reply(res: http.ServerResponse, answer: AgentAnswer): void {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    Connection: "close",
  };
  if (answer.code) headers[ERROR_CODE_HEADER] = answer.code;
  res.writeHead(answer.status, headers);
  res.end(answer.text);
}

async function body(req: http.IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit)
      throw new AgentError("invalid_request", `request body larger than ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AgentError("invalid_request", `request body is not JSON: ${(e as Error).message}`);
  }
}

/** Listens on the unix socket with mode 0600: only root on the node may allocate or release. */
export async function listenOnSocket(server: http.Server, socketPath: string): Promise<void> {
  fs.mkdirSync(socketPath.slice(0, socketPath.lastIndexOf("/")) || "/", { recursive: true });
  fs.rmSync(socketPath, { force: true }); // a socket left by a crashed agent
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, 0o600);
}

/** Health probes and `/metrics` on TCP, for kubelet probes and Prometheus. */
export function createOpsServer(registry: Registry, ready: () => boolean): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/metrics") {
      void registry.metrics().then(m => {
        res.writeHead(200, { "Content-Type": registry.contentType });
        res.end(m);
      });
    } else if (path === "/v1/runtime/liveness") {
      res.writeHead(200).end("ok");
    } else if (path === "/v1/runtime/readiness" || path === "/v1/runtime/startup") {
      res.writeHead(ready() ? 200 : 500).end(ready() ? "ok" : "not ready");
    } else res.writeHead(404).end();
  });
}
