/**
 * The agent's request handling, apart from how a request arrives: HTTP over the unix socket
 * (server.ts) or in-process, when the agent runs a plugin call for the exec shim (cni-exec.ts).
 * Paths and bodies are Spiderpool's (docs/reference/agent-api.md). Failures are 500 with a JSON string body as
 * Spiderpool sends them (400 for a request that does not parse, 403 for a request about another
 * Pod's or another node's addresses), plus the error class.
 */
import * as z from "zod/mini";
import {
  IpamAddArgsSchema,
  IpamBatchDelArgsSchema,
  IpamCheckArgsSchema,
  IpamDelArgsSchema,
  IpamGcArgsSchema,
} from "../schemas/agent-api.js";
import {
  CoordinatorPlanRequestSchema,
  CoordinatorReportRequestSchema,
} from "../schemas/coordinator-api.js";
import type { CoordinatorService } from "./coordinator-service.js";
import { AgentError, toAgentError } from "./agent-error.js";
import type { Allocator } from "./allocator.js";
import { AllocationFailureEvents } from "./failure-events.js";
import type { Releaser } from "./releaser.js";
import type { AgentMetrics } from "./metrics.js";
import type { Logger } from "../logger.js";
import { getEndpoint } from "../k8s/endpoint-store.js";
import type { KubeApi } from "../k8s/api-client.js";
import { isNamespaceName, isPodName } from "../schemas/kube-name.js";

export interface RouteDeps {
  allocator: Allocator;
  releaser: Releaser;
  metrics: AgentMetrics;
  log: Logger;
  api: KubeApi;
  ready: () => boolean;
  /** The coordinator plugin's routes (docs/usage/conflict-detection.md); absent: 404. */
  coordinator?: CoordinatorService;
}

/** One request, however it arrived; `body` reads and JSON-decodes it on demand (throws AgentError). */
export interface AgentRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: () => Promise<unknown>;
}

/** One answer: status, body text and, for failures, the error class (`x-spiderpool-error-code`). */
export interface AgentAnswer {
  readonly status: number;
  readonly text: string;
  readonly code?: string;
}

/** Answers one request; never rejects. */
export type Router = (req: AgentRequest) => Promise<AgentAnswer>;

const OK: AgentAnswer = { status: 200, text: "" };

/** The route table of docs/reference/agent-api.md; `extra` serves routes of our own before the readiness gate. */
export function createRouter(
  d: RouteDeps,
  extra: Record<string, (req: AgentRequest) => Promise<AgentAnswer>> = {},
): Router {
  const failures = new AllocationFailureEvents(d.api);
  return async req => {
    const route = `${req.method} ${req.path}`;
    try {
      if (route === "GET /v1/ipam/healthy")
        return d.ready()
          ? OK
          : failed(new AgentError("not_ready", "agent caches are not synced yet"));
      if (route === "POST /v1/ipam/ips") return OK;
      const own = extra[route];
      if (own) return await own(req);
      if (!d.ready() && route !== "GET /v1/workloadendpoint")
        return failed(new AgentError("not_ready", "agent caches are not synced yet"));
      return await serve(d, failures, route, req);
    } catch (e) {
      return failed(toAgentError(e));
    }
  };
}

async function serve(
  d: RouteDeps,
  failures: AllocationFailureEvents,
  route: string,
  req: AgentRequest,
): Promise<AgentAnswer> {
  switch (route) {
    case "POST /v1/ipam/ip": {
      const args = parseBody(IpamAddArgsSchema, await req.body());
      const started = performance.now();
      d.metrics.allocations.inc();
      try {
        const r = await d.allocator.add(args);
        d.metrics.observeAllocation((performance.now() - started) / 1000);
        d.log.debug("allocated", {
          pod: `${args.podNamespace}/${args.podName}`,
          nic: args.ifName,
          ips: r.ips.map(i => `${i.nic}:${i.address}@${i.ipPool}`),
        });
        return { status: 200, text: JSON.stringify(r) };
      } catch (e) {
        const err = toAgentError(e);
        countAllocFailure(d.metrics, err);
        d.log.warn("allocation failed", {
          pod: `${args.podNamespace}/${args.podName}`,
          nic: args.ifName,
          code: err.code,
          err,
        });
        failures.report(args, err.code, err.message);
        throw err;
      }
    }
    case "DELETE /v1/ipam/ip": {
      const args = parseBody(IpamDelArgsSchema, await req.body());
      await timedRelease(d.metrics, () => d.releaser.del(args));
      return OK;
    }
    case "DELETE /v1/ipam/ips": {
      const args = parseBody(IpamBatchDelArgsSchema, await req.body());
      await timedRelease(d.metrics, () => d.releaser.batchDel(args));
      return OK;
    }
    case "POST /v1/ipam/check": {
      await d.releaser.check(parseBody(IpamCheckArgsSchema, await req.body()));
      return OK;
    }
    case "POST /v1/ipam/gc": {
      const n = await d.releaser.gc(parseBody(IpamGcArgsSchema, await req.body()));
      return { status: 200, text: JSON.stringify({ released: n }) };
    }
    // Ours: the coordinator plugin asks what to probe and reports what answered. A decision,
    // including a refusal of the netconf, is a 200 carrying the CNI error to print.
    case "POST /v1/coordinator/plan": {
      if (!d.coordinator) break;
      const answer = await d.coordinator.plan(
        parseBody(CoordinatorPlanRequestSchema, await req.body()),
      );
      return { status: 200, text: JSON.stringify(answer) };
    }
    case "POST /v1/coordinator/report": {
      if (!d.coordinator) break;
      const answer = await d.coordinator.report(
        parseBody(CoordinatorReportRequestSchema, await req.body()),
      );
      return { status: 200, text: JSON.stringify(answer) };
    }
    case "GET /v1/workloadendpoint": {
      const ns = req.query.get("podNamespace");
      const name = req.query.get("podName");
      if (!ns || !name)
        throw new AgentError(
          "invalid_request",
          "query parameters podNamespace and podName are required",
        );
      // Both go into an API path: only names the API server could hold (docs/security.md).
      if (!isNamespaceName(ns))
        throw new AgentError(
          "invalid_request",
          `query parameter podNamespace: expected a Kubernetes namespace name (got ${JSON.stringify(ns)})`,
        );
      if (!isPodName(name))
        throw new AgentError(
          "invalid_request",
          `query parameter podName: expected a Kubernetes Pod name (got ${JSON.stringify(name)})`,
        );
      const ep = await getEndpoint(d.api, ns, name);
      if (!ep?.status)
        return {
          status: 404,
          text: JSON.stringify(`SpiderEndpoint not found for pod ${ns}/${name}`),
          code: "pod_not_found",
        };
      const cur = ep.status.current;
      return {
        status: 200,
        text: JSON.stringify({
          podNamespace: ns,
          podName: name,
          podUID: cur.uid,
          node: cur.node,
          interfaces: cur.ips,
        }),
      };
    }
  }
  return { status: 404, text: JSON.stringify(`no route ${route}`), code: "invalid_request" };
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
    const code = toAgentError(e).code;
    if (code === "retries_exhausted") m.releaseErrRetries.inc();
    else if (code !== "forbidden") m.releaseErrInternal.inc();
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

/**
 * An AgentError as Spiderpool's agent answers it: a JSON string, 400 for bad requests, else 500.
 * Ours: 403 for a request about addresses that are not the named Pod's on this node.
 */
export function failed(e: AgentError): AgentAnswer {
  const status = e.code === "invalid_request" ? 400 : e.code === "forbidden" ? 403 : 500;
  return { status, text: JSON.stringify(e.message), code: e.code };
}

/** Validates a request body; the error names every offending field and its value. */
export function parseBody<T>(schema: z.ZodMiniType<T>, value: unknown): T {
  const r = z.safeParse(schema, value);
  if (r.success) return r.data;
  const problems = r.error.issues.map(i => {
    const path = i.path.join(".") || "(body)";
    const got = i.path.reduce<unknown>(
      (v, k) =>
        typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined,
      value,
    );
    // A record key's own complaint sits one level down (e.g. "expected a CNI_* variable name").
    const message = i.code === "invalid_key" ? (i.issues[0]?.message ?? i.message) : i.message;
    return `${path}: ${message} (got ${JSON.stringify(got) ?? "nothing"})`;
  });
  throw new AgentError("invalid_request", `invalid request: ${problems.join("; ")}`);
}
