/**
 * Reading a plugin's answer: the address of a successful ADD, or the CNI error text and a
 * coarse reason class for the failure tables. Pure.
 */
export interface Answer {
  address?: string;
  error?: string;
  reason?: string;
}

export function readAnswer(
  op: "ADD" | "DEL",
  exitCode: number | null,
  signal: string | null,
  stdout: string,
  stderr: string,
): Answer {
  if (signal) return { error: `killed by ${signal}`, reason: "harness deadline" };
  if (exitCode === null)
    return { error: stderr.trim() || "could not start", reason: "spawn failed" };
  if (exitCode === 0) {
    if (op === "DEL") return {};
    try {
      const r = JSON.parse(stdout) as { ips?: { address?: string }[] };
      const address = r.ips?.[0]?.address?.split("/")[0];
      return address
        ? { address }
        : {
            error: `no address in result: ${stdout.slice(0, 200)}`,
            reason: "no address in result",
          };
    } catch {
      return { error: `result is not JSON: ${stdout.slice(0, 200)}`, reason: "malformed result" };
    }
  }
  let text = stderr.trim().split("\n").pop() ?? "";
  try {
    const e = JSON.parse(stdout) as { msg?: string; details?: string };
    text = [e.msg, e.details].filter(Boolean).join(": ") || text;
  } catch {
    // no CNI error object: keep the last stderr line
  }
  text ||= `exit code ${exitCode}`;
  return { error: text.slice(0, 500), reason: failureReason(text) };
}

/** A stable class for a failure message, so tables group them. */
export function failureReason(msg: string): string {
  if (/waiting to become leader/i.test(msg)) return "leader election timeout";
  if (
    /could not allocate IP in range|all IP addresses used out|ip_used_out|no (free|available) (ip|address)/i.test(
      msg,
    )
  )
    return "pool exhausted";
  if (/too many requests|\b429\b|rate limit/i.test(msg)) return "throttled (429)";
  if (/the object has been modified|\bconflict\b|\b409\b/i.test(msg)) return "conflict";
  if (/deadline exceeded|timed? ?out/i.test(msg)) return "timeout";
  if (/connection refused|no such file|ECONNREFUSED|ENOENT|unhealthy/i.test(msg))
    return "agent unreachable";
  return `other: ${msg
    .replace(/\d+(\.\d+){3}(\/\d+)?/g, "<ip>")
    .replace(/[0-9a-f]{16,}/g, "<id>")
    .slice(0, 80)}`;
}
