import fs from "node:fs";
import http from "node:http";
import type { Registry } from "prom-client";
import * as z from "zod/mini";
import {
  ERROR_CODE_HEADER,
  IpamAddArgsSchema,
  IpamBatchDelArgsSchema,
  IpamCheckArgsSchema,
  IpamDelArgsSchema,
  IpamGcArgsSchema,
} from "../schemas/agent-api.js";
import { AgentError, toAgentError } from "./agent-error.js";
import type { Allocator } from "./allocator.js";
import { AllocationFailureEvents } from "./failure-events.js";
import type { Releaser } from "./releaser.js";
import type { AgentMetrics } from "./metrics.js";
import type { Logger } from "../logger.js";
import { getEndpoint } from "../k8s/endpoint-store.js";
import type { ApiClient } from "../k8s/api-client.js";

const MAX_BODY = 1 << 20;

export interface ServerDeps {
  allocator: Allocator;
  releaser: Releaser;
  metrics: AgentMetrics;
  log: Logger;
  api: ApiClient;
  ready: () => boolean;
}

/**
 * The allocation endpoint: HTTP/1.1 over the unix socket, Spiderpool's paths and bodies
 * (spec §4.4). Failures are 500 with a JSON string body as Spiderpool sends them (400 for a
 * request that does not parse), plus a header naming the error class for our plugin.
 */
export function createAgentServer(d: ServerDeps): http.Server {
  const failures = new AllocationFailureEvents(d.api);
  return http.createServer((req, res) => {
    void handle(d, failures, req, res).catch((e: unknown) => reply(res, 500, JSON.stringify(String(e)), "internal"));
  });
}

async function handle(d: ServerDeps, failures: AllocationFailureEvents, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const route = `${req.method} ${url.pathname}`;
  if (route === "GET /v1/ipam/healthy") return d.ready() ? reply(res, 200, "") : fail(res, new AgentError("not_ready", "agent caches are not synced yet"));
  if (route === "POST /v1/ipam/ips") return reply(res, 200, "");
  if (!d.ready() && route !== "GET /v1/workloadendpoint") return fail(res, new AgentError("not_ready", "agent caches are not synced yet"));
  try {
    switch (route) {
      case "POST /v1/ipam/ip": {
        const args = parse(IpamAddArgsSchema, await body(req));
        const started = performance.now();
        d.metrics.allocations.inc();
        try {
          const r = await d.allocator.add(args);
          d.metrics.observeAllocation((performance.now() - started) / 1000);
          d.log.debug("allocated", { pod: `${args.podNamespace}/${args.podName}`, nic: args.ifName, ips: r.ips.map((i) => `${i.nic}:${i.address}@${i.ipPool}`) });
          return reply(res, 200, JSON.stringify(r));
        } catch (e) {
          const err = toAgentError(e);
          countAllocFailure(d.metrics, err);
          d.log.warn("allocation failed", { pod: `${args.podNamespace}/${args.podName}`, nic: args.ifName, code: err.code, error: err.message });
          failures.report(args, err.code, err.message);
          throw err;
        }
      }
      case "DELETE /v1/ipam/ip": {
        const args = parse(IpamDelArgsSchema, await body(req));
        await timedRelease(d.metrics, () => d.releaser.del(args));
        return reply(res, 200, "");
      }
      case "DELETE /v1/ipam/ips": {
        const args = parse(IpamBatchDelArgsSchema, await body(req));
        await timedRelease(d.metrics, () => d.releaser.batchDel(args));
        return reply(res, 200, "");
      }
      case "POST /v1/ipam/check": {
        await d.releaser.check(parse(IpamCheckArgsSchema, await body(req)));
        return reply(res, 200, "");
      }
      case "POST /v1/ipam/gc": {
        const n = await d.releaser.gc(parse(IpamGcArgsSchema, await body(req)));
        return reply(res, 200, JSON.stringify({ released: n }));
      }
      case "GET /v1/workloadendpoint": {
        const ns = url.searchParams.get("podNamespace");
        const name = url.searchParams.get("podName");
        if (!ns || !name) throw new AgentError("invalid_request", "query parameters podNamespace and podName are required");
        const ep = await getEndpoint(d.api, ns, name);
        if (!ep?.status) return reply(res, 404, JSON.stringify(`SpiderEndpoint not found for pod ${ns}/${name}`), "pod_not_found");
        const cur = ep.status.current;
        return reply(res, 200, JSON.stringify({ podNamespace: ns, podName: name, podUID: cur.uid, node: cur.node, interfaces: cur.ips }));
      }
      default:
        return reply(res, 404, JSON.stringify(`no route ${route}`), "invalid_request");
    }
  } catch (e) {
    return fail(res, toAgentError(e));
  }
}

/** Counts a release (single or batch) and its duration, and its failure if it fails. */
async function timedRelease(m: AgentMetrics, release: () => Promise<unknown>): Promise<void> {
  m.releases.inc();
  const started = performance.now();
  try {
    await release();
    m.observeRelease((performance.now() - started) / 1000);
  } catch (e) {
    m.releaseFailures.inc();
    if (toAgentError(e).code === "retries_exhausted") m.releaseErrRetries.inc();
    else m.releaseErrInternal.inc();
    throw e;
  }
}

function countAllocFailure(m: AgentMetrics, e: AgentError): void {
  m.allocationFailures.inc();
  if (e.code === "ip_used_out") m.errUsedOut.inc();
  else if (e.code === "no_available_pool") m.errNoPool.inc();
  else if (e.code === "retries_exhausted") m.errRetries.inc();
  else m.errInternal.inc();
}

function fail(res: http.ServerResponse, e: AgentError): void {
  reply(res, e.code === "invalid_request" ? 400 : 500, JSON.stringify(e.message), e.code);
}

function reply(res: http.ServerResponse, status: number, text: string, code?: string): void {
  const headers: Record<string, string> = { "Content-Type": "application/json", Connection: "close" };
  if (code) headers[ERROR_CODE_HEADER] = code;
  res.writeHead(status, headers);
  res.end(text);
}

async function body(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new AgentError("invalid_request", `request body larger than ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AgentError("invalid_request", `request body is not JSON: ${(e as Error).message}`);
  }
}

/** Validates a request body; the error names every offending field and its value. */
function parse<T>(schema: z.ZodMiniType<T>, value: unknown): T {
  const r = z.safeParse(schema, value);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const path = i.path.join(".") || "(body)";
    const got = i.path.reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined), value);
    return `${path}: ${i.message} (got ${JSON.stringify(got) ?? "nothing"})`;
  });
  throw new AgentError("invalid_request", `invalid request: ${problems.join("; ")}`);
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
      void registry.metrics().then((m) => {
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
