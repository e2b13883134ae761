/**
 * `POST /v1/cni/exec`: one whole CNI call of the plugin (lib/cni-plugin/plugin.ts), run inside the agent for
 * the exec shim (cni/shim), which then only has to start, forward and print (ADR 0006). The
 * plugin is the same function the Node executable runs; only its way to the agent differs: the
 * route table in-process instead of a second connection to our own socket.
 */
import { replyOf, type AgentReply, type AgentTransport } from "../cni-plugin/client.js";
import type { HostDirs } from "../cni-plugin/host-dirs.js";
import { runPlugin } from "../cni-plugin/plugin.js";
import { CniExecArgsSchema, type CniExecResult } from "../schemas/agent-api.js";
import type { Logger } from "../logger.js";
import { parseBody, type AgentAnswer, type Router } from "./routes.js";

export const CNI_EXEC_ROUTE = "POST /v1/cni/exec";
/** A 1 MiB netconf (the plugin's own stdin limit) in base64, plus the environment. */
export const MAX_CNI_EXEC_BODY = 2 << 20;
/** The plugin writes log lines to stderr only when it has no file; keep a runaway bounded. */
const MAX_STDERR = 64 * 1024;
/** A start time further off than this is not the shim's (clock step, forged request): count from now. */
const MAX_START_SKEW_MS = 10 * 60 * 1000;

/**
 * Runs the call described by `body`; the answer is 200 with a CniExecResult whatever the plugin
 * decided. `dirs` are the agent's own settings: the netconf's log file and socket are checked
 * against them exactly as the Node executable checks them against the installer's file.
 */
export async function runCniExec(
  router: Router,
  body: unknown,
  dirs: HostDirs,
  log: Logger,
): Promise<AgentAnswer> {
  const args = parseBody(CniExecArgsSchema, body);
  const now = Date.now();
  const startedAt =
    args.startedAtMs !== undefined && Math.abs(now - args.startedAtMs) <= MAX_START_SKEW_MS
      ? args.startedAtMs
      : now;
  let stdout = "";
  let stderr = "";
  const exitCode = await runPlugin(
    {
      env: args.env,
      stdin: Buffer.from(args.stdin, "base64"),
      stdout: text => (stdout += text),
      stderr: text => {
        if (stderr.length < MAX_STDERR) stderr += text.slice(0, MAX_STDERR - stderr.length);
      },
    },
    {
      startedAt,
      transport: inProcess(router),
      hostDirs: { ok: true, value: dirs },
      logFields: { runner: "agent" },
    },
  );
  if (exitCode !== 0) log.debug("cni call failed", { command: args.env.CNI_COMMAND, exitCode });
  const result: CniExecResult = { exitCode, stdout, stderr };
  return { status: 200, text: JSON.stringify(result) };
}

/** The plugin's agent calls, served by the route table directly, with the socket client's deadline rule. */
function inProcess(router: Router): AgentTransport {
  return (method, path, body, deadlineAt) => {
    const remaining = deadlineAt - Date.now();
    if (remaining <= 0)
      return Promise.resolve(timeout(`deadline exceeded before ${method} ${path}`));
    // As on the wire: what the route sees is the JSON of the request, not the plugin's object.
    const wire = body === undefined ? undefined : (JSON.parse(JSON.stringify(body)) as unknown);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<AgentReply>(resolve => {
      timer = setTimeout(
        () =>
          resolve(timeout(`${method} ${path}: no answer from the agent within ${remaining} ms`)),
        remaining,
      );
    });
    const answered = router({
      method,
      path,
      query: new URLSearchParams(),
      body: () => Promise.resolve(wire),
    }).then(a => replyOf(a.status, a.code, a.text));
    return Promise.race([answered, expired]).finally(() => clearTimeout(timer));
  };
}

function timeout(text: string): AgentReply {
  return { ok: false, failure: { kind: "timeout", text } };
}
