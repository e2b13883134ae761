import fs from "node:fs";
import net from "node:net";

/** Ports handed out by this process: callers starting daemons in parallel must not share one. */
const handedOut = new Set<number>();

/** Linux's default when /proc cannot be read. */
const DEFAULT_EPHEMERAL: EphemeralRange = { low: 32768, high: 60999 };

export interface EphemeralRange {
  low: number;
  high: number;
}

/**
 * The ports the kernel picks from for outgoing connections (`net.ipv4.ip_local_port_range`).
 * A server told to listen on one of them can find it taken by any client socket opened between
 * our check and its bind — a watch of kube-apiserver, a probe — and Pepr then retries the bind
 * every 2 s for as long as that connection lives (a CI run once waited 90 s on the webhook port
 * 33443 this way), so freePort never hands one out.
 */
export function ephemeralRange(file = "/proc/sys/net/ipv4/ip_local_port_range"): EphemeralRange {
  try {
    const [low = NaN, high = NaN] = fs.readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low <= high) return { low, high };
  } catch {
    // not Linux, or /proc not mounted: fall back to the kernel's default
  }
  return DEFAULT_EPHEMERAL;
}

/** The ports freePort tries, in order: `preferred` onwards, 2,000 of them, none ephemeral. */
export function candidatePorts(preferred: number, range: EphemeralRange): number[] {
  const out: number[] = [];
  for (let port = preferred; out.length < 2000 && port <= 65535; port++) {
    if (port >= range.low && port <= range.high) port = range.high;
    else out.push(port);
  }
  return out;
}

/**
 * Returns a port that nobody listens on right now, starting from `preferred` and skipping busy
 * ones and the kernel's ephemeral range, so a developer's own services, a second checkout or
 * an outgoing connection never collide with ours.
 */
export async function freePort(preferred: number, taken: Set<number> = new Set()): Promise<number> {
  const ports = candidatePorts(preferred, ephemeralRange());
  for (const port of ports) {
    if (taken.has(port) || handedOut.has(port)) continue;
    if (await isFree(port)) {
      taken.add(port);
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port among ${ports[0]}..${ports.at(-1)} (ephemeral ports skipped)`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
