/**
 * What each CNI command asks of the agent (docs/reference/netconf.md#commands, CHECK/GC/STATUS of CNI 1.1 included).
 * Handlers return the text for stdout (or nothing) or a CniError; they never throw on purpose
 * and never print: plugin.ts owns the output and the deadline.
 */
import {
  IpamAddResponseSchema,
  type IpamAddArgs,
  type IpamCheckArgs,
  type IpamDelArgs,
  type IpamGcArgs,
} from "../schemas/agent-api.js";
import type { CniEnv } from "./args.js";
import {
  cniError,
  fail,
  quote,
  type CniError,
  type CniErrorName,
  type Outcome,
} from "./cni-error.js";
import { isRetryable, type AgentFailure, type AgentReply } from "./client.js";
import type { Logger } from "./logger.js";
import type { PluginConfig } from "./netconf.js";
import { prevResultAddresses, toCniResult } from "./result.js";
import { describeIssue } from "./zod-issue.js";

/** Everything a handler needs: parsed input, the absolute deadline (epoch ms), a logger and the way to the agent. */
export interface CommandContext {
  readonly env: CniEnv;
  readonly conf: PluginConfig;
  readonly deadlineAt: number;
  readonly log: Logger;
  /** One request to the agent, bounded by `deadlineAt`; never rejects. */
  readonly call: (
    method: "GET" | "POST" | "DELETE",
    path: string,
    body?: unknown,
  ) => Promise<AgentReply>;
}

/** stdout text on success (`undefined` prints nothing), or the error to print. */
export type CommandOutcome = Outcome<string | undefined>;

const HEALTHY = "/v1/ipam/healthy";
const IP = "/v1/ipam/ip";
const ALLOC = "spiderpool IP allocation error:";

/** ADD: health check, allocation, then this NIC's part of the answer in the requested version. */
export async function add(ctx: CommandContext): Promise<CommandOutcome> {
  const pod = requirePod(ctx.env, "ADD");
  if (!pod.ok) return pod;
  const { env, conf } = ctx;
  const health = await ctx.call("GET", HEALTHY);
  if (!health.ok) {
    return {
      ok: false,
      error: cniError(
        "try_again_later",
        `unhealthy spiderpool-agent backend, failed to check: ${health.failure.text}`,
        where("GET", HEALTHY, health.failure),
      ),
    };
  }
  const request: IpamAddArgs = {
    containerID: env.containerId,
    ifName: env.ifName,
    netNamespace: env.netns,
    podNamespace: pod.value.namespace,
    podName: pod.value.name,
    podUID: env.args.podUid ?? "",
    cleanGateway: conf.cleanGateway,
    matchMasterSubnet: conf.matchMasterSubnet,
    networkName: conf.name,
  };
  if (conf.matchMasterSubnet) {
    if (conf.master !== undefined) request.master = conf.master;
    if (conf.deviceID !== undefined) request.deviceID = conf.deviceID;
  }
  if (conf.defaultIPv4IPPool) request.defaultIPv4IPPool = conf.defaultIPv4IPPool;
  if (conf.defaultIPv6IPPool) request.defaultIPv6IPPool = conf.defaultIPv6IPPool;
  ctx.log.debug("requesting allocation", { request });
  const reply = await ctx.call("POST", IP, request);
  if (!reply.ok)
    return { ok: false, error: agentError("allocation_failed", ALLOC, "POST", IP, reply.failure) };
  let json: unknown;
  try {
    json = JSON.parse(reply.body);
  } catch {
    return fail(
      "invalid_agent_response",
      `${ALLOC} invalid agent response: not JSON`,
      `POST ${IP}: ${quote(reply.body, 200)}`,
    );
  }
  const response = IpamAddResponseSchema.safeParse(json, { reportInput: true });
  if (!response.success) {
    const problems = response.error.issues.slice(0, 3).map(describeIssue).join("; ");
    return fail(
      "invalid_agent_response",
      `${ALLOC} invalid agent response: ${problems}`,
      `POST ${IP}: ${quote(reply.body, 200)}`,
    );
  }
  const result = toCniResult(response.data, env.ifName, conf.cniVersion);
  if (!result.ok) return result;
  ctx.log.info("allocated", {
    ips: result.value.ips.map(ip => ip.address),
    routes: result.value.routes?.length ?? 0,
  });
  return { ok: true, value: JSON.stringify(result.value) };
}

/**
 * DEL: ask the agent to release, and succeed whatever it says. Failing DEL blocks Pod deletion
 * forever, while a missed release is reclaimed by the agent's GC (Spiderpool does the same).
 */
export async function del(ctx: CommandContext): Promise<CommandOutcome> {
  const { env, log } = ctx;
  if (!env.args.podNamespace || !env.args.podName) {
    log.warn(
      "CNI_ARGS lacks K8S_POD_NAMESPACE/K8S_POD_NAME: nothing to release here, GC reclaims any leftover",
    );
    return { ok: true, value: undefined };
  }
  const request: IpamDelArgs = {
    containerID: env.containerId,
    ifName: env.ifName,
    netNamespace: env.netns,
    podNamespace: env.args.podNamespace,
    podName: env.args.podName,
    podUID: env.args.podUid ?? "",
  };
  const reply = await ctx.call("DELETE", IP, request);
  if (reply.ok) log.info("released");
  else
    log.error("release failed, leaving it to GC", {
      err: { type: "AgentFailure", message: reply.failure.text },
      failure: reply.failure.kind,
    });
  return { ok: true, value: undefined };
}

/** CHECK: the agent must still hold exactly the addresses prevResult gives this NIC. */
export async function check(ctx: CommandContext): Promise<CommandOutcome> {
  const pod = requirePod(ctx.env, "CHECK");
  if (!pod.ok) return pod;
  const addresses = prevResultAddresses(ctx.conf.prevResult, ctx.env.ifName);
  if (!addresses.ok) return addresses;
  const request: IpamCheckArgs = {
    containerID: ctx.env.containerId,
    ifName: ctx.env.ifName,
    podNamespace: pod.value.namespace,
    podName: pod.value.name,
    podUID: ctx.env.args.podUid ?? "",
    addresses: addresses.value,
  };
  const reply = await ctx.call("POST", "/v1/ipam/check", request);
  if (!reply.ok)
    return {
      ok: false,
      error: agentError(
        "check_failed",
        "spiderpool IP check error:",
        "POST",
        "/v1/ipam/check",
        reply.failure,
      ),
    };
  ctx.log.debug("check passed", { addresses: addresses.value });
  return { ok: true, value: undefined };
}

/** GC (CNI 1.1): hand the runtime's valid attachments to the agent, which releases the rest. */
export async function gc(ctx: CommandContext): Promise<CommandOutcome> {
  const valid = ctx.conf.validAttachments;
  // Without the list the agent would see "nothing is valid" and release every address here.
  if (!valid)
    return fail(
      "invalid_network_config",
      "cni.dev/valid-attachments: required for GC, got missing",
      "cni.dev/valid-attachments",
    );
  const request: IpamGcArgs = { networkName: ctx.conf.name, validAttachments: valid };
  const reply = await ctx.call("POST", "/v1/ipam/gc", request);
  if (!reply.ok)
    return {
      ok: false,
      error: agentError(
        "gc_failed",
        "spiderpool IP gc error:",
        "POST",
        "/v1/ipam/gc",
        reply.failure,
      ),
    };
  ctx.log.info("gc done", { validAttachments: valid.length });
  return { ok: true, value: undefined };
}

/** STATUS (CNI 1.1): can ADD succeed now? Any health failure is code 50. */
export async function status(ctx: CommandContext): Promise<CommandOutcome> {
  const health = await ctx.call("GET", HEALTHY);
  if (health.ok) return { ok: true, value: undefined };
  return fail(
    "plugin_not_available",
    `plugin not available: unhealthy spiderpool-agent backend, failed to check: ${health.failure.text}`,
    where("GET", HEALTHY, health.failure),
  );
}

function requirePod(env: CniEnv, command: string): Outcome<{ namespace: string; name: string }> {
  const { podNamespace, podName } = env.args;
  if (podNamespace && podName)
    return { ok: true, value: { namespace: podNamespace, name: podName } };
  const missing = [
    podNamespace ? undefined : "K8S_POD_NAMESPACE",
    podName ? undefined : "K8S_POD_NAME",
  ]
    .filter(Boolean)
    .join(",");
  return fail(
    "invalid_environment",
    `CNI_ARGS: ${missing} required for ${command}, got missing`,
    "CNI_ARGS",
  );
}

/** Retryable failures become code 11, anything else `name`; the agent's text stays in `msg`. */
function agentError(
  name: CniErrorName,
  prefix: string,
  method: string,
  path: string,
  failure: AgentFailure,
): CniError {
  const chosen: CniErrorName =
    failure.kind === "oversized"
      ? "invalid_agent_response"
      : isRetryable(failure)
        ? "try_again_later"
        : name;
  return cniError(chosen, `${prefix} ${failure.text}`, where(method, path, failure));
}

function where(method: string, path: string, failure: AgentFailure): string {
  if (failure.kind !== "status") return `${method} ${path}: ${failure.kind}`;
  return `${method} ${path}: HTTP ${failure.status}${failure.agentCode ? `, agent error code ${failure.agentCode}` : ""}`;
}
