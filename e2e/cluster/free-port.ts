import net from "node:net";

/**
 * Returns a port that nobody listens on right now, starting from `preferred` and skipping busy
 * ones, so a developer's own services or a second checkout never collide with ours.
 */
/** Ports handed out by this process: callers starting daemons in parallel must not share one. */
const handedOut = new Set<number>();

export async function freePort(preferred: number, taken: Set<number> = new Set()): Promise<number> {
  for (let port = preferred; port < preferred + 2000; port++) {
    if (taken.has(port) || handedOut.has(port)) continue;
    if (await isFree(port)) {
      taken.add(port);
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${preferred}..${preferred + 2000}`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
