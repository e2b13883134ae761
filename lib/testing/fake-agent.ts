/**
 * Test stand-in for the spiderpool agent: the plugin's side of the contract
 * (lib/schemas/agent-api.ts) served over a real unix socket with canned answers. Specs use it
 * instead of the real agent because the plugin only ever talks HTTP to the agent; the agent's
 * own behaviour is tested in lib/agent.
 *
 * The default scenario picks the answer from the Pod name in the request body, so one agent
 * serves every case of a table or a fuzz run.
 */
import { rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { ERROR_CODE_HEADER, type IpamAddResponse } from "../schemas/agent-api.js";

/** One request as the agent saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

/** A canned answer; `"hang"` never answers (the connection stays open until close()). */
export type CannedReply =
  | { status: number; body?: unknown; raw?: string; headers?: Record<string, string> }
  | "hang";

/** Chooses the answer to one request. */
export type Scenario = (request: SeenRequest) => CannedReply;

/** A running fake agent; `requests` lists what it received, in order. */
export interface FakeAgent {
  readonly socketPath: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

/** What `POST /v1/ipam/ip` returns for an ordinary Pod: two NICs, dual stack on eth0. */
export const OK_ALLOCATION: IpamAddResponse = {
  ips: [
    {
      version: 4,
      address: "10.6.168.101/16",
      nic: "eth0",
      ipPool: "v4-a",
      gateway: "10.6.0.1",
      vlan: 0,
    },
    {
      version: 6,
      address: "fd00:10:6::65/64",
      nic: "eth0",
      ipPool: "v6-a",
      gateway: "fd00:10:6::1",
    },
    { version: 4, address: "172.20.0.9/24", nic: "net1", ipPool: "v4-b" },
  ],
  routes: [
    { ifName: "eth0", dst: "0.0.0.0/0", gw: "10.6.0.1" },
    { ifName: "eth0", dst: "::/0", gw: "fd00:10:6::1" },
    { ifName: "net1", dst: "172.30.0.0/16", gw: "172.20.0.1" },
  ],
};

const agentError = (status: number, text: string, code?: string): CannedReply => ({
  status,
  body: text,
  headers: code ? { [ERROR_CODE_HEADER]: code } : {},
});

/**
 * Pod name → behaviour: `ok` (default), `ip-used-out`, `not-ready`, `api-unavailable`,
 * `no-header-500`, `unavailable-503`, `garbage`, `bad-schema`, `bad-address`, `other-nic`,
 * `hang`. Health is always fine unless the scenario is wrapped (see `unhealthy`).
 */
export const podNameScenario: Scenario = request => {
  if (request.path === "/v1/ipam/healthy") return { status: 200 };
  // As an agent without the exec shim's route (Spiderpool's own, or an older one of ours).
  if (request.path === "/v1/cni/exec")
    return agentError(404, `no route ${request.method} ${request.path}`, "invalid_request");
  const body = (request.body ?? {}) as { podName?: string; addresses?: string[] };
  switch (body.podName) {
    case "hang":
      return "hang";
    case "ip-used-out":
      return agentError(500, "all IP addresses used out", "ip_used_out");
    case "not-ready":
      return agentError(500, "agent is still syncing its caches", "not_ready");
    case "api-unavailable":
      return agentError(500, "failed to reach the API server", "api_unavailable");
    case "no-header-500":
      return agentError(500, "failed to allocate: pool v4-a not found");
    case "unavailable-503":
      return agentError(503, "overloaded");
    default:
      break;
  }
  if (request.path === "/v1/ipam/ip" && request.method === "POST") return allocation(body.podName);
  if (request.path === "/v1/ipam/check") {
    const want = ["10.6.168.101/16", "fd00:10:6::65/64"];
    const got = [...(body.addresses ?? [])].sort();
    return JSON.stringify(got) === JSON.stringify(want)
      ? { status: 200 }
      : agentError(
          500,
          `addresses ${JSON.stringify(got)} do not match ${JSON.stringify(want)}`,
          "invalid_request",
        );
  }
  return { status: 200 };
};

function allocation(podName: string | undefined): CannedReply {
  switch (podName) {
    case "garbage":
      return { status: 200, raw: "<html>not json" };
    case "bad-schema":
      return { status: 200, body: { ips: "10.0.0.1" } };
    case "bad-address":
      return { status: 200, body: { ips: [{ version: 4, address: "10.0.0.1", nic: "eth0" }] } };
    case "other-nic":
      return { status: 200, body: { ips: OK_ALLOCATION.ips.filter(ip => ip.nic === "net1") } };
    default:
      return { status: 200, body: OK_ALLOCATION };
  }
}

/** Wraps a scenario so the health check fails with `status` (or hangs). */
export function unhealthy(
  scenario: Scenario,
  reply: CannedReply = agentError(500, "not ready"),
): Scenario {
  return request => (request.path === "/v1/ipam/healthy" ? reply : scenario(request));
}

/** Listens on `socketPath` (replacing a stale socket file) until close(). */
export async function startFakeAgent(
  socketPath: string,
  scenario: Scenario = podNameScenario,
): Promise<FakeAgent> {
  rmSync(socketPath, { force: true });
  const requests: SeenRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const seen = { method: req.method ?? "", path: req.url ?? "", body };
      requests.push(seen);
      const reply = scenario(seen);
      if (reply === "hang") {
        hanging.add(res);
        return;
      }
      const payload = reply.raw ?? (reply.body === undefined ? "" : JSON.stringify(reply.body));
      res.writeHead(reply.status, { "Content-Type": "application/json", ...reply.headers });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, resolve);
  });
  return {
    socketPath,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
